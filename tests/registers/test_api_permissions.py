"""API permission matrix: every persona x every action x own / other management system.

Acme is the personas' management system; Northwind is the outsider's. The contributor owns
one Acme AI system ("mine") and not another ("unowned"). Refused writes change nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client

from aims.models import Membership
from registers.models import AISystem, DatasetRecord, ModelRecord, Supplier
from tests.factories import UserFactory, make_ai_system, make_record

PERSONAS = ["owner", "officer", "leader", "contributor", "auditor", "expired_auditor", "outsider", "anonymous"]
HIDDEN = {"list": False, "retrieve": 404, "create": 400, "update": 404, "delete": 404, "history": 404, "members": 400}
ANONYMOUS = {"list": 401, "retrieve": 401, "create": 401, "update": 401, "delete": 401, "history": 401, "members": 401}
MANAGER = {"list": True, "retrieve": 200, "create": 201, "update": 200, "delete": 204, "history": 200, "members": 201}
EDITOR = {**MANAGER, "members": 403}
READER = {**EDITOR, "create": 403, "update": 403, "delete": 403}

# Expected result per persona in Acme; "list" is whether the record is listed.
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
# Northwind: only its owner (the outsider) sees it.
IN_NORTHWIND = {persona: HIDDEN for persona in PERSONAS} | {"outsider": MANAGER, "anonymous": ANONYMOUS}


def expected(persona: str, action: str, target: str) -> int | bool:
    if target == "northwind":
        return IN_NORTHWIND[persona][action]
    if persona == "contributor" and target == "mine" and action == "update":
        return 200  # contributors edit the systems they own, and only those
    return IN_ACME[persona][action]


@pytest.fixture
def api(world):
    """A client for a persona name; "anonymous" is not logged in."""

    def make(persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(world.users[persona])
        return client

    return make


@pytest.fixture
def systems(world):
    return {
        "mine": make_ai_system(world.acme, user=world.officer, name="Mine", owner=world.contributor),
        "unowned": make_ai_system(world.acme, user=world.officer, name="Unowned"),
        "northwind": make_ai_system(world.northwind, user=world.outsider, name="Northwind system"),
    }


def snapshot(model, obj) -> tuple:
    row = model.objects.filter(pk=obj.pk).values_list("name", "version").first()
    return model.objects.count(), row, model.history.count()


def check_status(response, want: int) -> None:
    assert response.status_code == want, response.content
    if want == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


RECORD_ACTIONS = ["list", "retrieve", "update", "delete", "history"]
CASES = [
    (persona, action, target)
    for persona in PERSONAS
    for action in RECORD_ACTIONS
    for target in ("mine", "unowned", "northwind")
] + [
    (persona, action, target)
    for persona in PERSONAS
    for action in ("create", "members")
    for target in ("acme", "northwind")
]


@pytest.mark.parametrize(("persona", "action", "target"), CASES)
def test_ai_system_api_permission_matrix(world, api, systems, persona, action, target):
    client = api(persona)
    want = expected(persona, action, target)
    management_system = world.northwind if target == "northwind" else world.acme
    system = systems.get(target) or systems["unowned"]
    url = f"/api/v1/ai-systems/{system.pk}/"
    before = snapshot(AISystem, system)

    if action == "list":
        response = client.get("/api/v1/ai-systems/")
        if want == 401:
            return check_status(response, 401)
        assert response.status_code == 200
        listed = {row["id"] for row in response.json()["results"]}
        assert (system.pk in listed) is want
    elif action == "retrieve":
        response = client.get(url)
        check_status(response, want)
        if want == 200:
            assert response.json()["name"] == system.name
            assert response["ETag"] == f'"{system.version}"'
    elif action == "history":
        response = client.get(url + "history/")
        check_status(response, want)
        if want == 200:
            assert [v["type"] for v in response.json()] == ["created"]
    elif action == "update":
        response = client.patch(
            url, {"name": "Renamed"}, content_type="application/json", HTTP_IF_MATCH=f'"{system.version}"'
        )
        check_status(response, want)
        if want == 200:
            system.refresh_from_db()
            assert (system.name, system.version) == ("Renamed", 2)
    elif action == "delete":
        response = client.delete(url, HTTP_IF_MATCH=f'"{system.version}"')
        check_status(response, want)
        if want == 204:
            assert not AISystem.objects.filter(pk=system.pk).exists()
            assert AISystem.history.filter(id=system.pk, history_type="-").exists()
    elif action == "create":
        payload = {"management_system": management_system.pk, "name": "New system", "purpose": "Testing access."}
        response = client.post("/api/v1/ai-systems/", payload, content_type="application/json")
        check_status(response, want)
        if want == 201:
            assert AISystem.objects.filter(management_system=management_system, name="New system").count() == 1
        elif want == 400:
            assert response.json() == {"management_system": ["Management system not found."]}
    elif action == "members":
        newcomer = UserFactory(username="newcomer")
        payload = {"management_system": management_system.pk, "username": "newcomer", "role": "officer"}
        response = client.post("/api/v1/memberships/", payload, content_type="application/json")
        check_status(response, want)
        joined = Membership.objects.filter(user=newcomer, management_system=management_system).exists()
        assert joined is (want == 201)

    if action in ("update", "delete", "create") and want not in (200, 201, 204):
        assert snapshot(AISystem, system) == before, "a refused write changed something"


# The other registers follow the same rules; contributors own none of their rows.
RECORD_ENDPOINTS = {"model-records": ModelRecord, "dataset-records": DatasetRecord, "suppliers": Supplier}


@pytest.mark.parametrize("endpoint", list(RECORD_ENDPOINTS))
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", ["acme", "northwind"])
def test_register_api_permission_matrix(world, api, endpoint, persona, target):
    model = RECORD_ENDPOINTS[endpoint]
    management_system = getattr(world, target)
    record = make_record(model, management_system, user=world.officer, name="Record")
    client = api(persona)
    url = f"/api/v1/{endpoint}/{record.pk}/"
    before = snapshot(model, record)
    want = IN_ACME[persona] if target == "acme" else IN_NORTHWIND[persona]
    got: dict[str, int | bool] = {}

    listing = client.get(f"/api/v1/{endpoint}/")
    got["list"] = 401 if listing.status_code == 401 else record.pk in {r["id"] for r in listing.json()["results"]}
    got["retrieve"] = client.get(url).status_code
    got["history"] = client.get(url + "history/").status_code
    payload = {"management_system": management_system.pk, "name": "Another record"}
    got["create"] = client.post(f"/api/v1/{endpoint}/", payload, content_type="application/json").status_code
    if got["create"] != 201:
        assert model.objects.count() == before[0]
    got["update"] = client.patch(
        url, {"name": "Renamed"}, content_type="application/json", HTTP_IF_MATCH='"1"'
    ).status_code
    if got["update"] != 200:
        assert snapshot(model, record) == before
    got["delete"] = client.delete(url, HTTP_IF_MATCH='"2"' if got["update"] == 200 else '"1"').status_code
    if got["delete"] != 204:
        assert model.objects.filter(pk=record.pk).exists()

    assert got == {action: want[action] for action in got}
