"""The generic hash chain (aims.chain): canonical encoding, appending, streaming verification, the registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from aims import chain
from gateway import ledger
from gateway.models import GatewayEvent
from tests.gateway.helpers import append_calls, at_once, raw, two_ai_systems

POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers itself: concurrent appends need PostgreSQL"
)


def test_encoding_is_independent_of_key_order_and_time_zone():
    instant = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    a = chain.encode({"b": 1, "a": instant, "c": {"y": 2, "x": 1}})
    b = chain.encode({"c": {"x": 1, "y": 2}, "a": instant.astimezone(timezone(timedelta(hours=2))), "b": 1})
    assert a == b == b'{"a":"2026-03-01T12:00:00.000000Z","b":1,"c":{"x":1,"y":2}}'


@pytest.mark.django_db
def test_appends_number_each_chain_from_one_and_link_each_entry_to_the_one_before():
    first, second = two_ai_systems()
    events = append_calls(first, 3)
    other = append_calls(second, 1)[0]
    assert [e.sequence for e in events] == [1, 2, 3] and other.sequence == 1
    assert events[0].previous_digest == other.previous_digest == chain.GENESIS_DIGEST
    assert [e.previous_digest for e in events[1:]] == [e.digest for e in events[:-1]]
    result = ledger.verify(chunk_size=2)  # chunks smaller than a chain still verify across their edges
    assert (result.ok, result.checked, result.chains) == (True, 4, 2)


@pytest.mark.django_db
def test_verify_names_an_altered_entry_as_a_digest_mismatch():
    ai_system, _ = two_ai_systems()
    events = append_calls(ai_system, 3)
    raw("UPDATE gateway_gatewayevent SET model_served = %s WHERE id = %s", ["forged", events[1].pk])
    broken = ledger.verify().first_broken
    assert (broken.pk, broken.sequence, broken.reason) == (events[1].pk, 2, "digest mismatch")


@pytest.mark.django_db
def test_verify_names_the_entry_after_a_removed_one_as_a_sequence_gap():
    ai_system, _ = two_ai_systems()
    events = append_calls(ai_system, 3)
    raw("DELETE FROM gateway_gatewayevent WHERE id = %s", [events[1].pk])
    result = ledger.verify()
    assert (result.checked, result.first_broken.pk, result.first_broken.reason) == (2, events[2].pk, "sequence gap")


@pytest.mark.django_db
def test_verify_names_an_entry_whose_link_was_rewritten_with_a_fresh_digest():
    ai_system, _ = two_ai_systems()
    events = append_calls(ai_system, 2)
    forged_previous = "f" * 64
    payload = {
        "ai_system_id": ai_system.pk,
        **{name: getattr(GatewayEvent.objects.get(pk=events[1].pk), name) for name in ledger.EVENTS.fields},
        "sequence": 2,
        "previous": forged_previous,
    }
    raw(
        "UPDATE gateway_gatewayevent SET previous_digest = %s, digest = %s WHERE id = %s",
        [forged_previous, chain.entry_digest(payload), events[1].pk],
    )
    broken = ledger.verify().first_broken
    assert (broken.pk, broken.reason) == (events[1].pk, "chain link mismatch")


def test_registering_a_chain_verifier_twice_replaces_it():
    before = chain.chain_verifiers()
    try:
        chain.register_chain_verifier("test chains", lambda ms: chain.ChainResult())
        chain.register_chain_verifier("test chains", lambda ms: chain.ChainResult(checked=7))
        names = [v.name for v in chain.chain_verifiers()]
        assert names.count("test chains") == 1 and "gateway events" in names
        assert chain.chain_verifiers()[-1].verify(None).checked == 7
    finally:
        chain._VERIFIERS.pop("test chains", None)
    assert chain.chain_verifiers() == before


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_to_one_chain_keep_one_unbroken_chain():
    ai_system, _ = two_ai_systems()
    assert at_once(*[lambda: append_calls(ai_system, 10)] * 4) == []
    result = ledger.verify()
    assert (result.ok, result.checked) == (True, 40)
    assert list(GatewayEvent.objects.values_list("sequence", flat=True)) == list(range(1, 41))
