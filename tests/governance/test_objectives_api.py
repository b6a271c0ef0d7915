"""API of objectives, metrics and measurements: append-only measurements (405s), corrections, If-Match, history,
filters, and who may do what."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.models import Measurement, Objective
from tests.governance.objectives_helpers import make_metric, make_objective, months_back, record
from tests.kit import PERSONAS

pytestmark = pytest.mark.django_db

API_WRITE = {
    "owner": 201, "officer": 201, "leader": 403, "contributor": 403, "auditor": 403,
    "expired_auditor": 400, "outsider": 400, "anonymous": 401,
}  # fmt: skip


@pytest.fixture
def objective(world):
    objective = make_objective(world.acme, world.officer)
    record(objective.metric, world.officer, "96", "90")
    return objective


def test_measurements_cannot_be_changed_or_deleted_through_the_api(world, api_as, objective):
    row = Measurement.objects.filter(metric=objective.metric).first()
    client = api_as("officer")
    url = f"/api/v1/measurements/{row.pk}/"
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(url, {"value": "1"}, format="json", HTTP_IF_MATCH='"1"')
        assert response.status_code == 405, method
        assert response["Content-Type"] == "application/json" and "not allowed" in response.json()["detail"]
    assert client.get(url).json()["value"] == 96


def test_a_measurement_and_its_correction_are_posted(world, api_as, objective):
    client = api_as("officer")
    period = months_back(3)[0]
    created = client.post(
        "/api/v1/measurements/", {"metric": objective.metric_id, "period": str(period.replace(day=9)), "value": "94"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["period"], body["recorded_by"], body["corrects"]) == (str(period), "officer", None)
    fixed = client.post(
        "/api/v1/measurements/", {"corrects": body["id"], "value": "95.5", "note": "Recount"}, format="json"
    )
    assert fixed.status_code == 201, fixed.content
    assert fixed.json()["period"] == str(period) and fixed.json()["corrects"] == body["id"]
    assert client.get(f"/api/v1/measurements/{body['id']}/").json()["corrected_by"] == fixed.json()["id"]
    again = client.post("/api/v1/measurements/", {"corrects": body["id"], "value": "1", "note": "x"}, format="json")
    assert again.status_code == 400 and "already corrected" in str(again.json())
    twice = client.post("/api/v1/measurements/", {"metric": objective.metric_id, "period": str(period), "value": "1"},
                        format="json")  # fmt: skip
    assert twice.status_code == 400
    assert client.post("/api/v1/measurements/", {"value": "1"}, format="json").status_code == 400
    listed = client.get("/api/v1/measurements/", {"metric": objective.metric_id, "period_from": str(period)}).json()
    assert [row["value"] for row in listed["results"]][:2] == [94, 95.5]


def test_who_may_post_a_measurement(world, api_as, objective):
    """Each persona posts a period of its own (one world for the whole matrix)."""
    assert set(PERSONAS) <= set(API_WRITE)
    for n, (persona, expected) in enumerate(API_WRITE.items()):
        before = Measurement.objects.count()
        body = {"metric": objective.metric_id, "period": str(months_back(4 + n)[0]), "value": "97"}
        assert api_as(persona).post("/api/v1/measurements/", body, format="json").status_code == expected, persona
        assert (Measurement.objects.count() == before + 1) is (expected == 201), persona


def test_outsiders_see_no_measurement_objective_or_metric(world, api_as, objective):
    row = Measurement.objects.filter(metric=objective.metric).first()
    client = api_as("outsider")
    for url in (f"/api/v1/measurements/{row.pk}/", f"/api/v1/objectives/{objective.pk}/",
                f"/api/v1/metrics/{objective.metric_id}/"):  # fmt: skip
        assert client.get(url).status_code == 404
    for url in ("/api/v1/measurements/", "/api/v1/objectives/", "/api/v1/metrics/"):
        assert client.get(url).json()["count"] == 0


def test_objectives_carry_their_standing_and_change_with_if_match(world, api_as, objective):
    client = api_as("officer")
    url = f"/api/v1/objectives/{objective.pk}/"
    body = client.get(url)
    standing = body.json()["standing"]
    assert (standing["latest_value"], standing["latest_met"], standing["target_missed"]) == (90, False, True)
    assert standing["missing_measurement"] is False and body["ETag"] == '"1"'
    assert client.patch(url, {"status": "at_risk"}, format="json").status_code == 428
    assert client.patch(url, {"status": "at_risk"}, format="json", HTTP_IF_MATCH='"9"').status_code == 412
    changed = client.patch(url, {"status": "at_risk", "change_reason": "Missed"}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed.json()["status"] == "at_risk"
    withdrawn = client.patch(url, {"status": "withdrawn"}, format="json", HTTP_IF_MATCH='"2"')
    assert withdrawn.status_code == 400
    history = client.get(f"{url}history/").json()["results"]
    assert [v["change_reason"] for v in history][:1] == ["Missed"]
    assert client.get("/api/v1/objectives/", {"progress": "at_risk"}).json()["count"] == 1
    assert client.get("/api/v1/objectives/", {"progress": "achieved"}).json()["count"] == 0
    retired = client.post(f"{url}retire/", {"reason": "Merged"}, format="json", HTTP_IF_MATCH='"2"')
    assert retired.status_code == 200 and Objective.objects.get(pk=objective.pk).status == "withdrawn"


def test_an_objective_cannot_name_a_metric_of_another_management_system(world, api_as):
    theirs = make_metric(world.northwind, world.outsider)
    mine = make_metric(world.acme, world.officer)
    body = {"management_system": world.acme.pk, "title": "T", "statement": "S", "metric": theirs.pk, "target": "T"}
    assert api_as("officer").post("/api/v1/objectives/", body, format="json").status_code == 400
    body["metric"] = mine.pk
    assert api_as("officer").post("/api/v1/objectives/", body, format="json").status_code == 201
    metric = api_as("officer").post(
        "/api/v1/metrics/",
        {"management_system": world.acme.pk, "name": "N", "measured": "M", "method": "M", "target_value": "5",
         "direction": "at_most", "cadence": "quarterly"},
        format="json",
    )  # fmt: skip
    assert metric.status_code == 201 and Decimal(metric.json()["target_value"]) == 5
