"""API permission matrix: every persona x every action x own / other management system.

Acme is the personas' management system; Northwind is the outsider's. The contributor owns
one Acme AI system ("mine") and not another ("unowned"). Refused writes change nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client

from aims.models import Invitation, Membership
from registers.models import DatasetRecord, ModelRecord, Supplier
from tests.factories import UserFactory, make_ai_system, make_record
from tests.kit import SYSTEMS, matrix

HIDDEN = {"list": False, "retrieve": 404, "create": 400, "update": 404, "delete": 404, "history": 404, "members": 400}
ANONYMOUS = {"list": 401, "retrieve": 401, "create": 401, "update": 401, "delete": 401, "history": 401, "members": 401}
MANAGER = {"list": True, "retrieve": 200, "create": 201, "update": 200, "delete": 204, "history": 200, "members": 201}
EDITOR = {**MANAGER, "members": 403}
READER = {**EDITOR, "create": 403, "update": 403, "delete": 403}

# Expected result per persona in Acme (in Northwind, by their standing there); "list" is whether
# the record is listed.
IN_ACME = {
    "owner": MANAGER,
    "officer": EDITOR,
    "leader": READER,
    "contributor": READER,
    "auditor": READER,
    "expired_auditor": HIDDEN,
    "outsider": HIDDEN,
    "anonymous": ANONYMOUS,
}
ACTIONS = ["list", "retrieve", "history", "create", "update", "delete", "members"]
TARGETS = {"mine": "acme", "unowned": "acme", "northwind": "northwind"}  # the system asked for, and where it is


@pytest.fixture
def systems(world):
    return {
        "mine": make_ai_system(world.acme, user=world.officer, name="Mine", owner=world.contributor),
        "unowned": make_ai_system(world.acme, user=world.officer, name="Unowned"),
        "northwind": make_ai_system(world.northwind, user=world.outsider, name="Northwind system"),
    }


def snapshot(model, obj) -> tuple:
    row = model.objects.filter(pk=obj.pk).values_list("name", "version").first()
    return model.objects.count(), row, model.history.filter(id=obj.pk).count()


def exercise(client: Client, endpoint: str, record, management_system, payload: dict) -> dict[str, int | bool]:
    """Try every action on one record and its management system; return what happened.

    "list" is whether the record is listed (or 401). Refused writes must change nothing.
    """
    model = type(record)
    url = f"/api/v1/{endpoint}/{record.pk}/"
    got: dict[str, int | bool] = {}

    listing = client.get(f"/api/v1/{endpoint}/")
    got["list"] = 401 if listing.status_code == 401 else record.pk in {r["id"] for r in listing.json()["results"]}
    got["retrieve"] = client.get(url).status_code
    got["history"] = client.get(url + "history/").status_code

    before = snapshot(model, record)
    response = client.post(
        f"/api/v1/{endpoint}/", {"management_system": management_system.pk, **payload}, content_type="application/json"
    )
    got["create"] = response.status_code
    if got["create"] == 201:
        assert model.objects.get(pk=response.json()["id"]).management_system == management_system
    else:
        assert snapshot(model, record) == before, "a refused create changed something"
    if got["create"] == 400:
        assert response.json() == {"management_system": ["Management system not found."]}

    before = snapshot(model, record)
    response = client.patch(
        url, {"name": "Renamed"}, content_type="application/json", HTTP_IF_MATCH=f'"{record.version}"'
    )
    got["update"] = response.status_code
    if got["update"] == 200:
        record.refresh_from_db()
        assert (record.name, record.version) == ("Renamed", 2)
    else:
        assert snapshot(model, record) == before, "a refused update changed something"

    before = snapshot(model, record)
    got["delete"] = client.delete(url, HTTP_IF_MATCH=f'"{record.version}"').status_code
    if got["delete"] == 204:
        assert not model.objects.filter(pk=record.pk).exists()
        assert model.history.filter(id=record.pk, history_type="-").exists()
    else:
        assert snapshot(model, record) == before, "a refused delete changed something"

    # Members are invited (they join only by accepting): only owners invite.
    newcomer = UserFactory(username=f"newcomer-{endpoint}", email=f"newcomer-{endpoint}@example.net")
    invitation = {"management_system": management_system.pk, "email": newcomer.email, "role": "officer"}
    got["members"] = client.post("/api/v1/invitations/", invitation, content_type="application/json").status_code
    invited = Invitation.objects.filter(email=newcomer.email, management_system=management_system).exists()
    assert invited is (got["members"] == 201)
    assert not Membership.objects.filter(user=newcomer).exists()

    if got["retrieve"] == 401:
        assert listing["WWW-Authenticate"].startswith("Bearer")
    return got


@matrix(IN_ACME, where=TARGETS)
def test_ai_system_api_permission_matrix(world, client_as, systems, persona, where, expected):
    system = systems[where]
    management_system = system.management_system
    payload = {"name": "New system", "purpose": "Testing access."}
    got = exercise(client_as(persona), "ai-systems", system, management_system, payload)
    if persona == "contributor" and where == "mine":
        expected = {**expected, "update": 200}  # contributors edit the systems they own, and only those
    assert got == {action: expected[action] for action in ACTIONS}


# The other registers follow the same rules; contributors own none of their rows.
RECORD_ENDPOINTS = {"model-records": ModelRecord, "dataset-records": DatasetRecord, "suppliers": Supplier}


@matrix(IN_ACME, where=SYSTEMS)
def test_register_api_permission_matrix(world, client_as, persona, where, expected):
    management_system = getattr(world, where)
    client = client_as(persona)
    got, want = {}, {}
    for endpoint, model in RECORD_ENDPOINTS.items():
        record = make_record(model, management_system, user=world.officer, name="Record")
        got[endpoint] = exercise(client, endpoint, record, management_system, {"name": "Another record"})
        want[endpoint] = {action: expected[action] for action in ACTIONS}
    assert got == want
