"""Gateway keys are shown once, stored hashed, expire, and revoked keys never authenticate; routes name credentials."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gateway.keys import services
from gateway.keys.services import KeyRefused
from gateway.models import GatewayKey, ModelRoute
from tests.gateway.keys_helpers import make_key, make_route, system_with_model
from tests.kit import count_queries


@pytest.fixture
def system(world):
    return system_with_model(world.acme, world.officer)


def test_key_is_shown_once_and_only_its_hash_is_stored(world, system):
    key, plaintext = make_key(system, world.officer)

    assert plaintext.startswith("aimsgw_") and len(plaintext) >= 45
    assert key.reference == "GWK-001" and key.prefix == plaintext[: services.PREFIX_LENGTH]
    stored = [*GatewayKey.objects.values_list(), *GatewayKey.history.values_list()]
    assert not any(plaintext in str(value) for row in stored for value in row)
    assert key.digest == services.key_digest(plaintext)


def test_a_valid_key_authenticates_in_one_query(world, system):
    key, plaintext = make_key(system, world.officer)

    with_header = services.key_authenticate(f"Bearer {plaintext}")
    assert count_queries(lambda: services.key_authenticate(plaintext)) == 1
    assert with_header == key and with_header.ai_system == system


@pytest.mark.parametrize(
    "bearer",
    ["", "Bearer", "not-a-key", "aimsgw_short", "aims_" + "x" * 43, "aimsgw_" + "x" * 300],
    ids=["empty", "scheme-only", "garbage", "short", "api-token", "too-long"],
)
def test_malformed_bearers_are_refused(world, bearer):
    with pytest.raises(KeyRefused, match="Not a gateway key"):
        services.key_authenticate(bearer)


def test_unknown_and_tampered_keys_are_refused(world, system):
    _key, plaintext = make_key(system, world.officer)

    with pytest.raises(KeyRefused, match="Unknown"):
        services.key_authenticate("aimsgw_" + "A" * 43)
    with pytest.raises(KeyRefused, match="Unknown"):
        services.key_authenticate(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B"))  # right prefix, wrong secret


def test_an_expired_key_is_refused(world, system):
    key, plaintext = make_key(system, world.officer, expires_in_days=1)

    services.key_authenticate(plaintext, now=key.expires_at - timedelta(seconds=1))
    with pytest.raises(KeyRefused, match="expired") as refusal:
        services.key_authenticate(plaintext, now=key.expires_at + timedelta(seconds=1))
    assert refusal.value.key == key


def test_a_revoked_key_is_refused_at_once_with_the_reason_in_history(world, system):
    key, plaintext = make_key(system, world.officer)

    services.key_revoke(key, user=world.officer, reason="Leaked in a log", expected_version=key.version)

    with pytest.raises(KeyRefused, match="revoked"):
        services.key_authenticate(plaintext)
    key.refresh_from_db()
    assert key.revoked_reason == "Leaked in a log" and key.version == 2
    assert key.history.first().history_change_reason == "Revoked: Leaked in a log"
    with pytest.raises(ValidationError, match="already revoked"):
        services.key_revoke(key, user=world.officer, reason="Again")


def test_revoking_needs_a_reason(world, system):
    key, _ = make_key(system, world.officer)
    with pytest.raises(ValidationError):
        services.key_revoke(key, user=world.officer, reason="  ")


@pytest.mark.parametrize("days", [0, services.MAX_DAYS + 1])
def test_a_key_lasts_a_bounded_time(world, system, days):
    with pytest.raises(ValidationError):
        make_key(system, world.officer, expires_in_days=days)


def test_last_use_is_noted_at_most_once_a_minute_without_a_history_version(world, system):
    key, _ = make_key(system, world.officer)
    now = timezone.now()

    assert services.key_mark_used(key, at=now) is True
    assert services.key_mark_used(key, at=now + timedelta(seconds=30)) is False
    key.refresh_from_db()
    assert key.last_used_at == now and key.history.count() == 1


@pytest.mark.parametrize(
    "credential_env", ["sk-proj-abc123", "sk_live_AAAAAAAAAAAAAAAA", "openai key", "lower_case", "1ABC"]
)
def test_a_route_refuses_a_credential_in_place_of_a_variable_name(world, system, credential_env):
    with pytest.raises(ValidationError) as refusal:
        make_route(system, world.officer, credential_env=credential_env)
    assert "credential_env" in refusal.value.message_dict
    assert not ModelRoute.objects.exists()


@pytest.mark.parametrize(
    "base_url", ["ftp://llm.example.org/v1", "javascript:alert(1)", "llm.example.org", "https://u:sk-1@llm.example.org"]
)
def test_a_route_needs_an_http_url_without_credentials(world, system, base_url):
    with pytest.raises(ValidationError) as refusal:
        make_route(system, world.officer, base_url=base_url)
    assert "base_url" in refusal.value.message_dict


def test_a_model_record_has_one_route_changed_with_history(world, system):
    route = make_route(system, world.officer)
    changed = make_route(system, world.officer, upstream_model="gpt-4o", expected_version=route.version)

    assert changed.pk == route.pk and changed.version == 2 and changed.reference == "RTE-001"
    assert ModelRoute.objects.get().upstream_model == "gpt-4o"


def test_issuing_and_revoking_a_key_are_events_of_its_systems_chain(world, system):
    from gateway import ledger
    from gateway.models import GatewayEvent

    key, plaintext = make_key(system, world.officer, name="Triage, production")
    services.key_revoke(key, user=world.officer, reason="Left on a laptop")
    events = list(GatewayEvent.objects.filter(ai_system=system).order_by("sequence"))
    assert [(e.type, e.subject, e.key_id) for e in events] == [
        ("key_created", key.reference, key.pk),
        ("key_revoked", key.reference, key.pk),
    ]
    assert "Triage, production" in events[0].detail and "officer" in events[0].detail
    assert "Left on a laptop" in events[1].detail and plaintext not in events[0].detail + events[1].detail
    assert ledger.verify().ok
