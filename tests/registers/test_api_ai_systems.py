"""The AI system register through the API: creation, history, concurrency, bad input, lists."""

from __future__ import annotations

import json

import pytest

from aims import services as aims_services
from aims.api_pagination import Pagination
from aims.models import Role
from registers.models import AISystem, DatasetRecord, ModelRecord, Supplier
from tests.factories import make_ai_system, make_record
from tests.kit import assert_constant_queries, get_ok

URL = "/api/v1/ai-systems/"


def post(client, url, payload, **headers):
    return client.post(url, payload, content_type="application/json", **headers)


def patch(client, url, payload, **headers):
    return client.patch(url, payload, content_type="application/json", **headers)


def test_officer_creates_ai_system_with_only_management_system_name_and_purpose(world, client_as):
    response = post(
        client_as("officer"), URL, {"management_system": world.acme.pk, "name": "Triage", "purpose": "Sort messages."}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"] == "AIS-001"
    assert body["version"] == 1
    assert response["ETag"] == '"1"'
    assert response["Location"] == f"http://testserver{URL}{body['id']}/"
    system = AISystem.objects.get(pk=body["id"])
    assert (system.management_system, system.name, system.purpose) == (world.acme, "Triage", "Sort messages.")
    row = system.history.get()
    assert (row.history_user, row.history_change_reason) == (world.officer, "Created through the API")


def test_api_change_records_api_user_and_change_reason_in_history(world, client_as):
    system = make_ai_system(world.acme, user=world.officer, name="Triage")
    client = client_as("officer")
    response = patch(
        client,
        f"{URL}{system.pk}/",
        {"name": "Triage v2", "lifecycle_stage": "operation"},
        HTTP_IF_MATCH='"1"',
        HTTP_X_CHANGE_REASON="Renamed after go-live review",
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    latest = system.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (world.officer, "Renamed after go-live review")

    versions = client.get(f"{URL}{system.pk}/history/").json()["results"]
    assert [(v["version"], v["type"], v["user"]) for v in versions] == [
        (2, "changed", "officer"),
        (1, "created", "officer"),
    ]
    assert versions[0]["change_reason"] == "Renamed after go-live review"
    changes = {c["field"]: c for c in versions[0]["changes"]}
    assert changes["name"] == {"field": "name", "label": "name", "old": "Triage", "new": "Triage v2"}
    assert (changes["lifecycle_stage"]["old"], changes["lifecycle_stage"]["new"]) == (
        "Concept",
        "Operation and monitoring",
    )
    assert set(versions[1]) == {"history_id", "version", "date", "user", "change_reason", "type", "changes"}


def test_change_reason_field_in_the_body_is_recorded(world, client_as):
    system = make_ai_system(world.acme, user=world.officer)
    response = patch(
        client_as("owner"),
        f"{URL}{system.pk}/",
        {"notes": "x", "change_reason": "Quarterly review"},
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200
    assert system.history.order_by("-history_id").first().history_change_reason == "Quarterly review"


def test_history_lists_link_changes_and_deletion(world, client_as):
    model = make_record(ModelRecord, world.acme, user=world.officer, name="GPT-x")
    system = make_ai_system(world.acme, user=world.officer)
    client = client_as("officer")
    assert patch(client, f"{URL}{system.pk}/", {"model_records": [model.pk]}, HTTP_IF_MATCH='"1"').status_code == 200
    versions = client.get(f"{URL}{system.pk}/history/").json()["results"]
    assert versions[0]["changes"] == [{"field": "model_records", "label": "models", "old": "(none)", "new": str(model)}]
    assert client.delete(f"{URL}{system.pk}/", HTTP_IF_MATCH='"2"').status_code == 204
    assert system.history.order_by("-history_id").first().history_type == "-"


def test_stale_if_match_is_refused_with_412_and_overwrites_nothing(world, client_as):
    system = make_ai_system(world.acme, user=world.officer, name="Original")
    url = f"{URL}{system.pk}/"
    first = patch(client_as("officer"), url, {"name": "Officer's edit"}, HTTP_IF_MATCH='"1"')
    second = patch(client_as("owner"), url, {"name": "Owner's edit"}, HTTP_IF_MATCH='"1"')
    assert first.status_code == 200
    assert second.status_code == 412
    assert "changed by someone else" in second.json()["detail"]
    assert "Nothing was saved" in second.json()["detail"]
    system.refresh_from_db()
    assert (system.name, system.version) == ("Officer's edit", 2)
    assert system.history.count() == 2


def test_write_without_if_match_is_refused_with_428(world, client_as):
    system = make_ai_system(world.acme, user=world.officer, name="Original")
    client = client_as("officer")
    response = patch(client, f"{URL}{system.pk}/", {"name": "Blind edit"})
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert client.delete(f"{URL}{system.pk}/").status_code == 428
    assert client.put(f"{URL}{system.pk}/", {}, content_type="application/json").status_code == 428
    system.refresh_from_db()
    assert (system.name, system.version) == ("Original", 1)


def test_stale_delete_is_refused(world, client_as):
    system = make_ai_system(world.acme, user=world.officer)
    response = client_as("officer").delete(f"{URL}{system.pk}/", HTTP_IF_MATCH='"7"')
    assert response.status_code == 412
    assert AISystem.objects.filter(pk=system.pk).exists()


def test_weak_etag_in_if_match_is_accepted(world, client_as):
    system = make_ai_system(world.acme, user=world.officer)
    response = patch(client_as("officer"), f"{URL}{system.pk}/", {"notes": "ok"}, HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 200


@pytest.fixture
def officer_in_both(world):
    """The officer is also an officer of Northwind, so both systems' records are visible to them."""
    aims_services.membership_add(
        management_system=world.northwind, actor=world.outsider, user=world.officer, role=Role.OFFICER
    )
    return world.officer


BAD_CREATES = [
    ("missing name", {"purpose": "p"}, "name"),
    ("missing purpose", {"name": "n"}, "purpose"),
    ("over-long name", {"name": "x" * 201, "purpose": "p"}, "name"),
    ("invalid lifecycle stage", {"name": "n", "purpose": "p", "lifecycle_stage": "flying"}, "lifecycle_stage"),
    ("invalid risk class", {"name": "n", "purpose": "p", "eu_ai_act_risk_class": "mega"}, "eu_ai_act_risk_class"),
    ("over-long change reason", {"name": "n", "purpose": "p", "change_reason": "r" * 101}, "change_reason"),
]


@pytest.mark.parametrize(("case", "payload", "field"), BAD_CREATES, ids=[c[0] for c in BAD_CREATES])
def test_bad_input_is_refused_with_field_errors_and_nothing_saved(world, client_as, case, payload, field):
    response = post(client_as("officer"), URL, {"management_system": world.acme.pk, **payload})
    assert response.status_code == 400
    assert field in response.json()
    assert response.json()[field][0]
    assert AISystem.objects.count() == 0


@pytest.mark.parametrize("ms_id", ["northwind", 999999, "abc"])
def test_foreign_or_unknown_management_system_is_not_found(world, client_as, ms_id):
    ms_id = world.northwind.pk if ms_id == "northwind" else ms_id
    response = post(client_as("officer"), URL, {"management_system": ms_id, "name": "n", "purpose": "p"})
    assert response.status_code == 400
    assert response.json() == {"management_system": ["Management system not found."]}
    assert AISystem.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "model"), [("model_records", ModelRecord), ("dataset_records", DatasetRecord), ("suppliers", Supplier)]
)
def test_link_to_another_management_systems_record_is_refused(world, client_as, officer_in_both, field, model):
    foreign = make_record(model, world.northwind, user=world.outsider, name="Foreign")
    payload = {"management_system": world.acme.pk, "name": "n", "purpose": "p", field: [foreign.pk]}
    response = post(client_as("officer"), URL, payload)
    assert response.status_code == 400
    assert "belongs to another management system" in response.json()[field][0]
    assert AISystem.objects.count() == 0


def test_link_to_an_invisible_record_is_refused_without_revealing_it(world, client_as):
    foreign = make_record(ModelRecord, world.northwind, user=world.outsider, name="Secret model")
    payload = {"management_system": world.acme.pk, "name": "n", "purpose": "p", "model_records": [foreign.pk]}
    response = post(client_as("officer"), URL, payload)
    assert response.status_code == 400
    assert "Secret model" not in response.content.decode()
    assert "model_records" in response.json()
    assert AISystem.objects.count() == 0


def test_owner_who_is_not_a_member_is_refused(world, client_as, officer_in_both):
    payload = {"management_system": world.acme.pk, "name": "n", "purpose": "p", "owner": world.outsider.pk}
    response = post(client_as("officer"), URL, payload)
    assert response.status_code == 400
    assert response.json() == {"owner": ["outsider is not a member of this management system."]}
    assert AISystem.objects.count() == 0


def test_owner_from_an_invisible_management_system_is_not_resolved(world, client_as):
    payload = {"management_system": world.acme.pk, "name": "n", "purpose": "p", "owner": world.outsider.pk}
    response = post(client_as("officer"), URL, payload)
    assert response.status_code == 400
    assert "owner" in response.json()
    assert "outsider" not in response.content.decode()
    assert AISystem.objects.count() == 0


def test_setting_a_member_as_owner_lets_them_edit(world, client_as):
    system = make_ai_system(world.acme, user=world.officer)
    response = patch(client_as("officer"), f"{URL}{system.pk}/", {"owner": world.contributor.pk}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 200
    assert response.json()["owner_username"] == "contributor"
    edit = patch(client_as("contributor"), f"{URL}{system.pk}/", {"notes": "Mine now"}, HTTP_IF_MATCH='"2"')
    assert edit.status_code == 200


def test_bad_update_is_refused_and_changes_nothing(world, client_as):
    system = make_ai_system(world.acme, user=world.officer, name="Original")
    response = patch(
        client_as("officer"), f"{URL}{system.pk}/", {"name": "", "human_oversight": "nah"}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert set(response.json()) == {"name", "human_oversight"}
    system.refresh_from_db()
    assert (system.name, system.version, system.history.count()) == ("Original", 1, 1)


def test_management_system_of_a_record_cannot_be_changed(world, client_as, officer_in_both):
    system = make_ai_system(world.acme, user=world.officer)
    response = patch(
        client_as("officer"), f"{URL}{system.pk}/", {"management_system": world.northwind.pk}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200
    system.refresh_from_db()
    assert system.management_system == world.acme


def _make_systems(world, count: int) -> None:
    models = [make_record(ModelRecord, world.acme, user=world.officer, name=f"M{i}") for i in range(2)]
    datasets = [make_record(DatasetRecord, world.acme, user=world.officer, name=f"D{i}") for i in range(2)]
    supplier = make_record(Supplier, world.acme, user=world.officer, name="S")
    for i in range(count):
        make_ai_system(
            world.acme,
            user=world.officer,
            name=f"System {i}",
            owner=world.contributor,
            model_records=models,
            dataset_records=datasets,
            suppliers=[supplier],
        )


def test_ai_system_list_query_count_does_not_grow_with_rows(world, client_as):
    listing = get_ok(client_as("officer"), URL, {"page_size": 100})
    _make_systems(world, 2)
    assert len(listing().json()["results"]) == 2
    assert_constant_queries(listing, lambda: _make_systems(world, 38))
    assert len(listing().json()["results"]) == 40


def test_list_is_paginated_and_filtered_by_management_system(world, client_as, officer_in_both):
    for i in range(27):
        make_ai_system(world.acme, user=world.officer, name=f"Acme {i}")
    make_ai_system(world.northwind, user=world.outsider, name="Northwind one")
    client = client_as("officer")
    first = client.get(URL, {"management_system": world.acme.pk}).json()
    assert (first["count"], len(first["results"])) == (27, 25)
    assert first["next"] and first["previous"] is None
    second = client.get(URL, {"management_system": world.acme.pk, "page": 2}).json()
    assert len(second["results"]) == 2
    assert {r["name"] for r in first["results"] + second["results"]} == {f"Acme {i}" for i in range(27)}
    northwind = client.get(URL, {"management_system": world.northwind.pk}).json()
    assert [r["name"] for r in northwind["results"]] == ["Northwind one"]
    assert client.get(URL).json()["count"] == 28
    assert client.get(URL, {"management_system": "acme"}).status_code == 400


def test_page_size_is_capped(world, client_as, monkeypatch):
    assert Pagination.max_page_size == 200
    monkeypatch.setattr(Pagination, "max_page_size", 3)
    for i in range(5):
        make_ai_system(world.acme, user=world.officer, name=f"S{i}")
    body = client_as("officer").get(URL, {"page_size": 500}).json()
    assert len(body["results"]) == 3
    assert body["count"] == 5


def test_list_of_invisible_management_system_is_empty(world, client_as):
    make_ai_system(world.northwind, user=world.outsider)
    body = client_as("officer").get(URL, {"management_system": world.northwind.pk}).json()
    assert body["count"] == 0


def test_script_names_are_returned_verbatim_as_json_strings(world, client_as):
    name = "<script>alert(1)</script>"
    client = client_as("officer")
    created = post(client, URL, {"management_system": world.acme.pk, "name": name, "purpose": "<b>bold</b> & co"})
    assert created.status_code == 201
    for response in (client.get(URL), client.get(f"{URL}{created.json()['id']}/")):
        assert response["Content-Type"] == "application/json"
        body = json.loads(response.content)
        row = body["results"][0] if "results" in body else body
        assert (row["name"], row["purpose"]) == (name, "<b>bold</b> & co")
        assert "&lt;" not in response.content.decode()


def test_api_does_not_render_html_outside_debug(world, client_as):
    make_ai_system(world.acme, user=world.officer)
    response = client_as("officer").get(URL, HTTP_ACCEPT="text/html")
    assert not response["Content-Type"].startswith("text/html")
