"""Appending a gateway event in one committed statement (PostgreSQL, outside a transaction): ``chain.quick_append``.

The hot path of a call writes two events; on PostgreSQL each statement is a round trip, so each
is one statement holding the chain's lock, the body upsert and the INSERT, checked against the
head this process last wrote. These tests pin that it stays one unbroken chain whatever the hint
says, alongside ``append`` in transactions and other threads.
"""

from __future__ import annotations

import hashlib

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from aims import chain
from gateway import ledger
from gateway.models import GatewayBody, GatewayEvent
from tests.gateway.helpers import at_once, two_ai_systems

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="one-statement appends are PostgreSQL's (SQLite appends in a BEGIN IMMEDIATE transaction)",
    ),
    pytest.mark.django_db(transaction=True),
]


def _call(system, text="hello"):
    return ledger.call_start(ai_system=system, request_body=text, retain_until=None, model_requested="m")


def _sequences(system):
    return list(GatewayEvent.objects.filter(ai_system=system).values_list("sequence", flat=True))


def test_a_call_event_and_its_body_are_one_statement_once_the_head_is_known():
    system, _ = two_ai_systems()
    chain._HEADS.clear()
    with CaptureQueriesContext(connection) as first:
        call = _call(system, "first body")
    assert len(first) == 2  # the head read once, then the statement
    call.ai_system = system  # as the gateway's views keep it
    with CaptureQueriesContext(connection) as queries:
        done = ledger.call_complete(call=call, response_body="the answer", retain_until=None, latency_ms=3)
        again = _call(system, "second body")
    assert len(queries) == 2, [q["sql"][:80] for q in queries]
    assert all(q["sql"].startswith("WITH chain_lock") for q in queries)
    assert (call.sequence, done.sequence, again.sequence) == (1, 2, 3)
    assert done.response_sha256 == hashlib.sha256(b"the answer").hexdigest()
    stored = set(GatewayBody.objects.values_list("sha256", flat=True))
    assert {call.request_sha256, done.response_sha256, again.request_sha256} == stored
    assert GatewayEvent.objects.get(pk=done.pk).digest == done.digest
    assert ledger.verify().ok


def test_a_stale_hint_behind_the_chain_reads_the_head_and_appends_after_it():
    system, _ = two_ai_systems()
    _call(system)
    behind = chain._HEADS[chain._head_key(ledger.EVENTS, {"ai_system_id": system.pk})]
    ledger.event_append(ai_system=system, type="refusal")  # another writer: in a transaction
    ledger.event_append(ai_system=system, type="refusal")
    chain._HEADS[chain._head_key(ledger.EVENTS, {"ai_system_id": system.pk})] = behind
    event = _call(system)
    assert event.sequence == 4
    assert _sequences(system) == [1, 2, 3, 4]
    assert ledger.verify().ok


def test_a_hint_ahead_of_the_chain_or_with_a_foreign_digest_inserts_nothing_and_reads_the_head():
    system, _ = two_ai_systems()
    head_key = chain._head_key(ledger.EVENTS, {"ai_system_id": system.pk})
    chain._HEADS[head_key] = (7, "f" * 64)  # a chain this process wrote before the database was emptied
    assert _call(system).sequence == 1
    chain._HEADS[head_key] = (1, "e" * 64)  # the right sequence, another digest
    assert _call(system).sequence == 2
    assert _sequences(system) == [1, 2]
    assert ledger.verify().ok


def test_inside_a_transaction_the_event_is_appended_in_it_and_rolls_back_with_it():
    system, _ = two_ai_systems()
    with pytest.raises(RuntimeError), transaction.atomic():
        assert not chain.quick_append_possible()
        _call(system)
        raise RuntimeError("the caller failed")
    assert _sequences(system) == [] and not GatewayBody.objects.exists()
    assert _call(system).sequence == 1


def test_another_integrity_error_is_not_taken_for_a_clash_and_is_raised():
    system, _ = two_ai_systems()
    _call(system)
    with pytest.raises(IntegrityError):  # no such user: the approver's foreign key
        ledger.record(ai_system=system, type="approved", approver=type("U", (), {"pk": 10**9})())
    assert _sequences(system) == [1]


def test_threads_appending_at_once_in_both_ways_keep_one_unbroken_chain():
    system, other = two_ai_systems()

    def quick() -> None:
        for i in range(15):
            _call(system, f"body {i % 3}")
            _call(other)

    def in_transactions() -> None:
        for _ in range(15):
            ledger.event_append(ai_system=system, type="refusal")

    assert at_once(quick, quick, quick, in_transactions) == []
    assert _sequences(system) == list(range(1, 61))
    assert _sequences(other) == list(range(1, 46))
    result = ledger.verify()
    assert (result.ok, result.checked) == (True, 105)
    assert GatewayBody.objects.count() == 4  # "hello" and the three bodies, each stored once


def test_threads_of_one_process_take_turns_so_none_falls_back_to_a_transaction(monkeypatch):
    system, _ = two_ai_systems()
    _call(system)  # the head is known
    fallbacks: list[int] = []
    append = chain.append
    monkeypatch.setattr(chain, "append", lambda *args, **kwargs: fallbacks.append(1) or append(*args, **kwargs))

    def calls() -> None:
        for i in range(10):
            _call(system, f"body {i}")

    assert at_once(calls, calls, calls, calls) == []
    assert fallbacks == []  # each thread appended after the head the one before it left: one statement each
    assert _sequences(system) == list(range(1, 42))
    assert ledger.verify().ok
