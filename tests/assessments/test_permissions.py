"""Permission matrix of risks, impact assessments and the heat map: persona x action x own / other management system.

Acme is the personas' management system; Northwind the outsider's. The contributor owns the
Acme risk "mine" and not "unowned"; both are within the acceptance threshold, so their owner
may accept them. Refused writes change nothing.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from aims.models import SignOff
from assessments.models import ImpactAssessment, Risk
from assessments.signoffs import ACCEPTANCE, APPROVAL
from tests.assessments.helpers import make_assessment, make_risk
from tests.factories import UserFactory, make_ai_system
from tests.kit import SYSTEMS, matrix, otp_header, sign_data

HIDDEN = {"list": False, "retrieve": 404, "history": 404, "create": 400, "update": 404, "delete": 404, "accept": 404}
ANONYMOUS = dict.fromkeys(HIDDEN, 401)
READER = {"list": True, "retrieve": 200, "history": 200, "create": 403, "update": 403, "delete": 403, "accept": 403}
EDITOR = {**READER, "create": 201, "update": 200, "delete": 204}
# What each persona gets in Acme; in Northwind, what their standing there gets (see tests.kit.standing).
IN_ACME = {
    "owner": {**EDITOR, "accept": 201},
    "officer": {**EDITOR, "accept": 201},  # a compliance officer holds the authority for low risks
    "leader": {**READER, "accept": 201},
    "contributor": READER,
    "auditor": READER,
    "expired_auditor": HIDDEN,
    "outsider": HIDDEN,
    "anonymous": ANONYMOUS,
}
OWNED = {"update": 200, "accept": 201}  # the risk owner edits and accepts their own risk
WITHIN = {"residual_likelihood": 2, "residual_consequence": 2}
TARGETS = {"mine": "acme", "unowned": "acme", "northwind": "northwind"}  # the risk asked for, and where it is


def make_risks(world):
    # Recorded by an analyst who is none of the personas: the four-eyes rule is tested elsewhere.
    analyst = UserFactory(username="risk_analyst")
    return {
        "mine": make_risk(world.acme, analyst, title="Mine", owner=world.contributor, **WITHIN),
        "unowned": make_risk(world.acme, analyst, title="Unowned", **WITHIN),
        "northwind": make_risk(world.northwind, world.outsider, title="Northwind risk", **WITHIN),
    }


@pytest.fixture
def risks(world):
    return make_risks(world)


def snapshot(risk):
    return (
        Risk.objects.count(),
        Risk.objects.filter(pk=risk.pk).values_list("title", "version").first(),
        SignOff.objects.count(),
    )


def call(client, world, action: str, target: str, risk, persona: str = "owner"):
    url = f"/api/v1/risks/{risk.pk}/"
    match = {"if-match": f'"{risk.version}"'}
    if action == "list":
        return client.get("/api/v1/risks/")
    if action == "retrieve":
        return client.get(url)
    if action == "history":
        return client.get(url + "history/")
    if action == "update":
        return client.patch(url, {"title": "Changed"}, content_type="application/json", headers=match)
    if action == "delete":
        return client.delete(url, headers=match)
    if action == "accept":
        # A sole member signs their own change with a reason; access is what this matrix tests.
        body = {"statement": "Accepted.", "override_reason": "Sole member of the management system."}
        headers = {**match, **otp_header(world, persona)}
        return client.post(url + "accept/", body, content_type="application/json", headers=headers)
    ms = world.northwind if target == "northwind" else world.acme
    body = {
        "management_system": ms.pk,
        "title": "New",
        "source": "privacy",
        "description": "D",
        "likelihood": 2,
        "consequence": 2,
    }
    return client.post("/api/v1/risks/", body, content_type="application/json")


ACTIONS = ["list", "retrieve", "history", "update", "delete", "accept", "create"]


@matrix(IN_ACME, where=TARGETS)
def test_risk_api_permission_matrix(world, client_as, persona, where, expected):
    """Every action on own / other management system; each case on fresh risks, refused writes change nothing."""
    if persona == "contributor" and where == "mine":
        expected = {**expected, **OWNED}
    client = client_as(persona)
    for action in ACTIONS:
        risk = make_risks(world)[where]
        want = expected[action]
        before = snapshot(risk)
        response = call(client, world, action, where, risk, persona)
        case = f"{persona} {action} {where}"
        if action == "list":
            listed = want == 401 or {r["id"] for r in response.json()["results"]} >= {risk.pk}
            assert response.status_code == (401 if want == 401 else 200) and listed is (want is True or want == 401), (
                case
            )
            continue
        assert response.status_code == want, (case, response.content)
        if want >= 400:
            assert snapshot(risk) == before, case


APPROVAL_STATUS = {
    "owner": 201,
    "officer": 403,
    "leader": 201,
    "contributor": 403,
    "auditor": 403,
    "expired_auditor": 404,
    "outsider": 404,
    "anonymous": 401,
}


@matrix(APPROVAL_STATUS, where=SYSTEMS)
def test_impact_assessment_api_approval_and_reading(world, client_as, persona, where, expected):
    ms, author = (world.northwind, world.outsider) if where == "northwind" else (world.acme, world.officer)
    assessment = make_assessment(ms, author, decision="proceed")
    client = client_as(persona)
    url = f"/api/v1/impact-assessments/{assessment.pk}/"
    read = client.get(url)
    assert read.status_code == (expected if expected in (401, 404) else 200)
    approve = client.post(
        url + "approve/",
        {"statement": "Approved.", "override_reason": "Sole member of the management system."},
        content_type="application/json",
        headers={"if-match": '"1"', **otp_header(world, persona)},
    )
    assert approve.status_code == expected, approve.content
    assert SignOff.objects.count() == (1 if expected == 201 else 0)


HEAT_MAP_STATUS = {
    **dict.fromkeys(["owner", "officer", "leader", "contributor", "auditor"], 200),
    "expired_auditor": 404,
    "outsider": 404,
    "anonymous": 401,
}


@matrix(HEAT_MAP_STATUS)
def test_heat_map_api_shows_only_visible_management_systems(world, client_as, persona, expected):
    make_risk(world.acme, world.officer, likelihood=5, consequence=5)
    client = client_as(persona)
    response = client.get(f"/api/v1/management-systems/{world.acme.pk}/heatmap/")
    assert response.status_code == expected
    if expected == 200:
        cells = response.json()["inherent"]
        assert [c["count"] for c in cells if (c["likelihood"], c["consequence"]) == (5, 5)] == [1]


# --- HTML pages ------------------------------------------------------------------------

PAGE_EXPECTED = {
    # persona: (new risk form, edit unowned risk, accept unowned risk, new impact assessment, approve)
    "owner": (200, 200, 302, 200, 302),
    "officer": (200, 200, 302, 200, 403),
    "leader": (403, 403, 302, 403, 302),
    "contributor": (403, 403, 403, 403, 403),
    "auditor": (403, 403, 403, 403, 403),
    "expired_auditor": (404, 404, 404, 404, 404),
    "outsider": (404, 404, 404, 404, 404),
}


@matrix(PAGE_EXPECTED)
def test_risk_pages_permission_matrix(world, client_as, risks, persona, expected):
    client = client_as(persona)
    ms = world.acme.pk
    risk = risks["unowned"]
    assessment = make_assessment(world.acme, world.officer, decision="proceed")
    got = (
        client.get(reverse("assessments:risk_create", args=[ms])).status_code,
        client.get(reverse("assessments:risk_edit", args=[ms, risk.pk])).status_code,
        client.post(
            reverse("assessments:risk_accept", args=[ms, risk.pk]),
            sign_data(ACCEPTANCE, risk, "OK", signer=world.users[persona]),
        ).status_code,
        client.get(reverse("assessments:impact_create", args=[ms])).status_code,
        client.post(
            reverse("assessments:impact_approve", args=[ms, assessment.pk]),
            sign_data(APPROVAL, assessment, "OK", signer=world.users[persona]),
        ).status_code,
    )
    assert got == expected
    assert SignOff.objects.count() == got.count(302)
    assert ImpactAssessment.objects.count() == 1


def test_contributor_edits_and_accepts_the_risk_they_own_on_its_pages(world, client_as, risks):
    client = client_as("contributor")
    mine = risks["mine"]
    assert client.get(reverse("assessments:risk_edit", args=[world.acme.pk, mine.pk])).status_code == 200
    response = client.post(
        reverse("assessments:risk_accept", args=[world.acme.pk, mine.pk]),
        sign_data(ACCEPTANCE, mine, "Mine, accepted.", signer=world.contributor),
    )
    assert response.status_code == 302 and SignOff.objects.get().signer == world.contributor


# persona: (create, change); to whom the management system or record does not exist, 400 and 404
WRITES = {
    "owner": (201, 200),
    "officer": (201, 200),
    "leader": (403, 403),
    "contributor": (403, 403),
    "auditor": (403, 403),
    "expired_auditor": (400, 404),
    "outsider": (400, 404),
    "anonymous": (401, 401),
}


@matrix(WRITES, where=SYSTEMS)
def test_criteria_and_impact_assessment_writes_permission_matrix(world, client_as, persona, where, expected):
    """Create criteria, create and change impact assessments in own and other management systems."""
    create_status, change_status = expected
    client = client_as(persona)
    ms, author = (world.northwind, world.outsider) if where == "northwind" else (world.acme, world.officer)
    system = make_ai_system(ms, user=author)
    existing = make_assessment(ms, author, system=system)
    criteria = client.post("/api/v1/risk-criteria/", {"management_system": ms.pk}, content_type="application/json")
    assert criteria.status_code == create_status, (persona, where, criteria.content)
    body = {"management_system": ms.pk, "ai_system": system.pk, "title": "AIIA", "scope": "All"}
    created = client.post("/api/v1/impact-assessments/", body, content_type="application/json")
    assert created.status_code == create_status, (persona, where, created.content)
    changed = client.patch(
        f"/api/v1/impact-assessments/{existing.pk}/",
        {"title": "Changed"},
        content_type="application/json",
        headers={"if-match": '"1"'},
    )
    assert changed.status_code == change_status, (persona, where, changed.content)
    existing.refresh_from_db()
    assert (existing.title == "Changed") is (changed.status_code == 200)
