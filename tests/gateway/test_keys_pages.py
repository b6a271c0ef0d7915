"""The Gateway page of an AI system: who reads and acts, the key shown once, constant queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from gateway.keys import services
from gateway.models import GatewayKey, ModelRoute
from tests.gateway.keys_helpers import make_key, make_route, system_with_model
from tests.kit import SYSTEMS, assert_constant_queries, get_ok, log_in, matrix

READ, MANAGE = "read", "manage"
ROLES = {
    "owner": {READ, MANAGE},
    "officer": {READ, MANAGE},
    "leader": {READ},
    "contributor": {READ},
    "auditor": {READ},
    "expired_auditor": set(),
    "outsider": set(),
}


def _expect(may: set[str], what: str, ok: int) -> int:
    if not may:
        return 404
    return ok if what in may else 403


@matrix(ROLES, where=SYSTEMS)
def test_gateway_page_access_by_role(world, status_as, persona, where, expected):
    ms = getattr(world, where)
    system = system_with_model(ms)
    key, _ = make_key(system)
    api_key, _ = make_key(system, name="Second")
    record = system.model_records.get()
    statuses: dict[str, Any] = {
        "page": status_as(persona, "get", reverse("gateway:system_gateway", args=[ms.pk, system.pk])),
        "create": status_as(
            persona, "post", reverse("gateway:key_create", args=[ms.pk, system.pk]),
            {"name": "New", "expires_in_days": 30},
        ),
        "route": status_as(
            persona, "post", reverse("gateway:route_edit", args=[ms.pk, system.pk, record.pk]),
            {"base_url": "https://llm.example.org/v1", "upstream_model": "m", "credential_env": "LLM_KEY",
             "connect_timeout": "5", "read_timeout": "60", "enabled": "on"},
        ),
        "revoke": status_as(
            persona, "post", reverse("gateway:key_revoke", args=[ms.pk, key.pk]), {"version": 1, "reason": "Leak"}
        ),
        "api_list": status_as(persona, "get", f"/api/v1/gateway-keys/?ai_system={system.pk}", api=True),
        "api_key": status_as(persona, "get", f"/api/v1/gateway-keys/{key.pk}/", api=True),
        "api_create": status_as(
            persona, "post", "/api/v1/gateway-keys/", {"ai_system": system.pk, "name": "API"}, api=True
        ),
    }  # fmt: skip
    statuses["api_revoke"] = status_as(
        persona, "post", f"/api/v1/gateway-keys/{api_key.pk}/revoke/", {"reason": "Leak"}, api=True, version=1
    )
    may = expected
    assert statuses == {
        "page": _expect(may, READ, 200),
        "create": _expect(may, MANAGE, 201),
        "route": _expect(may, MANAGE, 302),
        "revoke": _expect(may, MANAGE, 302),
        # The house filter: an AI system the user cannot read is not a valid choice (400), as on every list.
        "api_list": 200 if may else 400,
        "api_key": _expect(may, READ, 200),
        # The API names the AI system in the body: one the user cannot read is a 400 on the field.
        "api_create": 201 if MANAGE in may else (403 if may else 400),
        "api_revoke": _expect(may, MANAGE, 200),
    }


def test_the_new_key_is_shown_once_and_never_on_the_gateway_page(world, client_as):
    system = system_with_model(world.acme, world.officer)
    client = client_as("officer")

    created = client.post(
        reverse("gateway:key_create", args=[world.acme.pk, system.pk]), {"name": "Triage", "expires_in_days": 30}
    )

    key = GatewayKey.objects.get()
    plaintext = created.context["plaintext"]
    assert created.status_code == 201 and "no-store" in created["Cache-Control"]
    assert plaintext in created.content.decode() and "shown only this once" in created.content.decode()
    assert services.key_authenticate(plaintext) == key
    page = client.get(reverse("gateway:system_gateway", args=[world.acme.pk, system.pk])).content.decode()
    assert key.prefix in page and plaintext not in page


def test_revoking_on_the_page_stops_the_key(world, client_as):
    system = system_with_model(world.acme, world.officer)
    key, plaintext = make_key(system, world.officer)

    response = client_as("officer").post(
        reverse("gateway:key_revoke", args=[world.acme.pk, key.pk]), {"version": key.version, "reason": "Leaked"}
    )

    assert response.status_code == 302
    with pytest.raises(services.KeyRefused, match="revoked"):
        services.key_authenticate(plaintext)


def test_the_route_form_refuses_a_credential_value(world, client_as):
    system = system_with_model(world.acme, world.officer)
    record = system.model_records.get()

    response = client_as("officer").post(
        reverse("gateway:route_edit", args=[world.acme.pk, system.pk, record.pk]),
        {"base_url": "https://llm.example.org/v1", "upstream_model": "m", "credential_env": "sk-proj-abc",
         "connect_timeout": "5", "read_timeout": "60"},
    )  # fmt: skip

    assert response.status_code == 400 and "credential_env" in response.context["form"].errors
    assert not ModelRoute.objects.exists()


def test_the_ai_system_page_links_to_its_gateway(world, client_as):
    system = system_with_model(world.acme, world.officer)
    page = client_as("auditor").get(reverse("registers:ai_system_detail", args=[world.acme.pk, system.pk]))
    assert reverse("gateway:system_gateway", args=[world.acme.pk, system.pk]) in page.content.decode()


def test_the_gateway_page_makes_constant_queries(world, client):
    system = system_with_model(world.acme, world.officer)
    make_route(system, world.officer)
    make_key(system, world.officer, name="First key")  # its issue is the first event the page lists
    log_in(client, world.officer)
    url = reverse("gateway:system_gateway", args=[world.acme.pk, system.pk])

    def grow() -> None:
        for n in range(3):
            make_key(system, world.officer, name=f"Key {n}")

    assert_constant_queries(get_ok(client, url), grow)
