"""Model records, dataset records and suppliers through the API."""

from __future__ import annotations

import pytest

from registers.models import DatasetRecord, ModelRecord, Supplier
from tests.factories import make_record
from tests.kit import assert_constant_queries, get_ok

ENDPOINTS = {"model-records": ModelRecord, "dataset-records": DatasetRecord, "suppliers": Supplier}


@pytest.mark.parametrize(
    ("endpoint", "payload"),
    [
        ("model-records", {"name": "Clinical BERT", "model_version": "2.1", "model_type": "classifier"}),
        ("dataset-records", {"name": "Triage notes 2024", "personal_data_categories": "Health data"}),
        ("suppliers", {"name": "ModelCo", "due_diligence_status": "approved"}),
    ],
)
def test_officer_creates_changes_and_reads_history_of_a_record(world, client_as, endpoint, payload):
    client = client_as("officer")
    created = client.post(
        f"/api/v1/{endpoint}/", {"management_system": world.acme.pk, **payload}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    record = ENDPOINTS[endpoint].objects.get(pk=created.json()["id"])
    assert record.reference.endswith("-001")
    url = f"/api/v1/{endpoint}/{record.pk}/"
    changed = client.patch(
        url, {"name": "Renamed", "change_reason": "Vendor rename"}, content_type="application/json", HTTP_IF_MATCH='"1"'
    )
    assert changed.status_code == 200
    assert changed["ETag"] == '"2"'
    history = client.get(url + "history/").json()["results"]
    assert [(v["version"], v["user"], v["change_reason"]) for v in history] == [
        (2, "officer", "Vendor rename"),
        (1, "officer", "Created through the API"),
    ]
    assert history[0]["changes"][0]["old"] == payload["name"]


@pytest.mark.parametrize(
    ("endpoint", "payload", "field"),
    [
        ("model-records", {"name": "m", "model_type": "telepathy"}, "model_type"),
        ("dataset-records", {"name": "d", "source": "s" * 301}, "source"),
        ("suppliers", {"name": "", "due_diligence_status": "approved"}, "name"),
    ],
)
def test_bad_record_input_is_refused_and_nothing_saved(world, client_as, endpoint, payload, field):
    response = client_as("officer").post(
        f"/api/v1/{endpoint}/", {"management_system": world.acme.pk, **payload}, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not ENDPOINTS[endpoint].objects.exists()


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_record_list_query_count_does_not_grow_with_rows(world, client_as, endpoint):
    model = ENDPOINTS[endpoint]
    for i in range(2):
        make_record(model, world.acme, user=world.officer, name=f"R{i}")
    listing = get_ok(client_as("auditor"), f"/api/v1/{endpoint}/", {"page_size": 100})
    assert listing().json()["count"] == 2

    def add_records():
        for i in range(2, 40):
            make_record(model, world.acme, user=world.officer, name=f"R{i}")

    assert_constant_queries(listing, add_records)
    assert listing().json()["count"] == 40
