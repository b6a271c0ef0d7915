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


def event_append(*, ai_system: AISystem, type: str, **values: Any) -> GatewayEvent:
    """Append an event to the AI system's chain (``values`` are GatewayEvent fields)."""
    unknown = set(values) - (set(EVENTS.fields) - {"management_system_id", "type"} | {"approver"})
    if unknown or type not in GatewayEvent.Type.values:
        raise ValueError(f"Not a gateway event: type {type!r}, fields {sorted(unknown)}.")
    approver = values.pop("approver", None)
    if approver is not None:
        values["approver_id"] = approver.pk
    values["entity_counts"] = _check_entity_counts(values.get("entity_counts"))
    values.setdefault("occurred_at", timezone.now())
    return chain.append(
        EVENTS,
        key={"ai_system_id": ai_system.pk},
        values={**values, "type": type, "management_system_id": ai_system.management_system_id},
    )


_BODY_UPSERT: str | None = None


def _body_upsert_sql() -> str:
    """Insert a body, or keep the identical one the management system has at least as long (one statement)."""
    global _BODY_UPSERT
    if _BODY_UPSERT is None:
        meta, quote = GatewayBody._meta, connection.ops.quote_name
        ms, sha, content, created, until = (
            quote(meta.get_field(name).column)
            for name in ("management_system", "sha256", "content", "created_at", "retain_until")
        )
        # Names from the model's metadata, quoted; every value is a parameter. A body kept for ever (NULL)
        # stays so; one asked for ever becomes so; otherwise the later of the two times.
        table = quote(meta.db_table)
        _BODY_UPSERT = (
            f"INSERT INTO {table} ({ms}, {sha}, {content}, {created}, {until}) VALUES (%s, %s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT ({ms}, {sha}) DO UPDATE SET {until} = CASE "
            f"WHEN {table}.{until} IS NULL OR excluded.{until} IS NULL THEN NULL "
            f"WHEN excluded.{until} > {table}.{until} THEN excluded.{until} ELSE {table}.{until} END"
        )
    return _BODY_UPSERT


def body_store(*, management_system: ManagementSystem, content: str, retain_until: datetime | None) -> str:
    """Keep a body (or keep an identical one longer) and return its SHA-256.

    One statement and no savepoint: insert unless the management system already has it, and then
    lengthen the retention of the one it has (never shorten it). A body stored by a call running at
    the same moment is no conflict.
    """
    sha256 = hashlib.sha256(content.encode("utf-8")).hexdigest()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _body_upsert_sql(),
            [management_system.pk, sha256, content, adapt(timezone.now()), adapt(retain_until)],
        )
    return sha256


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
    with transaction.atomic(savepoint=False):  # inside write_transaction: no savepoint of its own
        sha256 = body_store(
            management_system=ai_system.management_system, content=request_body, retain_until=retain_until
        )
        return event_append(
            ai_system=ai_system,
            type=GatewayEvent.Type.CALL,
            key_id=key_id,
            model_requested=model_requested,
            decision=decision,
            policy_version=policy_version,
            entity_counts=entity_counts,
            request_sha256=sha256,
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
    with transaction.atomic(savepoint=False):
        sha256 = ""
        if response_body is not None:
            sha256 = body_store(
                management_system=call.management_system, content=response_body, retain_until=retain_until
            )
        return event_append(
            ai_system=call.ai_system,
            type=GatewayEvent.Type.FAILED if failed else GatewayEvent.Type.CALL_COMPLETED,
            refers_to_sequence=call.sequence,
            key_id=call.key_id,
            model_requested=call.model_requested,
            model_served=model_served,
            latency_ms=latency_ms,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            response_sha256=sha256,
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
