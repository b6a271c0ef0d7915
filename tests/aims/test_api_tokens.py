"""Bearer tokens: created by a command, sent as ``Authorization: Bearer``, stored hashed, revocable."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

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


# --- expiry -------------------------------------------------------------------------------


def test_a_token_expires_after_the_default_lifetime_or_the_days_asked(world, settings):
    settings.AIMS_API_TOKEN_DAYS = 90
    create_token("officer")
    create_token("officer", "--days", "7")
    lifetimes = sorted((t.expires_at - t.created_at).days for t in ApiToken.objects.all())
    assert lifetimes == [6, 89] or lifetimes == [7, 90]


def test_a_token_longer_than_the_maximum_is_refused(world, settings):
    settings.AIMS_API_TOKEN_MAX_DAYS = 365
    with pytest.raises(CommandError, match="1 to 365 days"):
        create_token("officer", "--days", "400")
    assert not ApiToken.objects.exists()


def test_an_expired_token_is_refused_with_a_clear_json_401(world):
    raw = create_token("officer")
    token = ApiToken.objects.get()
    token.expires_at = timezone.now() - timedelta(minutes=1)
    token.save(update_fields=["expires_at"])
    response = Client().get("/api/v1/management-systems/", **bearer(raw))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("This token expired on ")
    assert "account page" in response.json()["detail"]


# --- the member's own tokens on the Account page -------------------------------------------


def test_a_member_makes_a_token_on_the_account_page_and_sees_it_once(world, client_as, caplog):
    caplog.set_level(logging.INFO, logger="aims.security")
    client = client_as("officer")
    response = client.post(reverse("account:token_create"), {"name": "Risk dashboard", "days": "30"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    raw = response.context["raw"]
    assert raw in response.content.decode()
    token = ApiToken.objects.get()
    assert (token.user, token.name, (token.expires_at - token.created_at).days in (29, 30)) == (
        world.officer,
        "Risk dashboard",
        True,
    )
    assert Client().get("/api/v1/management-systems/", **bearer(raw)).status_code == 200
    account = client.get(reverse("account:home")).content.decode()
    assert token.prefix in account and raw not in account
    assert any("event=api_token_created user=officer" in r.getMessage() for r in caplog.records)


def test_the_account_page_refuses_a_token_beyond_the_maximum(world, client_as, settings):
    settings.AIMS_API_TOKEN_MAX_DAYS = 365
    response = client_as("officer").post(reverse("account:token_create"), {"name": "Forever", "days": "5000"})
    assert response.status_code == 400 and "at most 365 days" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_member_lists_and_revokes_only_their_own_tokens(world, client_as, caplog):
    caplog.set_level(logging.INFO, logger="aims.security")
    mine = create_token("officer", "--name", "Mine")
    theirs = create_token("auditor", "--name", "Theirs")
    client = client_as("officer")
    listed = client.get(reverse("account:home")).context["tokens"]
    assert [t.name for t in listed] == ["Mine"]

    their_token = ApiToken.objects.get(name="Theirs")
    response = client.post(reverse("account:token_revoke", args=[their_token.pk]))
    assert response.status_code == 404
    assert Client().get("/api/v1/management-systems/", **bearer(theirs)).status_code == 200

    my_token = ApiToken.objects.get(name="Mine")
    assert client.post(reverse("account:token_revoke", args=[my_token.pk])).status_code == 302
    assert Client().get("/api/v1/management-systems/", **bearer(mine)).status_code == 401
    assert any(
        "event=api_token_revoked user=officer owner=officer" in r.getMessage() and my_token.prefix in r.getMessage()
        for r in caplog.records
    )


# --- failed token authentications are throttled per address --------------------------------


def test_too_many_failed_tokens_from_one_address_get_429_even_with_a_valid_token(world, settings, caplog):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token_failures": "3/min"}}
    caplog.set_level(logging.INFO, logger="aims.security")
    raw = create_token("officer")
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert attacker.get("/api/v1/ai-systems/", **bearer("aims_guess")).status_code == 401
    blocked = attacker.get("/api/v1/ai-systems/", **bearer(raw))
    assert blocked.status_code == 429
    assert "Too many failed token authentications" in blocked.json()["detail"]
    assert int(blocked["Retry-After"]) > 0
    # Another address is not affected; a request without a token is not throttled here.
    assert Client(REMOTE_ADDR="198.51.100.9").get("/api/v1/ai-systems/", **bearer(raw)).status_code == 200
    assert attacker.get("/api/v1/ai-systems/").status_code in (401, 403)
    assert sum("event=api_token_refused" in r.getMessage() for r in caplog.records) == 3


def test_successful_tokens_are_not_counted(world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token_failures": "3/min"}}
    raw = create_token("officer")
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(6):
        assert client.get("/api/v1/management-systems/", **bearer(raw)).status_code == 200


def test_the_api_lists_your_own_tokens_without_their_keys_and_a_token_revokes_itself(world):
    raw = create_token("officer", "--name", "Leaked")
    create_token("officer", "--name", "Other")
    theirs = create_token("auditor")
    client = Client()
    listed = client.get("/api/v1/api-tokens/", **bearer(raw)).json()
    assert sorted(t["name"] for t in listed) == ["Leaked", "Other"]
    assert [t["current"] for t in listed if t["name"] == "Leaked"] == [True]
    assert raw not in json.dumps(listed) and all("key_hash" not in t for t in listed)

    their_id = ApiToken.objects.get(user=world.auditor).pk
    assert client.post(f"/api/v1/api-tokens/{their_id}/revoke/", **bearer(raw)).status_code == 404
    assert client.get("/api/v1/management-systems/", **bearer(theirs)).status_code == 200

    leaked = ApiToken.objects.get(name="Leaked")
    response = client.post(f"/api/v1/api-tokens/{leaked.pk}/revoke/", **bearer(raw))
    assert response.status_code == 200 and response.json()["active"] is False
    assert client.get("/api/v1/api-tokens/", **bearer(raw)).status_code == 401
