"""The incident pages as people use them: record, edit, triage, report, decide, close, withdraw, raise a concern."""

from __future__ import annotations

from datetime import timedelta

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from aims.models import SignOff
from controls.catalog import ANNEX_A
from controls.models import Control
from evidence.linkables import _LINKABLES
from improvement.incidents import services
from improvement.models import Incident, Nonconformity, ReportingObligation, TimelineEntry
from tests.improvement.incidents.conftest import make_incident
from tests.kit import second_factor

LOCAL = "%Y-%m-%dT%H:%M"


def url(world, name, *args):
    return reverse(f"improvement:{name}", args=[world.acme.pk, *args])


def test_the_officer_records_an_incident_on_its_form(world, client_as):
    detected = timezone.localtime() - timedelta(hours=5)
    data = {"title": "Radiology worklist skipped urgent scans", "description": "Three urgent scans were queued low.",
            "detected_at": detected.strftime(LOCAL), "channel": "monitoring_alert", "incident_type": "malfunction",
            "severity": "high", "personal_data_breach": "on"}  # fmt: skip
    client = client_as("officer")
    form = client.get(url(world, "incident_create"))
    assert form.status_code == 200 and form.context["form"]["detected_at"].value() is not None
    response = client.post(url(world, "incident_create"), data)
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == url(world, "incident_detail", incident.pk)
    assert incident.reporter == world.officer and incident.history.get().history_user == world.officer
    assert ReportingObligation.objects.filter(incident=incident, regime="gdpr-art-33").exists()
    page = client.get(response["Location"]).content.decode()
    assert "GDPR: notification of a personal data breach" in page and "72 hours from awareness" in page


def test_a_bad_or_stale_form_saves_nothing(world, client_as):
    client = client_as("officer")
    future = (timezone.localtime() + timedelta(days=2)).strftime(LOCAL)
    data = {"title": "T", "description": "D", "detected_at": future, "channel": "complaint",
            "incident_type": "drift", "severity": "low"}  # fmt: skip
    refused = client.post(url(world, "incident_create"), data)
    assert refused.status_code == 400 and "This moment is in the future." in refused.content.decode()
    assert not Incident.objects.exists()
    incident = make_incident(world.acme, world.officer)
    services.incident_update(incident, user=world.owner, expected_version=1, title="Changed by the owner")
    stale = {**data, "detected_at": timezone.localtime().strftime(LOCAL), "version": 1, "title": "Mine"}
    conflict = client.post(url(world, "incident_edit", incident.pk), stale)
    assert conflict.status_code == 409 and Incident.objects.get().title == "Changed by the owner"


def test_triage_on_its_page_raises_a_nonconformity_or_shows_why_not(world, client_as):
    incident = make_incident(world.acme, world.officer)
    client = client_as("officer")
    missing = client.post(url(world, "incident_triage", incident.pk), {"version": 1, "outcome": "nonconformity",
                                                                      "reason": "R", "nc_grade": "minor"})  # fmt: skip
    assert missing.status_code == 400 and "Name at least one clause or control" in missing.content.decode()
    control = Control.objects.get(framework__key=ANNEX_A, key="A.8.4")
    data = {"version": 1, "outcome": "nonconformity", "reason": "No escalation.", "nc_grade": "major",
            "requirements": [control.pk], "nc_title": "Incident escalation not followed"}  # fmt: skip
    done = client.post(url(world, "incident_triage", incident.pk), data)
    assert done.status_code == 302
    nc = Nonconformity.objects.get()
    assert nc.title == "Incident escalation not followed" and nc.source_incident_id == incident.pk
    page = client.get(url(world, "incident_detail", incident.pk)).content.decode()
    assert nc.reference in page and "Nonconformities raised" in page


def test_closing_on_the_page_shows_what_is_missing(world, client_as):
    incident = make_incident(world.acme, world.officer, personal_data_breach=True)
    incident = services.incident_triage(incident, user=world.officer, expected_version=1, outcome="none", reason="R")
    incident = services.incident_transition(
        incident, user=world.officer, expected_version=2, to="resolved", reason="Fixed"
    )
    client = client_as("officer")
    page = client.get(url(world, "incident_detail", incident.pk)).content.decode()
    assert "Cannot be closed yet" in page and "record its submission" in page
    refused = client.post(
        url(world, "incident_transition", incident.pk), {"version": 3, "to": "closed", "reason": "Done"}
    )
    assert refused.status_code == 400 and "record its submission" in refused.content.decode()
    obligation = ReportingObligation.objects.get(incident=incident)
    waived = client.post(url(world, "incident_obligation", incident.pk, obligation.pk),
                         {"version": 1, "waived_reason": "Encrypted; no risk to people."})  # fmt: skip
    assert waived.status_code == 302
    closed = client.post(
        url(world, "incident_transition", incident.pk), {"version": 3, "to": "closed", "reason": "Done"}
    )
    assert closed.status_code == 302 and Incident.objects.get().status == "closed"
    assert client.get(url(world, "incident_edit", incident.pk)).status_code == 302  # closed: back to the page


def test_leadership_signs_the_decision_on_the_incident_page(world, client_as, serious):
    client = client_as("leader")
    page = client.get(url(world, "incident_detail", serious.pk))
    assert "Decide and sign" in page.content.decode()
    data = {"signed_version": "1", "statement": "Reviewed.", "confirmed": "on", "decision": "report",
            "decision_reason": "A patient may have been harmed.", "second_factor": "000000"}  # fmt: skip
    wrong = client.post(url(world, "incident_decide", serious.pk), data)
    assert wrong.status_code == 400 and not SignOff.objects.exists()
    assert Incident.objects.get().report_decision == ""
    done = client.post(
        url(world, "incident_decide", serious.pk), {**data, "second_factor": second_factor(world.leader)}
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    assert Incident.objects.get().report_decision == "report" and SignOff.objects.get().signer == world.leader
    after = client.get(url(world, "incident_detail", serious.pk)).content.decode()
    assert "Decision: Report." in after and "Decided" in after


def test_a_stale_decision_is_a_conflict(world, client_as, serious):
    services.incident_update(serious, user=world.officer, expected_version=1, severity="critical")
    data = {"signed_version": "1", "statement": "Reviewed.", "confirmed": "on", "decision": "report",
            "decision_reason": "R", "second_factor": second_factor(world.leader)}  # fmt: skip
    response = client_as("leader").post(url(world, "incident_decide", serious.pk), data)
    assert response.status_code == 409 and not SignOff.objects.exists()


def test_an_anonymous_concern_through_the_form_leaves_no_user_in_the_record_or_its_history(world, client_as):
    client = client_as("contributor")
    form = client.get(url(world, "concern_create")).content.decode()
    assert "the register records the concern without your name" in form
    data = {"title": "The summariser invents doses", "description": "Twice this week.", "anonymous": "on"}
    response = client.post(url(world, "concern_create"), data)
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert incident.reporter is None and incident.anonymous and incident.status == "reported"
    assert list(incident.history.values_list("history_user", flat=True)) == [None]
    assert list(TimelineEntry.objects.filter(incident=incident).values_list("author", flat=True)) == [None]
    history = client_as("officer").get(url(world, "incident_history", incident.pk)).content.decode()
    assert "an anonymous reporter" in history and "contributor" not in history


def test_a_named_concern_from_leadership_and_no_concern_form_for_auditors(world, client_as):
    response = client_as("leader").post(url(world, "concern_create"), {"title": "T", "description": "D"})
    assert response.status_code == 302 and Incident.objects.get().reporter == world.leader
    assert (
        client_as("auditor").post(url(world, "concern_create"), {"title": "T", "description": "D"}).status_code == 403
    )
    assert Incident.objects.count() == 1


def test_withdrawal_asks_for_a_reason_and_offers_no_deletion(world, client_as):
    incident = make_incident(world.acme, world.officer)
    client = client_as("officer")
    page = client.get(url(world, "incident_withdraw", incident.pk)).content.decode()
    assert "Withdraw" in page and "Delete" not in page
    assert client.post(url(world, "incident_withdraw", incident.pk), {"version": 1, "reason": ""}).status_code == 400
    done = client.post(
        url(world, "incident_withdraw", incident.pk), {"version": 1, "action": "delete", "reason": "Dup"}
    )
    assert done.status_code == 302 and Incident.objects.get().retired_reason == "Dup"


def test_the_timeline_has_an_add_route_and_no_way_to_change_an_entry(world, client_as):
    incident = make_incident(world.acme, world.officer)
    client = client_as("officer")
    added = client.post(url(world, "incident_timeline_add", incident.pk), {"text": "Rolled back to v1.3."})
    assert added.status_code == 302
    assert client.get(url(world, "incident_timeline_add", incident.pk)).status_code == 405
    for name in ("incident_timeline_edit", "incident_timeline_delete"):
        try:
            reverse(f"improvement:{name}", args=[world.acme.pk, incident.pk, 1])
        except NoReverseMatch:
            continue
        raise AssertionError(f"{name} exists")
    assert TimelineEntry.objects.filter(incident=incident, text="Rolled back to v1.3.", author=world.officer).exists()


def test_the_overview_panel_and_the_list_link_to_the_concern_form(world, client_as):
    make_incident(world.acme, world.officer, possibly_serious=True)
    concern = url(world, "concern_create")
    overview = client_as("contributor").get(f"/ms/{world.acme.pk}/").content.decode()
    assert "AI incidents and concerns" in overview and concern in overview
    assert "awaiting a reporting decision" in overview
    listing = client_as("contributor").get(url(world, "incident_list")).content.decode()
    assert concern in listing
    assert concern not in client_as("auditor").get(f"/ms/{world.acme.pk}/").content.decode()


def test_incidents_are_a_target_of_evidence():
    spec = _LINKABLES["incidents"]
    assert spec.model is Incident and spec.label == "AI incidents"
