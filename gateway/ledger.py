"""The gateway's event ledger: append events to each AI system's chain, store bodies beside it, verify, purge.

A call is two events, because a written event is never updated: ``call_start`` appends a
``call`` event (the decision, the policy version, the entity counts and the digest of the
redacted request) BEFORE the request is forwarded, so a call that crashes the gateway is still
on record; ``call_complete`` then appends a ``call_completed`` event whose ``refers_to_sequence``
is the call's sequence, with the model served, latency, tokens and the response's digest (a
failed upstream call appends ``failed`` the same way). Approvals refer to their proposal alike.

Bodies (redacted requests, responses) are ``GatewayBody`` rows found by their SHA-256 within
the management system; the chain holds only the digests, so ``body_purge_expired`` and
``body_erase`` remove bodies without breaking the chain.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from aims import chain
from aims.models import ManagementSystem
from gateway.models import GatewayBody, GatewayEvent
from registers.models import AISystem

EVENTS = chain.Chain(
    model=GatewayEvent,
    key_fields=("ai_system_id",),
    fields=(
        "management_system_id", "occurred_at", "type", "refers_to_sequence", "key_id", "model_requested",
        "model_served", "decision", "policy_version", "entity_counts", "approver_id", "latency_ms", "tokens_in",
        "tokens_out", "tool", "connector", "subject", "detail", "request_sha256", "response_sha256",
    ),
    label="gateway event",
)  # fmt: skip
ENTITY_TYPE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
# What ``_event_values`` accepts: the digested fields an event's writer sets, and the event types.
_VALUE_FIELDS = frozenset(EVENTS.fields) - {"management_system_id", "type"} | {"approver"}
_EVENT_TYPES = frozenset(GatewayEvent.Type.values)


def _check_entity_counts(entity_counts: dict[str, int] | None) -> dict[str, int]:
    """Entity counts are {TYPE: count}: never the values found, which would put personal data in the chain."""
    counts = dict(entity_counts or {})
    for name, count in counts.items():
        if not isinstance(name, str) or not ENTITY_TYPE.match(name):
            raise ValueError(f"Entity types are upper-case names like EMAIL_ADDRESS, not {name!r}.")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError(f"The count of {name} must be a whole number, not {count!r}.")
    return counts


@contextmanager
def write_transaction() -> Iterator[None]:
    """An atomic block for appending events from many threads or processes at once.

    On PostgreSQL it is ``transaction.atomic()`` (the chain's advisory lock serialises appends).
    SQLite has one writer at a time, and a transaction that read before it writes cannot wait for
    the lock (it fails at once: "database is locked"); so on SQLite the block starts with BEGIN
    IMMEDIATE, which takes the write lock first and waits for it up to the database timeout.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    connection.ensure_connection()
    mode = connection.transaction_mode
    connection.transaction_mode = "IMMEDIATE"
    try:
        with transaction.atomic():
            connection.transaction_mode = mode
            yield
    finally:
        connection.transaction_mode = mode


def _event_values(ai_system: AISystem, type: str, values: dict[str, Any]) -> dict[str, Any]:
    """An event's field values, checked (``values`` are GatewayEvent fields, or ``approver``)."""
    unknown = values.keys() - _VALUE_FIELDS
    if unknown or type not in _EVENT_TYPES:
        raise ValueError(f"Not a gateway event: type {type!r}, fields {sorted(unknown)}.")
    approver = values.pop("approver", None)
    if approver is not None:
        values["approver_id"] = approver.pk
    values["entity_counts"] = _check_entity_counts(values.get("entity_counts"))
    values.setdefault("occurred_at", timezone.now())
    return {**values, "type": type, "management_system_id": ai_system.management_system_id}


def event_append(*, ai_system: AISystem, type: str, **values: Any) -> GatewayEvent:
    """Append an event to the AI system's chain (``values`` are GatewayEvent fields)."""
    return chain.append(EVENTS, key={"ai_system_id": ai_system.pk}, values=_event_values(ai_system, type, values))


def record(
    *, ai_system: AISystem, type: str, body: tuple[str, datetime | None] | None = None, **values: Any
) -> GatewayEvent:
    """Append an event on its own, with the body it refers to (content, retain until) stored first.

    Written as ONE committed statement on PostgreSQL outside a transaction (``chain.quick_append``:
    a call makes two of them, so each round trip saved counts), otherwise in a ``write_transaction``
    of its own or the caller's. The body's SHA-256 goes into ``request_sha256`` or
    ``response_sha256``, whichever ``values`` names with the value ``BODY``.
    """
    values = _event_values(ai_system, type, values)
    if body is not None:
        content, retain_until = body
        sha256 = hashlib.sha256(content.encode("utf-8")).hexdigest()
        values = {name: sha256 if value is BODY else value for name, value in values.items()}
    key = {"ai_system_id": ai_system.pk}
    if chain.quick_append_possible():
        before: tuple[str, list[Any]] = ("", [])
        if body is not None:
            before = (
                f"stored_body AS ({_body_upsert_sql(after_chain_lock=True)} RETURNING 1)",
                _body_params(ai_system.management_system_id, sha256, content, retain_until),
            )
        return chain.quick_append(EVENTS, key=key, values=values, before=before)
    with transaction.atomic(savepoint=False) if connection.in_atomic_block else write_transaction():
        chain.lock(EVENTS, key)  # before the body, as every writer: see _body_upsert_sql
        if body is not None:
            _upsert_body(ai_system.management_system_id, sha256, content, retain_until)
        return chain.append(EVENTS, key=key, values=values)


BODY = object()  # in ``record``'s values: the digest of the body stored with the event


_BODY_UPSERT: dict[bool, str] = {}


def _body_upsert_sql(*, after_chain_lock: bool = False) -> str:
    """Insert a body, or keep the identical one the management system has at least as long (one statement).

    ``after_chain_lock``: the form for ``chain.quick_append``'s statement, inserting once the chain's
    lock is held (it reads from ``chain_lock``), as every writer does: lock, then body. A writer
    storing the body before taking the lock could wait for a body another holds while holding up its chain.
    """
    sql = _BODY_UPSERT.get(after_chain_lock)
    if sql is None:
        meta, quote = GatewayBody._meta, connection.ops.quote_name
        ms, sha, content, created, until = (
            quote(meta.get_field(name).column)
            for name in ("management_system", "sha256", "content", "created_at", "retain_until")
        )
        # Names from the model's metadata, quoted; every value is a parameter. A body kept for ever (NULL)
        # stays so; one asked for ever becomes so; otherwise the later of the two times.
        table = quote(meta.db_table)
        values = "VALUES (%s, %s, %s, %s, %s)"
        if after_chain_lock:  # an INSERT … SELECT infers no parameter types: cast each
            casts = (meta.get_field(name).cast_db_type(connection) for name in ("created_at", "retain_until"))
            created_cast, until_cast = (f"CAST(%s AS {cast})" for cast in casts)  # types from the model
            values = f"SELECT CAST(%s AS bigint), %s, %s, {created_cast}, {until_cast} FROM chain_lock"  # noqa: S608
        sql = _BODY_UPSERT[after_chain_lock] = (
            f"INSERT INTO {table} ({ms}, {sha}, {content}, {created}, {until}) {values} "  # noqa: S608
            f"ON CONFLICT ({ms}, {sha}) DO UPDATE SET {until} = CASE "
            f"WHEN {table}.{until} IS NULL OR excluded.{until} IS NULL THEN NULL "
            f"WHEN excluded.{until} > {table}.{until} THEN excluded.{until} ELSE {table}.{until} END"
        )
    return sql


def body_store(*, ai_system: AISystem, content: str, retain_until: datetime | None) -> str:
    """Keep a body an event of the AI system will refer to (or keep an identical one longer); return its SHA-256.

    One statement: insert unless the management system already has it, and then lengthen the
    retention of the one it has (never shorten it). It takes the AI system's chain lock first (in
    the caller's transaction, or one of its own), as every writer does before storing a body.
    """
    sha256 = hashlib.sha256(content.encode("utf-8")).hexdigest()
    with transaction.atomic(savepoint=False):
        chain.lock(EVENTS, {"ai_system_id": ai_system.pk})
        _upsert_body(ai_system.management_system_id, sha256, content, retain_until)
    return sha256


def _upsert_body(management_system_id: int, sha256: str, content: str, retain_until: datetime | None) -> None:
    """Store a body (the caller holds the chain's lock): ``_body_upsert_sql``."""
    with connection.cursor() as cursor:
        cursor.execute(_body_upsert_sql(), _body_params(management_system_id, sha256, content, retain_until))


def _body_params(management_system_id: int, sha256: str, content: str, retain_until: datetime | None) -> list[Any]:
    adapt = connection.ops.adapt_datetimefield_value
    return [management_system_id, sha256, content, adapt(timezone.now()), adapt(retain_until)]


def call_start(
    *,
    ai_system: AISystem,
    request_body: str,
    retain_until: datetime | None,
    key_id: int | None = None,
    model_requested: str = "",
    decision: str = "",
    policy_version: str = "",
    entity_counts: dict[str, int] | None = None,
) -> GatewayEvent:
    """Record a call before it is forwarded: store the redacted request and append a ``call`` event."""
    return record(
        ai_system=ai_system,
        type=GatewayEvent.Type.CALL,
        body=(request_body, retain_until),
        key_id=key_id,
        model_requested=model_requested,
        decision=decision,
        policy_version=policy_version,
        entity_counts=entity_counts,
        request_sha256=BODY,
    )


def call_complete(
    *,
    call: GatewayEvent,
    response_body: str | None,
    retain_until: datetime | None,
    model_served: str = "",
    latency_ms: int | None = None,
    tokens_in: int | None = None,
    tokens_out: int | None = None,
    failed: bool = False,
    entity_counts: dict[str, int] | None = None,
    detail: str = "",
) -> GatewayEvent:
    """Record a forwarded call's outcome: a ``call_completed`` (or ``failed``) event referring to the call.

    ``entity_counts`` are the personal data found in the answer (types and counts, never values);
    ``detail`` says in words what went wrong or what was done to the answer.
    """
    if call.type != GatewayEvent.Type.CALL:
        raise ValueError(f"Gateway event #{call.sequence} is a {call.type}, not a call.")
    return record(
        ai_system=call.ai_system,
        type=GatewayEvent.Type.FAILED if failed else GatewayEvent.Type.CALL_COMPLETED,
        body=None if response_body is None else (response_body, retain_until),
        refers_to_sequence=call.sequence,
        key_id=call.key_id,
        model_requested=call.model_requested,
        model_served=model_served,
        latency_ms=latency_ms,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        response_sha256=BODY if response_body is not None else "",
        entity_counts=entity_counts,
        detail=detail[:500],
    )


def body_purge_expired(*, now: datetime | None = None) -> int:
    """Delete the bodies whose retention ended; return how many (the chain still verifies)."""
    deleted, _ = GatewayBody.objects.filter(retain_until__lt=now or timezone.now()).delete()
    return deleted


def body_erase(*, management_system: ManagementSystem, sha256: str) -> bool:
    """Delete one body now (an erasure request); return whether there was one."""
    deleted, _ = GatewayBody.objects.filter(management_system=management_system, sha256=sha256).delete()
    return bool(deleted)


def verify(management_system: ManagementSystem | None = None, *, chunk_size: int = 5000) -> chain.ChainResult:
    """Check every AI system's event chain (of one management system, or all), streaming."""
    events = GatewayEvent.objects.all()
    if management_system is not None:
        events = events.filter(management_system=management_system)
    return chain.verify(EVENTS, events, chunk_size=chunk_size)


def describe_broken(broken: chain.BrokenEntry) -> str:
    """One line naming the first broken event, for the command line and logs."""
    return f"gateway event id {broken.pk} (#{broken.sequence} of AI system {broken.key[0]}): {broken.reason}. {broken.detail}"
