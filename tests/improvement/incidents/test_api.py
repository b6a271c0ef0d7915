"""The incidents API: concurrency (ETag, If-Match), the handling's actions, refusals as 400 with the reason,
the concern endpoint, and the filters it shares with the page."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from aims.models import SignOff
from controls.catalog import CLAUSES
from controls.models import Control
from improvement.models import Incident, Nonconformity, ReportingObligation, TimelineEntry
from tests.assessments.helpers import make_risk
from tests.factories import make_ai_system
from tests.improvement.incidents.conftest import high_risk_system, make_incident
from tests.kit import listed_by_api, listed_on_page, otp_header

API = "/api/v1/incidents/"


def post(client, url, body, version=None, **headers):
    if version is not None:
        headers["if-match"] = f'"{version}"'
    return client.post(url, body, content_type="application/json", headers=headers)


def test_create_through_the_api_computes_obligations_and_answers_with_an_etag(world, api_as):
    system = high_risk_system(world.acme, world.officer)
    detected = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)
    body = {
        "management_system": world.acme.pk, "title": "Wrong triage", "description": "D", "ai_systems": [system.pk],
        "possibly_serious": True, "death_possible": True, "detected_at": detected.isoformat(),
    }  # fmt: skip
    response = api_as("officer").post(API, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert response["ETag"] == '"1"' and data["reference"] == "INC-001" and data["reporter"] == "officer"
    [obligation] = data["obligations"]
    assert obligation["regime"] == "eu-ai-act-art-73" and obligation["deadline_basis"].startswith("10 days")
    assert data["status"] == "reported" and data["overdue"] is False


def test_writes_need_if_match_and_a_stale_one_is_refused_with_412(world, api_as):
    incident = make_incident(world.acme, world.officer)
    client = api_as("officer")
    url = f"{API}{incident.pk}/"
    assert client.patch(url, {"title": "X"}, format="json").status_code == 428
    assert client.patch(url, {"title": "X"}, format="json", headers={"if-match": '"9"'}).status_code == 412
    assert post(client, url + "triage/", {"outcome": "none", "reason": "R"}, version=9).status_code == 412
    assert post(client, url + "transition/", {"to": "resolved", "reason": "R"}).status_code == 428
    assert Incident.objects.get(pk=incident.pk).version == 1
    changed = client.patch(url, {"title": "X"}, format="json", headers={"if-match": '"1"'})
    assert changed.status_code == 200 and changed["ETag"] == '"2"'
    history = client.get(url + "history/").json()["results"]
    assert [v["version"] for v in history] == [2, 1] and history[0]["changes"][0]["field"] == "title"


def test_refusals_are_400_with_the_reason_and_change_nothing(world, api_as):
    incident = make_incident(world.acme, world.officer, personal_data_breach=True)
    client = api_as("officer")
    url = f"{API}{incident.pk}/"
    closing = post(client, url + "transition/", {"to": "closed", "reason": "Done"}, version=1)
    assert closing.status_code == 400 and "cannot move to closed" in str(closing.json())
    nc = post(client, url + "triage/", {"outcome": "nonconformity", "reason": "R"}, version=1)
    assert nc.status_code == 400 and "requirements" in nc.json()
    client_triaged = post(client, url + "triage/", {"outcome": "none", "reason": "A user error."}, version=1)
    assert client_triaged.status_code == 200 and client_triaged.json()["status"] == "triaged"
    post(client, url + "transition/", {"to": "resolved", "reason": "Fixed"}, version=2)
    refused = post(client, url + "transition/", {"to": "closed", "reason": "Done"}, version=3)
    assert refused.status_code == 400
    assert "GDPR: notification of a personal data breach: record its submission" in str(refused.json())
    assert Incident.objects.get(pk=incident.pk).status == "resolved"


def test_triage_to_a_nonconformity_through_the_api_links_both_ways(world, api_as):
    incident = make_incident(world.acme, world.officer)
    clause = Control.objects.get(framework__key=CLAUSES, key="8.1")
    body = {"outcome": "nonconformity", "reason": "Procedure not followed.", "requirements": [clause.pk]}
    response = post(api_as("officer"), f"{API}{incident.pk}/triage/", body, version=1)
    assert response.status_code == 200, response.content
    nc = Nonconformity.objects.get()
    assert response.json()["nonconformities"] == [{"id": nc.pk, "reference": nc.reference}]
    assert nc.source_incident_id == incident.pk


def test_triage_to_a_risk_through_the_api_takes_only_a_risk_the_user_may_see(world, api_as):
    incident = make_incident(world.acme, world.officer)
    foreign = make_risk(world.northwind, world.outsider)
    client = api_as("officer")
    url = f"{API}{incident.pk}/triage/"
    hidden = post(client, url, {"outcome": "risk", "reason": "R", "risk": foreign.pk}, version=1)
    assert hidden.status_code == 400 and "risk" in hidden.json()
    risk = make_risk(world.acme, world.officer)
    linked = post(client, url, {"outcome": "risk", "reason": "Raises it.", "risk": risk.pk}, version=1)
    assert linked.status_code == 200 and linked.json()["outcome_risk"] == risk.pk


def test_timeline_is_appended_and_read_but_never_changed_through_the_api(world, api_as):
    incident = make_incident(world.acme, world.officer)
    client = api_as("officer")
    url = f"{API}{incident.pk}/timeline/"
    added = post(client, url, {"text": "Supplier called back."})
    assert added.status_code == 201 and added.json()["author"] == "officer"
    assert [e["text"] for e in client.get(url).json()] == ["Recorded (staff concern).", "Supplier called back."]
    assert client.put(url, {"text": "x"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert post(client, url, {"text": "  "}).status_code == 400
    assert TimelineEntry.objects.filter(incident=incident).count() == 2


def test_incidents_are_withdrawn_never_deleted(world, api_as):
    incident = make_incident(world.acme, world.officer)
    client = api_as("owner")
    assert client.delete(f"{API}{incident.pk}/", headers={"if-match": '"1"'}).status_code == 405
    withdrawn = post(client, f"{API}{incident.pk}/retire/", {"reason": "Duplicate of INC-002"}, version=1)
    assert withdrawn.status_code == 200 and withdrawn.json()["retired_reason"] == "Duplicate of INC-002"
    assert incident.pk not in [row["id"] for row in client.get(API).json()["results"]]
    assert client.get(API, {"status": "withdrawn"}).json()["results"][0]["id"] == incident.pk


def test_obligation_submission_and_waiver_through_the_api(world, api_as):
    incident = make_incident(world.acme, world.officer, personal_data_breach=True)
    obligation = ReportingObligation.objects.get(incident=incident)
    client = api_as("officer")
    url = f"{API}{incident.pk}/obligations/{obligation.pk}/"
    both = post(client, url, {"submitted_on": timezone.now().isoformat(), "waived_reason": "No"}, version=1)
    assert both.status_code == 400 and "either submitted or waived" in str(both.json())
    body = {"submitted_on": timezone.now().isoformat(), "submission_reference": "ICO-7781"}
    done = post(client, url, body, version=1)
    assert done.status_code == 200 and done.json()["is_settled"] and done["ETag"] == '"2"'
    assert post(client, url, {"waived_reason": "x"}, version=1).status_code == 412
    other = make_incident(world.acme, world.officer)
    assert post(client, f"{API}{other.pk}/obligations/{obligation.pk}/", {}, version=2).status_code == 404


def test_leadership_decides_through_the_api_with_a_second_factor(world, api_as, serious):
    client = api_as("leader")
    url = f"{API}{serious.pk}/decide-reporting/"
    body = {"decision": "do_not_report", "reason": "Never reached a patient.", "statement": "Decided."}
    assert post(client, url, body, version=1).status_code == 400  # no X-OTP: nothing signed
    assert post(client, url, body, version=1, **{"x-otp": "000000"}).status_code == 400
    assert SignOff.objects.count() == 0 and Incident.objects.get(pk=serious.pk).report_decision == ""
    signed = post(client, url, body, version=1, **otp_header(world, "leader"))
    assert signed.status_code == 201, signed.content
    assert signed.json()["kind"] == "incident_reporting_decision"
    data = client.get(f"{API}{serious.pk}/").json()
    assert data["report_decision"] == "do_not_report" and data["obligations"][0]["is_settled"]


def test_four_eyes_through_the_api(world, api_as, serious):
    client = api_as("owner")
    changed = client.patch(f"{API}{serious.pk}/", {"severity": "critical"}, format="json", headers={"if-match": '"1"'})
    assert changed.status_code == 200
    body = {"decision": "report", "reason": "Harm possible.", "statement": "Decided."}
    own = post(client, f"{API}{serious.pk}/decide-reporting/", body, version=2, **otp_header(world, "owner"))
    assert own.status_code == 400 and "override_reason" in own.json()
    body["override_reason"] = "Only owner on call tonight."
    signed = post(client, f"{API}{serious.pk}/decide-reporting/", body, version=2, **otp_header(world, "owner"))
    assert signed.status_code == 201 and signed.json()["override_reason"] == "Only owner on call tonight."


def test_an_anonymous_concern_through_the_api_names_nobody(world, api_as):
    body = {"management_system": world.acme.pk, "title": "Odd", "description": "It said odd things.", "anonymous": True}
    response = api_as("contributor").post(f"{API}concern/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["reporter"] is None and data["anonymous"] and data["channel"] == "staff_concern"
    incident = Incident.objects.get(pk=data["id"])
    assert list(incident.history.values_list("history_user", flat=True)) == [None]
    history = api_as("officer").get(f"{API}{incident.pk}/history/").json()["results"]
    assert history[0]["user"] is None


def test_the_api_filters_like_the_page(world, api_as, client_as):
    system = make_ai_system(world.acme, user=world.officer, name="Summariser")
    make_incident(world.acme, world.officer, title="Breach", incident_type="privacy", personal_data_breach=True,
                  detected_at=timezone.now() - timedelta(days=5))  # fmt: skip
    make_incident(world.acme, world.officer, title="Drift", incident_type="drift", severity="high", ai_systems=[system])
    make_incident(world.acme, world.officer, title="Serious", possibly_serious=True, channel="complaint")
    page, api = client_as("auditor"), api_as("auditor")
    url = f"/ms/{world.acme.pk}/improvement/incidents/"
    for params in [
        {"type": "privacy"}, {"severity": "high"}, {"system": system.pk}, {"overdue": "yes"}, {"channel": "complaint"},
        {"decision": "yes"}, {"q": "drift"}, {"status": "reported"}, {"status": "closed"},
    ]:  # fmt: skip
        on_page = listed_on_page(page, url, params)
        assert on_page == listed_by_api(api, API, {**params, "management_system": world.acme.pk}), params
        assert on_page or params == {"status": "closed"}, params
