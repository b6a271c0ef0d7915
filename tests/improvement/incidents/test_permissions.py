"""Permission matrix of the incident pages and API: persona x action x own / other management system.

Acme is the personas' management system; Northwind the outsider's (there the outsider is the
owner and every Acme persona is nobody). Each action runs on a fresh incident recorded by an
analyst who is none of the personas, so that the four-eyes rule stays out of the way. Refused
writes change nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aims.models import SignOff
from controls.catalog import CLAUSES
from controls.models import Control
from improvement.incidents import services
from improvement.models import Incident, TimelineEntry
from tests.factories import UserFactory
from tests.improvement.incidents.conftest import high_risk_system, make_incident
from tests.kit import matrix, otp_header, second_factor

READER = {"list": True, "retrieve": 200, "history": 200, "timeline_read": 200}
NO_WRITE = dict.fromkeys(
    ["create", "update", "timeline", "triage", "transition", "obligation", "retire", "decide"], 403
)
HIDDEN = {
    "list": False, "retrieve": 404, "history": 404, "timeline_read": 404, "create": 400,
    **dict.fromkeys(["update", "timeline", "triage", "transition", "obligation", "retire", "decide"], 404),
    "concern": 400,
}  # fmt: skip
EDITOR = {**READER, **NO_WRITE, "create": 201, "update": 200, "timeline": 201, "triage": 200, "transition": 200,
          "obligation": 200, "retire": 200, "concern": 201}  # fmt: skip
IN_ACME = {
    "owner": {**EDITOR, "decide": 201},
    "officer": EDITOR,
    "leader": {**READER, **NO_WRITE, "decide": 201, "concern": 201},
    "contributor": {**READER, **NO_WRITE, "concern": 201},
    "auditor": {**READER, **NO_WRITE, "concern": 403},
    "expired_auditor": HIDDEN,
    "outsider": HIDDEN,
    "anonymous": {**dict.fromkeys(HIDDEN, 401), "list": 401},
}
TARGETS = {"acme": "acme", "northwind": "northwind"}
ACTIONS = ["list", "retrieve", "history", "timeline_read", "create", "update", "timeline", "triage", "transition",
           "obligation", "retire", "decide", "concern"]  # fmt: skip


def fresh_incident(world, where: str, action: str = "") -> Incident:
    """A possibly serious breach of a high-risk system; triaged already when the action is a transition."""
    ms = world.northwind if where == "northwind" else world.acme
    analyst = UserFactory(username="incident_analyst")
    system = high_risk_system(ms, analyst, name=f"Chatbot {Incident.objects.count()}")
    incident = make_incident(
        ms, analyst, ai_systems=[system], possibly_serious=True, personal_data_breach=True,
        detected_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    if action == "transition":
        incident = services.incident_triage(incident, user=analyst, expected_version=1, outcome="none", reason="R")
    return incident


def snapshot(incident: Incident):
    return (
        Incident.objects.count(),
        Incident.objects.filter(pk=incident.pk).values_list("title", "version", "status").first(),
        TimelineEntry.objects.filter(incident=incident).count(),
        list(incident.obligations.values_list("version", flat=True)),
        SignOff.objects.count(),
    )


def call(client, world, action: str, where: str, incident: Incident, persona: str):
    url = f"/api/v1/incidents/{incident.pk}/"
    ms = world.northwind if where == "northwind" else world.acme
    match = {"if-match": f'"{incident.version}"'}
    post = lambda path, body, headers=None: client.post(  # noqa: E731
        url + path, body, content_type="application/json", headers=headers or {}
    )
    if action == "list":
        return client.get("/api/v1/incidents/")
    if action == "retrieve":
        return client.get(url)
    if action == "history":
        return client.get(url + "history/")
    if action == "timeline_read":
        return client.get(url + "timeline/")
    if action == "update":
        return client.patch(url, {"title": "Changed"}, content_type="application/json", headers=match)
    if action == "timeline":
        return post("timeline/", {"text": "Vendor informed."})
    if action == "triage":
        return post("triage/", {"outcome": "none", "reason": "No fault found."}, match)
    if action == "transition":
        return post("transition/", {"to": "resolved", "reason": "Fixed"}, match)
    if action == "obligation":
        obligation = incident.obligations.get(regime="gdpr-art-33")
        return post(
            f"obligations/{obligation.pk}/",
            {"waived_reason": "No risk to people."},
            {"if-match": f'"{obligation.version}"'},
        )
    if action == "retire":
        return post("retire/", {"reason": "Duplicate"}, match)
    if action == "decide":
        body = {"decision": "report", "reason": "Patients may be harmed.", "statement": "Decided."}
        return post("decide-reporting/", body, {**match, **otp_header(world, persona)})
    if action == "concern":
        body = {"management_system": ms.pk, "title": "Odd", "description": "It said odd things."}
        return client.post("/api/v1/incidents/concern/", body, content_type="application/json")
    body = {"management_system": ms.pk, "title": "New", "description": "D"}
    return client.post("/api/v1/incidents/", body, content_type="application/json")


@matrix(IN_ACME, where=TARGETS)
def test_incident_api_permission_matrix(world, api_as, persona, where, expected):
    """Every API action on own / other management system; refused writes change nothing."""
    client = api_as(persona)
    for action in ACTIONS:
        incident = fresh_incident(world, where, action)
        want = expected[action]
        before = snapshot(incident)
        response = call(client, world, action, where, incident, persona)
        case = f"{persona} {action} {where}"
        if action == "list":
            assert response.status_code == (401 if want == 401 else 200), case
            if want != 401:
                listed = {row["id"] for row in response.json()["results"]}
                assert (incident.pk in listed) is want, case
            continue
        assert response.status_code == want, (case, response.content)
        if want >= 400:
            assert snapshot(incident) == before, case


# --- HTML pages ----------------------------------------------------------------------------------------

VISIBLE = ("list", "detail", "history")
PAGES = ("create", "edit", "triage", "obligation", "withdraw", "timeline", "transition", "decide", "concern")
READS = dict.fromkeys(VISIBLE, 200)
PAGE_EXPECTED = {
    "owner": {**READS, **dict.fromkeys(PAGES, 200), "timeline": 302, "transition": 302, "decide": 302},
    "officer": {**READS, **dict.fromkeys(PAGES, 200), "timeline": 302, "transition": 302, "decide": 403},
    "leader": {**READS, **dict.fromkeys(PAGES, 403), "decide": 302, "concern": 200},
    "contributor": {**READS, **dict.fromkeys(PAGES, 403), "concern": 200},
    "auditor": {**READS, **dict.fromkeys(PAGES, 403)},
    "expired_auditor": dict.fromkeys(VISIBLE + PAGES, 404),
    "outsider": dict.fromkeys(VISIBLE + PAGES, 404),
    "anonymous": dict.fromkeys(VISIBLE + PAGES, 302),
}


def page_request(client, world, name: str, incident: Incident, persona: str) -> int:
    ms = incident.management_system_id
    url = lambda view, *args: reverse(f"improvement:{view}", args=[ms, *args])  # noqa: E731
    if name == "list":
        return client.get(url("incident_list")).status_code
    if name == "create":
        return client.get(url("incident_create")).status_code
    if name == "concern":
        return client.get(url("concern_create")).status_code
    if name in ("detail", "history", "edit", "triage", "withdraw"):
        view = {"detail": "incident_detail", "history": "incident_history", "edit": "incident_edit",
                "triage": "incident_triage", "withdraw": "incident_withdraw"}[name]  # fmt: skip
        return client.get(url(view, incident.pk)).status_code
    if name == "obligation":
        obligation = incident.obligations.first()
        return client.get(url("incident_obligation", incident.pk, obligation.pk)).status_code
    if name == "timeline":
        return client.post(url("incident_timeline_add", incident.pk), {"text": "Called the vendor."}).status_code
    if name == "transition":
        data = {"version": incident.version, "to": "resolved", "reason": "Fixed"}
        return client.post(url("incident_transition", incident.pk), data).status_code
    signer = world.users.get(persona)
    data = {
        "signed_version": str(incident.version), "statement": "Decided.", "confirmed": "on",
        "second_factor": second_factor(signer) if signer else "x", "decision": "report",
        "decision_reason": "Patients may be harmed.",
    }  # fmt: skip
    return client.post(url("incident_decide", incident.pk), data).status_code


@matrix(PAGE_EXPECTED)
def test_incident_pages_permission_matrix(world, client_as, persona, expected):
    client = client_as(persona)
    for name in VISIBLE + PAGES:
        incident = fresh_incident(world, "acme", name)
        before = snapshot(incident)
        got = page_request(client, world, name, incident, persona)
        assert got == expected[name], (persona, name)
        if got in (403, 404) or (persona == "anonymous"):
            assert snapshot(incident) == before, (persona, name)


@pytest.mark.parametrize("persona", ["owner", "officer", "leader", "contributor", "auditor"])
def test_pages_of_another_management_system_are_not_found(world, client_as, persona):
    client = client_as(persona)
    for name in VISIBLE + PAGES:
        incident = fresh_incident(world, "northwind", name)
        assert page_request(client, world, name, incident, persona) == 404, name


def test_the_contributor_who_owns_an_incident_edits_it_but_does_not_withdraw_it(world, client_as):
    incident = fresh_incident(world, "acme")
    incident = services.incident_update(incident, user=world.officer, expected_version=1, owner=world.contributor)
    client = client_as("contributor")
    ms = world.acme.pk
    assert client.get(reverse("improvement:incident_edit", args=[ms, incident.pk])).status_code == 200
    assert client.get(reverse("improvement:incident_triage", args=[ms, incident.pk])).status_code == 200
    assert client.get(reverse("improvement:incident_withdraw", args=[ms, incident.pk])).status_code == 403
    added = client.post(reverse("improvement:incident_timeline_add", args=[ms, incident.pk]), {"text": "Looked at it."})
    assert added.status_code == 302
    # Raising a nonconformity is a compliance officer's or an owner's: the incident owner may not.
    data = {"version": incident.version, "outcome": "nonconformity", "reason": "R", "nc_grade": "minor",
            "requirements": [Control.objects.get(framework__key=CLAUSES, key="10.2").pk]}  # fmt: skip
    assert client.post(reverse("improvement:incident_triage", args=[ms, incident.pk]), data).status_code == 403
