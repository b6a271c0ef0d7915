"""The gateway's event ledger: calls recorded before and after forwarding, bodies beside the chain, append-only."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from aims.models import AppendOnlyError
from gateway import ledger
from gateway.models import GatewayBody, GatewayEvent
from tests.gateway.helpers import append_calls, raw, two_ai_systems

pytestmark = pytest.mark.django_db


@pytest.fixture
def ai_system():
    return two_ai_systems()[0]


def _call(ai_system, *, retain_until=None):
    call = ledger.call_start(
        ai_system=ai_system,
        request_body='{"messages":[{"content":"Write to <EMAIL_ADDRESS>"}]}',
        retain_until=retain_until,
        key_id=5,
        model_requested="gpt-4o-mini",
        decision="redact",
        policy_version="policy@3",
        entity_counts={"EMAIL_ADDRESS": 1},
    )
    done = ledger.call_complete(
        call=call, response_body="Done.", retain_until=retain_until, model_served="gpt-4o-mini-2024", latency_ms=120,
        tokens_in=12, tokens_out=3,
    )  # fmt: skip
    return call, done


def test_a_call_is_recorded_before_forwarding_and_completed_by_a_second_event(ai_system):
    call, done = _call(ai_system)
    assert (call.type, call.sequence, done.type, done.sequence, done.refers_to_sequence) == (
        "call", 1, "call_completed", 2, 1,
    )  # fmt: skip
    assert call.request_sha256 == hashlib.sha256(b'{"messages":[{"content":"Write to <EMAIL_ADDRESS>"}]}').hexdigest()
    assert done.response_sha256 == hashlib.sha256(b"Done.").hexdigest()
    bodies = GatewayBody.objects.filter(management_system=ai_system.management_system)
    assert set(bodies.values_list("sha256", flat=True)) == {call.request_sha256, done.response_sha256}
    stored = GatewayEvent.objects.get(pk=call.pk)
    assert (stored.policy_version, stored.entity_counts, stored.key_id) == ("policy@3", {"EMAIL_ADDRESS": 1}, 5)
    assert ledger.verify(ai_system.management_system).checked == 2


@pytest.mark.parametrize("counts", [{"EMAIL_ADDRESS": "alice@example.com"}, {"alice@example.com": 1}])
def test_entity_counts_never_hold_the_values_found(ai_system, counts):
    with pytest.raises(ValueError):
        ledger.event_append(ai_system=ai_system, type="redaction_summary", entity_counts=counts)
    assert not GatewayEvent.objects.exists()


def test_events_cannot_be_changed_or_deleted_through_the_application(ai_system):
    event = append_calls(ai_system, 1)[0]
    event.model_served = "other"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        GatewayEvent.objects.filter(pk=event.pk).update(model_served="other")
    with pytest.raises(AppendOnlyError):
        GatewayEvent.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_postgresql_refuses_a_raw_update_or_delete_of_an_event(ai_system):
    event = append_calls(ai_system, 1)[0]
    for sql in (
        "UPDATE gateway_gatewayevent SET model_served = 'x' WHERE id = %s",
        "DELETE FROM gateway_gatewayevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])


def test_purging_expired_bodies_and_erasing_one_keep_the_chain_verifiable(ai_system):
    now = timezone.now()
    old_call, _ = _call(ai_system, retain_until=now - timedelta(days=1))
    kept = ledger.call_start(ai_system=ai_system, request_body="kept", retain_until=now + timedelta(days=30))
    assert ledger.body_purge_expired(now=now) == 2
    assert list(GatewayBody.objects.values_list("sha256", flat=True)) == [kept.request_sha256]
    assert ledger.body_erase(management_system=ai_system.management_system, sha256=kept.request_sha256)
    assert not GatewayBody.objects.exists()
    result = ledger.verify()
    assert (result.ok, result.checked) == (True, 3)


def _verify_ledger(*args: str) -> str:
    out = StringIO()
    call_command("verify_ledger", *args, stdout=out)
    return out.getvalue()


def test_verify_ledger_verifies_the_gateway_chains_and_names_the_first_broken_event(ai_system):
    call, done = _call(ai_system)
    ms = str(ai_system.management_system.pk)
    assert "OK: 2 gateway events verified (management system" in _verify_ledger("--management-system", ms)
    raw("UPDATE gateway_gatewayevent SET tokens_out = %s WHERE id = %s", [9999, done.pk])
    # CommandError is what makes `manage.py verify_ledger` exit with status 1.
    with pytest.raises(CommandError) as failure:
        _verify_ledger()
    message = str(failure.value)
    assert f"gateway event id {done.pk} (#2 of AI system {ai_system.pk})" in message
    assert "digest mismatch" in message and "after checking 2 gateway events" in message


def test_an_identical_body_is_stored_once_and_kept_the_longer_time(ai_system):
    now = timezone.now()

    def until() -> object:
        return GatewayBody.objects.get().retain_until

    sha = ledger.body_store(ai_system=ai_system, content="same", retain_until=now + timedelta(days=5))
    assert ledger.body_store(ai_system=ai_system, content="same", retain_until=now + timedelta(days=2)) == sha
    assert until() == now + timedelta(days=5)  # never shortened
    ledger.body_store(ai_system=ai_system, content="same", retain_until=now + timedelta(days=9))
    assert until() == now + timedelta(days=9)  # lengthened
    ledger.body_store(ai_system=ai_system, content="same", retain_until=None)
    assert until() is None  # kept for ever
    ledger.body_store(ai_system=ai_system, content="same", retain_until=now + timedelta(days=1))
    assert until() is None and GatewayBody.objects.count() == 1
