"""The risk, criteria, impact assessment and heat map API."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from aims import ledger
from assessments.models import Risk
from controls.models import Control
from tests.assessments.helpers import make_assessment, make_criteria, make_risk
from tests.factories import make_ai_system
from tests.kit import second_factor


def test_officer_creates_a_scored_risk_with_controls_and_actions(world, client_as):
    make_criteria(world.acme, world.officer)
    system = make_ai_system(world.acme, user=world.officer)
    controls = list(Control.objects.filter(framework__key="iso42001-2023-annex-a").order_by("position")[:2])
    body = {
        "management_system": world.acme.pk, "title": "Drift", "source": "ml_specific", "description": "Model drifts",
        "likelihood": 4, "consequence": 3, "residual_likelihood": 2, "residual_consequence": 2, "ai_systems": [system.pk],
        "controls": [c.pk for c in controls], "owner": world.officer.pk,
        "actions": [{"description": "Monthly drift report", "owner": world.officer.pk, "due_date": "2030-01-31"}],
    }  # fmt: skip
    response = client_as("officer").post("/api/v1/risks/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["inherent_level"], data["residual_level"], data["evaluation"]) == ("high", "low", "above")
    assert data["criteria_version"] == 1 and data["reference"] == "RISK-001" and response["ETag"] == '"1"'
    assert data["control_keys"] == [c.key for c in controls]
    assert [a["description"] for a in data["actions"]] == ["Monthly drift report"]
    assert data["latest_sign_off"] is None and data["changed_since_signed"] is False


def test_stale_update_is_refused_with_412_and_history_shows_the_control_change(world, client_as):
    risk = make_risk(world.acme, world.officer)
    client = client_as("officer")
    control = Control.objects.filter(framework__key="iso42001-2023-annex-a").order_by("position").first()
    ok = client.patch(
        f"/api/v1/risks/{risk.pk}/",
        {"controls": [control.pk]},
        content_type="application/json",
        headers={"if-match": '"1"'},
    )
    assert ok.status_code == 200 and ok["ETag"] == '"2"'
    stale = client.patch(
        f"/api/v1/risks/{risk.pk}/", {"title": "Lost"}, content_type="application/json", headers={"if-match": '"1"'}
    )
    assert stale.status_code == 412 and Risk.objects.get().title != "Lost"
    history = client.get(f"/api/v1/risks/{risk.pk}/history/").json()["results"]
    assert [v["type"] for v in history] == ["changed", "created"]
    assert history[0]["changes"][0]["field"] == "controls" and control.key in history[0]["changes"][0]["new"]


def test_accept_endpoint_binds_the_version_and_reports_changes(world, client_as):
    risk = make_risk(
        world.acme, world.officer, residual_likelihood=4, residual_consequence=4, acceptance_rationale="Proportionate."
    )
    leader = client_as("leader")
    accepted = leader.post(
        f"/api/v1/risks/{risk.pk}/accept/",
        {"statement": "Accepted."},
        content_type="application/json",
        headers={"if-match": '"1"', "x-otp": second_factor(world.leader)},
    )
    assert accepted.status_code == 201 and accepted.json()["kind"] == "risk_acceptance"
    client_as("officer").patch(
        f"/api/v1/risks/{risk.pk}/", {"title": "Edited"}, content_type="application/json", headers={"if-match": '"1"'}
    )
    data = leader.get(f"/api/v1/risks/{risk.pk}/").json()
    assert data["signed_version"] == 1 and data["version"] == 2 and data["changed_since_signed"] is True
    assert ledger.verify(world.acme)["ok"]
    missing = leader.post(f"/api/v1/risks/{risk.pk}/accept/", {"statement": "Again"}, content_type="application/json")
    assert missing.status_code == 428


def test_criteria_api_creates_versions_and_refuses_changing_a_used_one(world, client_as):
    client = client_as("officer")
    first = client.post("/api/v1/risk-criteria/", {"management_system": world.acme.pk}, content_type="application/json")
    assert first.status_code == 201 and first.json()["number"] == 1 and len(first.json()["likelihood_scale"]) == 5
    make_risk(world.acme, world.officer)
    pk = first.json()["id"]
    refused = client.patch(
        f"/api/v1/risk-criteria/{pk}/",
        {"acceptable_level": "high"},
        content_type="application/json",
        headers={"if-match": '"1"'},
    )
    assert refused.status_code == 400
    assert client.delete(f"/api/v1/risk-criteria/{pk}/", headers={"if-match": '"1"'}).status_code == 405
    second = client.post(
        "/api/v1/risk-criteria/",
        {"management_system": world.acme.pk, "acceptable_level": "high"},
        content_type="application/json",
    )
    assert second.json()["number"] == 2
    assert client.get(f"/api/v1/risk-criteria/{pk}/history/").status_code == 200


def test_heat_map_json_counts_inherent_and_residual_cells_and_goes_back_in_time(world, client_as):
    make_risk(world.acme, world.officer, likelihood=5, consequence=4, residual_likelihood=2, residual_consequence=2)
    yesterday = (timezone.now() - timedelta(days=1)).isoformat()
    client = client_as("auditor")
    data = client.get(f"/api/v1/management-systems/{world.acme.pk}/heatmap/").json()
    cell = {(c["likelihood"], c["consequence"]): c for c in data["inherent"]}
    assert cell[(5, 4)]["count"] == 1 and cell[(5, 4)]["level"] == "critical" and len(data["inherent"]) == 25
    assert [c["count"] for c in data["residual"] if (c["likelihood"], c["consequence"]) == (2, 2)] == [1]
    assert data["criteria"]["version"] == 1 and data["total"] == 1
    past = client.get(f"/api/v1/management-systems/{world.acme.pk}/heatmap/", {"as_of": yesterday}).json()
    assert past["criteria"] is None and past["total"] == 0
    assert client.get(f"/api/v1/management-systems/{world.acme.pk}/heatmap/", {"as_of": "nonsense"}).status_code == 400


def test_impact_assessment_api_rows_and_approval(world, client_as):
    system = make_ai_system(world.acme, user=world.officer)
    client = client_as("officer")
    body = {
        "management_system": world.acme.pk, "ai_system": system.pk, "title": "AIIA", "scope": "Portal",
        "vulnerable_groups_affected": True, "vulnerable_groups": "Children",
        "rows": [{"area": "privacy", "affected_group": "Children", "description": "Data of minors", "severity": 4, "likelihood": 2}],
    }  # fmt: skip
    created = client.post("/api/v1/impact-assessments/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["reference"] == "AIIA-001" and data["rows"][0]["affected_group"] == "Children"
    url = f"/api/v1/impact-assessments/{data['id']}/"
    leader = client_as("leader")
    pending = leader.post(
        url + "approve/", {"statement": "OK"}, content_type="application/json", headers={"if-match": '"1"'}
    )
    assert pending.status_code == 400 and "decision" in pending.content.decode()
    client.patch(url, {"decision": "proceed"}, content_type="application/json", headers={"if-match": '"1"'})
    approved = leader.post(
        url + "approve/",
        {"statement": "Proceed."},
        content_type="application/json",
        headers={"if-match": '"2"', "x-otp": second_factor(world.leader)},
    )
    assert approved.status_code == 201
    assert leader.get(url).json()["latest_sign_off"]["signer"] == "leader"


def test_impact_assessment_rows_keep_their_ids_when_updated(world):
    from assessments import services

    assessment = make_assessment(
        world.acme,
        world.officer,
        rows=[{"area": "privacy", "affected_group": "A", "description": "x", "severity": 2, "likelihood": 2}],
    )
    row = assessment.rows.get()
    services.impact_assessment_update(
        assessment, user=world.officer, expected_version=1,
        rows=[{"id": row.pk, "area": "privacy", "affected_group": "B", "description": "x", "severity": 2, "likelihood": 2}],
    )  # fmt: skip
    assert list(assessment.rows.values_list("pk", "affected_group")) == [(row.pk, "B")]
