"""Bearer tokens: created by a command, sent as ``Authorization: Bearer``, stored hashed, revocable."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from aims.models import ApiToken
from registers.models import AISystem


def create_token(username: str, *args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", username, *args, stdout=out, stderr=err)
    return out.getvalue().strip()


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_created_token_authenticates_as_its_user(world):
    raw = create_token("officer", "--name", "CI export")
    response = Client().get("/api/v1/management-systems/", **bearer(raw))
    assert response.status_code == 200
    assert [ms["name"] for ms in response.json()["results"]] == ["Acme AIMS"]
    assert response.json()["results"][0]["role"] == "officer"
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (world.officer, "CI export")
    assert token.last_used_at is not None


def test_only_the_hash_of_the_token_is_stored(world):
    raw = create_token("officer")
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = " ".join(str(v) for v in ApiToken.objects.values().get().values())
    assert raw not in stored
    assert raw.startswith(token.prefix)


def test_token_write_needs_no_csrf_and_records_the_token_user(world):
    raw = create_token("officer")
    client = Client(enforce_csrf_checks=True)
    payload = {"management_system": world.acme.pk, "name": "Via token", "purpose": "p"}
    response = client.post(
        "/api/v1/ai-systems/", payload, content_type="application/json", HTTP_X_CHANGE_REASON="Imported", **bearer(raw)
    )
    assert response.status_code == 201, response.content
    row = AISystem.objects.get().history.get()
    assert (row.history_user, row.history_change_reason) == (world.officer, "Imported")


def test_session_write_without_csrf_token_is_refused(world, client_as):
    client = client_as("officer", csrf=True)
    payload = {"management_system": world.acme.pk, "name": "Via session", "purpose": "p"}
    response = client.post("/api/v1/ai-systems/", payload, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not AISystem.objects.exists()


@pytest.mark.parametrize("by", ["prefix", "id"])
def test_revoked_token_is_refused(world, by):
    raw = create_token("officer")
    token = ApiToken.objects.get()
    out = StringIO()
    call_command("revoke_api_token", token.prefix if by == "prefix" else str(token.pk), stdout=out)
    assert "Revoked" in out.getvalue()
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = Client().get("/api/v1/management-systems/", **bearer(raw))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer aims_not-a-real-token", "Bearer", "Bearer two parts", "bearer aims_wrong"],
)
def test_wrong_or_malformed_token_is_refused(world, header):
    create_token("officer")
    response = Client().get("/api/v1/ai-systems/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_token_of_an_inactive_user_is_refused(world):
    raw = create_token("officer")
    world.officer.is_active = False
    world.officer.save()
    assert Client().get("/api/v1/ai-systems/", **bearer(raw)).status_code == 401


def test_token_sees_only_its_users_management_systems(world):
    raw = create_token("outsider")
    response = Client().get(f"/api/v1/management-systems/{world.acme.pk}/", **bearer(raw))
    assert response.status_code == 404


@pytest.mark.django_db
def test_create_token_for_unknown_user_fails():
    with pytest.raises(CommandError, match="No user named"):
        call_command("create_api_token", "nobody", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_revoke_unknown_token_fails():
    with pytest.raises(CommandError, match="No active token"):
        call_command("revoke_api_token", "aims_nothing", stdout=StringIO())
