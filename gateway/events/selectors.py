"""Reads of the event log: scoped events, one event with what it refers to, an AI system's live figures.

Every read is a fixed number of queries whatever the number of events: lists join the AI system
and approver, look up the keys of one page at once, and the figures are aggregates.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from aims import access
from aims.models import ManagementSystem
from gateway import ledger
from gateway.models import GatewayBody, GatewayEvent, GatewayKey
from registers.models import AISystem

Type = GatewayEvent.Type
# Newest first, in the order the events were written: the primary key's index serves it.
NEWEST_FIRST = ("-pk",)
LATENCY_SAMPLE = 100  # the p50 latency is of this many most recent completed calls
# Events whose entity counts are personal data the gateway redacted (refusals blocked theirs instead).
REDACTING_TYPES = (Type.CALL, Type.REDACTION_SUMMARY)


def event_queryset(*, user: AbstractBaseUser) -> QuerySet[GatewayEvent]:
    """Events the user may read, with their AI system and approver."""
    return access.scope(user, GatewayEvent.objects.select_related("management_system", "ai_system", "approver"))


def event_log(*, management_system: ManagementSystem) -> QuerySet[GatewayEvent]:
    """A management system's events, newest first, ready for the log's rows."""
    return (
        GatewayEvent.objects.filter(management_system=management_system)
        .select_related("ai_system", "approver")
        .order_by(*NEWEST_FIRST)
    )


def with_keys(events: list[GatewayEvent]) -> list[GatewayEvent]:
    """Give each event its ``key`` (the GatewayKey, or None) with one query for the whole page."""
    ids = {event.key_id for event in events if event.key_id}
    keys = GatewayKey.objects.in_bulk(ids) if ids else {}
    for event in events:
        event.key = keys.get(event.key_id)
    return events


@dataclass
class EventDetail:
    """One event and what surrounds it: the event it refers to, those referring to it, its bodies."""

    event: GatewayEvent
    refers_to: GatewayEvent | None
    referred_by: list[GatewayEvent]
    request_body: GatewayBody | None
    response_body: GatewayBody | None


def event_detail(event: GatewayEvent) -> EventDetail:
    """What the event's page shows besides the event (a body is None once deleted for retention or erasure)."""
    chain = GatewayEvent.objects.filter(
        management_system_id=event.management_system_id, ai_system_id=event.ai_system_id
    )
    refers_to = None
    if event.refers_to_sequence:
        refers_to = chain.filter(sequence=event.refers_to_sequence).first()
    referred_by = list(chain.filter(refers_to_sequence=event.sequence).order_by("sequence")[:50])
    digests = {d for d in (event.request_sha256, event.response_sha256) if d}
    bodies = {}
    if digests:
        rows = GatewayBody.objects.filter(management_system_id=event.management_system_id, sha256__in=digests)
        bodies = {body.sha256: body for body in rows}
    return EventDetail(
        event=with_keys([event])[0],
        refers_to=refers_to,
        referred_by=referred_by,
        request_body=bodies.get(event.request_sha256),
        response_body=bodies.get(event.response_sha256),
    )


# Events whose digests name bodies the ledger stored (an action's digest may be of its arguments only).
BODY_TYPES = (Type.CALL, Type.CALL_COMPLETED, Type.FAILED)


def body_gone_reason(event: GatewayEvent) -> str:
    """Why a digest of the event has no body to show."""
    if event.type in BODY_TYPES:
        return "Deleted for retention or erasure."
    return "Not kept: deleted for retention or erasure, or only its digest was recorded (an action's arguments)."


# --- an AI system's live figures -----------------------------------------------------------


@dataclass
class SystemFigures:
    """What the gateway did for one AI system lately (the Gateway tab's figures)."""

    calls_today: int = 0
    calls_week: int = 0
    refusals_week: int = 0
    failures_week: int = 0
    actions_proposed_week: int = 0
    actions_approved_week: int = 0
    actions_denied_week: int = 0
    redactions_week: dict[str, int] = field(default_factory=dict)  # entity type -> how many, by name
    p50_latency_ms: float | None = None
    latency_sample: int = 0  # how many completed calls the p50 is of

    @property
    def redactions_total(self) -> int:
        return sum(self.redactions_week.values())


def system_figures(system: AISystem, *, now: datetime | None = None) -> SystemFigures:
    """Calls today and in the last 7 days, refusals, redactions by type, actions, p50 latency (three queries)."""
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week = _events_of(system).filter(occurred_at__gte=now - timedelta(days=7), occurred_at__lte=now)
    counts = week.aggregate(
        calls_today=Count("pk", filter=Q(type=Type.CALL, occurred_at__gte=today)),
        calls_week=Count("pk", filter=Q(type=Type.CALL)),
        refusals_week=Count("pk", filter=Q(type=Type.REFUSAL)),
        failures_week=Count("pk", filter=Q(type=Type.FAILED)),
        actions_proposed_week=Count("pk", filter=Q(type=Type.ACTION_PROPOSED)),
        actions_approved_week=Count("pk", filter=Q(type=Type.APPROVED)),
        actions_denied_week=Count("pk", filter=Q(type=Type.DENIED)),
    )
    latencies = list(
        _events_of(system)
        .filter(type=Type.CALL_COMPLETED, latency_ms__isnull=False)
        .order_by("-sequence")
        .values_list("latency_ms", flat=True)[:LATENCY_SAMPLE]
    )
    return SystemFigures(
        **counts,
        redactions_week=entity_totals(week.filter(type__in=REDACTING_TYPES)),
        p50_latency_ms=statistics.median(latencies) if latencies else None,
        latency_sample=len(latencies),
    )


def recent_events(system: AISystem, *, limit: int = 10) -> list[GatewayEvent]:
    """The AI system's last events, newest first, with their keys."""
    rows = _events_of(system).select_related("approver").order_by("-sequence")[:limit]
    events = with_keys(list(rows))
    for event in events:
        event.ai_system = system  # the page's own: no join needed
    return events


def _events_of(system: AISystem) -> QuerySet[GatewayEvent]:
    # Naming the management system too lets the (management system, AI system, sequence) index serve.
    return GatewayEvent.objects.filter(management_system_id=system.management_system_id, ai_system=system)


# Sum {TYPE: count} objects by key: the JSON functions differ, the idea does not.
_ENTITY_TOTALS_SQL = {
    "postgresql": "SELECT e.key, SUM(e.value::bigint) FROM ({events}) g "
    "CROSS JOIN LATERAL jsonb_each_text(g.entity_counts) e GROUP BY e.key",
    "sqlite": "SELECT e.key, SUM(e.value) FROM ({events}) g, json_each(g.entity_counts) e GROUP BY e.key",
}


def entity_totals(events: QuerySet[GatewayEvent]) -> dict[str, int]:
    """Sum the events' personal-data counts by entity type, in the database (one query), by type name."""
    template = _ENTITY_TOTALS_SQL.get(connection.vendor)
    if template is None:  # pragma: no cover - the project runs on SQLite and PostgreSQL
        return _sum_in_python(events)
    inner, params = events.order_by().values("entity_counts").query.sql_with_params()
    # The inner query is Django's own compiled SQL; every value stays a parameter.
    sql = template.format(events=inner)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {str(name): int(total) for name, total in sorted(cursor.fetchall())}


def _sum_in_python(events: QuerySet[GatewayEvent]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for counts in events.values_list("entity_counts", flat=True).iterator():
        for name, count in (counts or {}).items():
            totals[name] = totals.get(name, 0) + int(count)
    return dict(sorted(totals.items()))


def describe_counts(counts: dict[str, Any] | None) -> str:
    """``EMAIL_ADDRESS 2, PHONE_NUMBER 1`` for a {type: count} mapping ("" for none)."""
    return ", ".join(f"{name} {count}" for name, count in sorted((counts or {}).items()))


# --- verification --------------------------------------------------------------------------


@dataclass
class Verification:
    """The result of verifying a management system's event chains, in words and with the first broken event."""

    ok: bool
    events: int
    chains: int
    message: str
    broken: GatewayEvent | None = None  # the first event that does not verify (None if its row is gone)
    reason: str = ""
    broken_ai_system: int | None = None
    broken_sequence: int | None = None


def verification(management_system: ManagementSystem) -> Verification:
    """Recompute every digest and link of the management system's event chains (streaming) and say what was found."""
    result = ledger.verify(management_system)
    if result.ok:
        message = (
            f"{result.checked:,} event{'s' if result.checked != 1 else ''} in {result.chains:,} "
            f"chain{'s' if result.chains != 1 else ''} verified: every digest and link is intact."
        )
        return Verification(True, result.checked, result.chains, message)
    broken = result.first_broken
    event = GatewayEvent.objects.select_related("ai_system").filter(pk=broken.pk).first()
    system = event.ai_system.reference if event else f"AI system {broken.key[0]}"
    message = f"{system} event #{broken.sequence} does not verify ({broken.reason}). {broken.detail}"
    return Verification(
        False, result.checked, result.chains, message, broken=event, reason=broken.reason,
        broken_ai_system=broken.key[0], broken_sequence=broken.sequence,
    )  # fmt: skip
