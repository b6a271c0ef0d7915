"""The fast encoder of chain verification gives exactly the old canonical bytes, so existing chains still verify."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aims import chain
from gateway import ledger as gateway_ledger
from gateway.models import GatewayEvent
from tests.gateway.helpers import two_ai_systems

EVENTS = gateway_ledger.EVENTS
INT_FIELDS = {
    "management_system_id",
    "refers_to_sequence",
    "key_id",
    "approver_id",
    "latency_ms",
    "tokens_in",
    "tokens_out",
}
TEXT_FIELDS = {
    "type", "model_requested", "model_served", "decision", "policy_version", "tool", "connector", "subject",
    "detail", "request_sha256", "response_sha256",
}  # fmt: skip

texts = st.text(max_size=20)  # every code point: quotes, backslashes, %, control characters, non-ASCII
ints = st.one_of(st.none(), st.integers(min_value=0, max_value=2**62))
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3), max_leaves=8
)
instants = st.datetimes(
    min_value=datetime(1000, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
)  # fmt: skip
zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))])


@st.composite
def entries(draw):
    """One stored row (as a database hands it back, either backend) and the Python values append digested."""
    values = {name: draw(ints) for name in INT_FIELDS} | {name: draw(texts) for name in TEXT_FIELDS}
    instant = draw(instants)
    counts = draw(st.dictionaries(texts, json_values, max_size=4))
    # PostgreSQL hands back aware datetimes in any zone; SQLite the text Django wrote (UTC, no microseconds if 0):
    # SQLite's driver parses them into naive datetimes in UTC (or Django's text form, if not parsed).
    stored_time = draw(st.sampled_from(["aware", "naive", "text"]))
    raw_time = {
        "aware": instant.astimezone(draw(zones)),
        "naive": instant.replace(tzinfo=None),
        "text": str(instant.replace(tzinfo=None)),
    }[stored_time]
    raw_counts = json.dumps(counts, indent=draw(st.sampled_from([None, 1])), sort_keys=draw(st.booleans()))
    return values | {"occurred_at": instant, "entity_counts": counts}, values | {
        "occurred_at": raw_time,
        "entity_counts": raw_counts,
    }


def _rows(entries_list):
    """Rows in ``EVENTS.columns`` order, one chain, with digests from the old encoder (``chain.entry_digest``)."""
    rows, previous = [], chain.GENESIS_DIGEST
    for sequence, (python_values, raw_values) in enumerate(entries_list, start=1):
        payload = {"ai_system_id": 7, **python_values, "sequence": sequence, "previous": previous}
        digest = chain.entry_digest(payload)
        rows.append((sequence, 7, sequence, previous, digest, *(raw_values[name] for name in EVENTS.fields)))
        previous = digest
    return rows


def _unconverted(index, value):
    raise AssertionError(f"column {index} needed Django's converter for {value!r}")


_unconverted.naive_is_utc = True  # as on a UTC connection


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entries(), min_size=1, max_size=5), st.integers(min_value=1, max_value=3))
def test_fast_encoder_gives_the_old_encoders_bytes_on_arbitrary_values(entries_list, chunk_size):
    rows = _rows(entries_list)
    chunks = ((rows[i : i + chunk_size], _unconverted) for i in range(0, len(rows), chunk_size))
    result = chain._check(EVENTS, chunks)
    assert (result.ok, result.checked, result.chains) == (True, len(rows), 1), result.first_broken


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries())
def test_fast_encoder_detects_any_changed_value(entry):
    python_values, raw_values = entry
    (row,) = _rows([entry])
    index = EVENTS.columns.index("decision")
    forged = (*row[:index], row[index] + "x", *row[index + 1 :])
    result = chain._check(EVENTS, iter([([forged], _unconverted)]))
    assert result.first_broken is not None and result.first_broken.reason == "digest mismatch"


def test_template_escapes_percent_and_sorts_names_as_json_does():
    assert chain._template(["b%", "a"]) == '{"a":%s,"b%%":%s}'


@pytest.mark.django_db
def test_events_with_awkward_values_stored_in_the_database_still_verify():
    ai_system, _ = two_ai_systems()
    awkward = [
        {"decision": 'a "quoted" \\ %s % text', "entity_counts": {"PERSON": 2, "EMAIL_ADDRESS": 0}},
        {"detail": "naïve ✓ \u2028 line", "latency_ms": 0, "tokens_in": 2**31 - 1, "entity_counts": {}},
        {"subject": "", "occurred_at": datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)},  # no microseconds
        {"occurred_at": datetime(2026, 6, 1, 12, 0, 0, 123, tzinfo=timezone(timedelta(hours=5)))},
    ]
    for values in awkward:
        gateway_ledger.event_append(ai_system=ai_system, type="call", **values)
    result = gateway_ledger.verify(chunk_size=3)
    assert (result.ok, result.checked) == (True, len(awkward))
    assert GatewayEvent.objects.count() == len(awkward)
