"""The gateway-keys and model-routes API: the secret once, If-Match on changes, credentials named only."""

from __future__ import annotations

from gateway.keys import services
from gateway.models import GatewayKey, ModelRoute
from tests.gateway.keys_helpers import make_key, make_route, system_with_model


def test_the_api_returns_the_key_once_and_never_again(world, api_as):
    system = system_with_model(world.acme, world.officer)
    api = api_as("officer")

    created = api.post(
        "/api/v1/gateway-keys/", {"ai_system": system.pk, "name": "CI", "expires_in_days": 7}, format="json"
    )

    assert created.status_code == 201 and "no-store" in created["Cache-Control"]
    plaintext = created.json()["key"]
    assert services.key_authenticate(plaintext).pk == created.json()["id"]
    read = api.get(f"/api/v1/gateway-keys/{created.json()['id']}/").json()
    listed = api.get("/api/v1/gateway-keys/", {"ai_system": system.pk}).json()
    assert "key" not in read and "digest" not in read and read["state"] == "active"
    assert plaintext not in str(read) + str(listed) and [row["id"] for row in listed["results"]] == [read["id"]]


def test_the_api_revokes_with_if_match_and_a_reason(world, api_as):
    system = system_with_model(world.acme, world.officer)
    key, plaintext = make_key(system, world.officer)
    api = api_as("officer")
    url = f"/api/v1/gateway-keys/{key.pk}/revoke/"

    assert api.post(url, {"reason": "Leaked"}, format="json").status_code == 428
    assert api.post(url, {"reason": "Leaked"}, format="json", HTTP_IF_MATCH='"9"').status_code == 412
    revoked = api.post(url, {"reason": "Leaked"}, format="json", HTTP_IF_MATCH='"1"')

    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked" and revoked["ETag"] == '"2"'
    assert GatewayKey.objects.get().revoked_reason == "Leaked"


def test_the_keys_list_filters_by_ai_system(world, api_as):
    first, second = system_with_model(world.acme, world.officer), system_with_model(world.acme, world.officer)
    make_key(first, world.officer)
    theirs, _ = make_key(second, world.officer)

    listed = api_as("auditor").get("/api/v1/gateway-keys/", {"ai_system": second.pk}).json()

    assert [row["reference"] for row in listed["results"]] == [theirs.reference]


def test_the_routes_api_refuses_a_credential_value(world, api_as):
    system = system_with_model(world.acme, world.officer)
    body = {
        "management_system": world.acme.pk, "model_record": system.model_records.get().pk,
        "base_url": "https://llm.example.org/v1", "upstream_model": "m", "credential_env": "sk-proj-abc123",
    }  # fmt: skip
    api = api_as("officer")

    refused = api.post("/api/v1/model-routes/", body, format="json")
    created = api.post("/api/v1/model-routes/", {**body, "credential_env": "LLM_API_KEY"}, format="json")

    assert refused.status_code == 400 and "credential_env" in refused.json().get("errors", refused.json()).__str__()
    assert created.status_code == 201 and ModelRoute.objects.get().credential_env == "LLM_API_KEY"
    again = api.post("/api/v1/model-routes/", {**body, "credential_env": "OTHER"}, format="json")
    assert again.status_code == 400


def test_a_route_changes_with_if_match(world, api_as):
    route = make_route(system_with_model(world.acme, world.officer), world.officer)
    api = api_as("officer")

    changed = api.patch(f"/api/v1/model-routes/{route.pk}/", {"read_timeout": 30}, format="json", HTTP_IF_MATCH='"1"')

    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert api.patch(f"/api/v1/model-routes/{route.pk}/", {"read_timeout": 9}, format="json").status_code == 428
