"""Model records, dataset records and suppliers: one set of generic pages for the three."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registers.models import DatasetRecord, ModelRecord, Supplier
from tests.factories import make_ai_system, make_record
from tests.kit import assert_constant_queries, get_ok

pytestmark = pytest.mark.django_db

KINDS = {
    "model-records": (
        ModelRecord,
        {"name": "Triage classifier", "model_version": "2.1", "provider": "In-house", "model_type": "classifier"},
    ),
    "dataset-records": (
        DatasetRecord,
        {"name": "Portal messages 2024", "source": "Patient portal", "personal_data_categories": "Health data"},
    ),
    "suppliers": (
        Supplier,
        {"name": "Cirrus AI Cloud", "due_diligence_status": "in_progress", "contract_reference": "C-42"},
    ),
}


def url(name: str, ms, kind: str, *args) -> str:
    return reverse(f"registers:{name}", args=[ms.pk, kind, *args])


@pytest.mark.parametrize("kind", KINDS)
def test_officer_creates_edits_and_sees_history(world, client_as, kind):
    model, data = KINDS[kind]
    client = client_as("officer")
    assert client.get(url("record_create", world.acme, kind)).status_code == 200

    created = client.post(url("record_create", world.acme, kind), data)

    record = model.objects.get(name=data["name"])
    assert created["Location"] == url("record_detail", world.acme, kind, record.pk)
    assert record.management_system == world.acme and record.reference.endswith("-001")
    edited = client.post(
        url("record_edit", world.acme, kind, record.pk),
        {**data, "name": "Renamed", "version": 1, "change_reason": "Supplier renamed"},
    )
    assert edited.status_code == 302
    record.refresh_from_db()
    assert record.name == "Renamed" and record.version == 2
    history = client_as("auditor").get(url("record_history", world.acme, kind, record.pk)).content.decode()
    assert "Supplier renamed" in history and "Renamed" in history and data["name"] in history


@pytest.mark.parametrize("kind", KINDS)
def test_stale_record_edit_is_refused(world, client_as, kind):
    model, data = KINDS[kind]
    record = make_record(model, world.acme, user=world.owner, name="Original")
    client_as("officer").post(url("record_edit", world.acme, kind, record.pk), {**data, "name": "First", "version": 1})

    response = client_as("owner").post(
        url("record_edit", world.acme, kind, record.pk), {**data, "name": "Second", "version": 1}
    )

    assert response.status_code == 409
    record.refresh_from_db()
    assert record.name == "First"


@pytest.mark.parametrize("kind", KINDS)
def test_record_bad_input_saves_nothing(world, client_as, kind):
    model, data = KINDS[kind]
    response = client_as("officer").post(url("record_create", world.acme, kind), {**data, "name": "n" * 201})
    assert "name" in response.context["form"].errors
    assert not model.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("auditor", 403), ("contributor", 403), ("outsider", 404)])
def test_readers_cannot_create_or_edit_records(world, client_as, persona, status):
    record = make_record(Supplier, world.acme, user=world.owner, name="Kept")
    client = client_as(persona)

    assert client.post(url("record_create", world.acme, "suppliers"), {"name": "New"}).status_code == status
    assert (
        client.post(url("record_edit", world.acme, "suppliers", record.pk), {"name": "X", "version": 1}).status_code
        == status
    )
    assert client.post(url("record_delete", world.acme, "suppliers", record.pk), {"version": 1}).status_code == status
    assert list(Supplier.objects.values_list("name", flat=True)) == ["Kept"]


def test_auditor_sees_records_without_controls(world, client_as):
    record = make_record(ModelRecord, world.acme, user=world.owner, name="Visible model")
    client = client_as("auditor")

    listing = client.get(url("record_list", world.acme, "model-records")).content.decode()
    detail = client.get(url("record_detail", world.acme, "model-records", record.pk)).content.decode()

    assert "Visible model" in listing
    assert url("record_create", world.acme, "model-records") not in listing
    assert url("record_edit", world.acme, "model-records", record.pk) not in detail


def test_record_detail_shows_the_systems_using_it(world, client_as):
    record = make_record(ModelRecord, world.acme, user=world.owner, name="Shared model")
    system = make_ai_system(world.acme, user=world.owner, name="User of the model", model_records=[record])
    page = client_as("auditor").get(url("record_detail", world.acme, "model-records", record.pk)).content.decode()
    assert "User of the model" in page
    assert reverse("registers:ai_system_detail", args=[world.acme.pk, system.pk]) in page


def test_officer_deletes_a_record(world, client_as):
    record = make_record(Supplier, world.acme, user=world.owner, name="Gone")
    response = client_as("officer").post(url("record_delete", world.acme, "suppliers", record.pk), {"version": 1})
    assert response["Location"] == url("record_list", world.acme, "suppliers")
    assert not Supplier.objects.exists()


def test_unknown_register_is_404(world, client_as):
    assert client_as("officer").get(url("record_list", world.acme, "spaceships")).status_code == 404


def test_records_of_another_management_system_are_404(world, client_as):
    foreign = make_record(Supplier, world.northwind, user=world.outsider, name="Northwind supplier")
    assert client_as("officer").get(url("record_detail", world.acme, "suppliers", foreign.pk)).status_code == 404
    assert client_as("officer").get(url("record_detail", world.northwind, "suppliers", foreign.pk)).status_code == 404


def test_script_in_a_record_name_is_escaped(world, client_as):
    record = make_record(Supplier, world.acme, user=world.owner, name="<script>alert(1)</script>")
    client = client_as("officer")
    for page_url in (
        url("record_list", world.acme, "suppliers"),
        url("record_detail", world.acme, "suppliers", record.pk),
        url("record_history", world.acme, "suppliers", record.pk),
        url("record_edit", world.acme, "suppliers", record.pk),
    ):
        page = client.get(page_url).content.decode()
        assert "&lt;script&gt;" in page and "<script>alert(1)" not in page, page_url


def test_record_list_query_count_does_not_grow_with_rows(world, client_as):
    for n in range(2):
        make_record(ModelRecord, world.acme, user=world.owner, name=f"Model {n}")
    listing = get_ok(client_as("officer"), url("record_list", world.acme, "model-records"))

    def add_records():
        for n in range(2, 40):
            make_record(ModelRecord, world.acme, user=world.owner, name=f"Model {n}")

    assert_constant_queries(listing, add_records)
