"""Evidence records per AI system and period, written by the gateway from its own events.

For every AI system with gateway events, each period (``AIMS_GATEWAY_EVIDENCE_PERIOD``: ``week``,
Monday to Sunday, by default; or ``day``) becomes one evidence record (``evidence.Evidence``, a
JSON file with its SHA-256): calls, refusals by reason, redactions by entity type, actions
proposed, approved, denied and performed with their approvers, approval latency (median and
longest), the chain's verification result and the checkpoints that cover the period. It is linked
to the AI system and to the SoA rows it evidences (``SOA_CONTROLS``).

Idempotent per (AI system, period): a complete period is recorded once. A period still running
may be recorded early (``complete=False``, the demo does); the complete record then supersedes it
(``evidence.services.evidence_supersede``), so the evidence register keeps both versions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.functions import TruncDate
from django.utils import timezone

from aims import chain
from aims.ledger import plain
from aims.models import ManagementSystem
from controls.models import Applicability
from evidence import services as evidence_services
from gateway import ledger
from gateway.evidence.account import service_account
from gateway.evidence.figures import figures_of
from gateway.models import GatewayCheckpoint, GatewayEvent, GatewayEvidence
from registers.models import AISystem

FORMAT = "aims-gateway-evidence/1"
# The Annex A controls a gateway evidence record shows in operation. Annex A has no access-control
# control of its own (that is ISO/IEC 27001's A.5.15): the key and register checks of every call
# are evidence of keeping use within the intended use (A.9.4).
SOA_CONTROLS = {
    "A.6.2.8": "event logging while the AI system is in use",
    "A.7.2": "data management: personal data detected and redacted at the boundary",
    "A.9.2": "responsible use: a person approves external actions where policy says so",
    "A.9.4": "use within the intended use: every call authenticated and checked against the register",
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # the first day after the period

    @property
    def label(self) -> str:
        if self.end - self.start == timedelta(days=1):
            return self.start.isoformat()
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    def bounds(self) -> tuple[datetime, datetime]:
        return midnight(self.start), midnight(self.end)


def midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def period_of(day: date, kind: str | None = None) -> Period:
    """The period (a day, or an ISO week from Monday) that contains ``day``."""
    kind = kind or settings.AIMS_GATEWAY_EVIDENCE_PERIOD
    if kind == "day":
        return Period(day, day + timedelta(days=1))
    start = day - timedelta(days=day.weekday())
    return Period(start, start + timedelta(days=7))


def _checkpoint_range(ai_system: AISystem, last_sequence: int | None, start: datetime, end: datetime) -> dict:
    """The checkpoints taken in the period, and the first that covers its last event (if taken yet)."""
    checkpoints = list(
        GatewayCheckpoint.objects.filter(management_system_id=ai_system.management_system_id).order_by("taken_at")
    )
    covering = None
    if last_sequence is not None:
        covering = next(
            (c for c in checkpoints if (c.head_of(ai_system.pk) or {}).get("sequence", 0) >= last_sequence), None
        )
    taken = [c for c in checkpoints if start <= c.taken_at < end and c.head_of(ai_system.pk)]

    def describe(c: GatewayCheckpoint) -> dict[str, Any]:
        head = c.head_of(ai_system.pk) or {}
        return {"reference": c.reference, "taken_at": plain(c.taken_at), "head_sequence": head.get("sequence")}

    return {
        "taken_in_period": [describe(c) for c in taken],
        "covered_by": describe(covering) if covering else None,
    }


def _verification(ai_system: AISystem) -> dict[str, Any]:
    result = chain.verify(ledger.EVENTS, GatewayEvent.objects.filter(ai_system=ai_system))
    broken = result.first_broken
    return {
        "ok": result.ok,
        "checked": result.checked,
        "first_broken": ledger.describe_broken(broken) if broken else None,
    }


def record_content(ai_system: AISystem, period: Period, *, until: datetime) -> tuple[dict[str, Any], Any]:
    """The evidence record's JSON (no personal data values) and the figures it was made from."""
    start, end = period.bounds()
    figures = figures_of([ai_system.pk], start, min(end, until))
    content = {
        "format": FORMAT,
        "ai_system": {"id": ai_system.pk, "reference": ai_system.reference, "name": ai_system.name},
        "period": {
            "kind": settings.AIMS_GATEWAY_EVIDENCE_PERIOD,
            "label": period.label,
            "start": plain(start),
            "end": plain(end),
            "complete": until >= end,
            "recorded_until": plain(min(end, until)),
        },
        "events": {"first_sequence": figures.first_sequence, "last_sequence": figures.last_sequence},
        "figures": figures.as_dict(),
        "chain_verification": _verification(ai_system),
        "checkpoints": _checkpoint_range(ai_system, figures.last_sequence, start, end),
        "evidences": SOA_CONTROLS,
    }
    return content, figures


def _soa_rows(management_system: ManagementSystem) -> list[Applicability]:
    return list(Applicability.objects.filter(management_system=management_system, control__key__in=list(SOA_CONTROLS)))


def evidence_record(*, ai_system: AISystem, period: Period, now: datetime | None = None) -> GatewayEvidence | None:
    """Record the AI system's gateway activity of a period as evidence; None when it is recorded already.

    A period still running is recorded as incomplete (and superseded once it is complete).
    """
    now = now or timezone.now()
    complete = now >= period.bounds()[1]
    with transaction.atomic():
        AISystem.objects.select_for_update().filter(pk=ai_system.pk).exists()  # one writer per AI system
        earlier = GatewayEvidence.objects.filter(ai_system=ai_system, period_start=period.start).order_by("-pk")
        latest = earlier.select_related("evidence").first()
        if latest is not None and (latest.complete or not complete and _unchanged(latest, ai_system, now)):
            return None
        content, figures = record_content(ai_system, period, until=now)
        evidence = _write(ai_system, period, content, complete, supersedes=latest.evidence if latest else None)
        return GatewayEvidence.objects.create(
            management_system_id=ai_system.management_system_id, ai_system=ai_system, period_start=period.start,
            period_end=period.end, complete=complete, evidence=evidence, first_sequence=figures.first_sequence,
            last_sequence=figures.last_sequence,
        )  # fmt: skip


def _unchanged(latest: GatewayEvidence, ai_system: AISystem, now: datetime) -> bool:
    start, _end = latest.period_start, latest.period_end
    last = (
        GatewayEvent.objects.filter(ai_system=ai_system, occurred_at__gte=midnight(start), occurred_at__lt=now)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    return last == latest.last_sequence


def _write(ai_system: AISystem, period: Period, content: dict, complete: bool, *, supersedes: Any) -> Any:
    data = (json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    upload = ContentFile(data, name=f"gateway-{ai_system.reference}-{period.label}.json")
    so_far = "" if complete else " (so far)"
    title = f"Gateway activity of {ai_system.reference}, {period.label}{so_far}"
    description = (
        "Written by the AI gateway from its event chain: calls, refusals, redactions by entity type, actions and "
        "their approvers, approval latency, the chain's verification and the checkpoints covering it. "
        "No personal data values."
    )
    links = {"ai_systems": [ai_system], "soa_rows": _soa_rows(ai_system.management_system)}
    evidence_date = min(period.end - timedelta(days=1), timezone.localdate())
    account = service_account()
    if supersedes is not None:
        return evidence_services.evidence_supersede(
            supersedes, user=account, title=title, description=description, evidence_date=evidence_date,
            upload=upload, links=links,
        )  # fmt: skip
    return evidence_services.evidence_create(
        management_system=ai_system.management_system, user=account, title=title, description=description,
        evidence_date=evidence_date, upload=upload, links=links, reason="Recorded by the AI gateway",
    )  # fmt: skip


def evidence_build(*, now: datetime | None = None, include_current: bool = False) -> list[GatewayEvidence]:
    """Record every AI system's ended periods not recorded yet (and, if asked, the running one); return the new ones.

    Looks back ``AIMS_GATEWAY_EVIDENCE_LOOKBACK_DAYS`` for periods with events.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    current = period_of(today)
    since = midnight(today - timedelta(days=settings.AIMS_GATEWAY_EVIDENCE_LOOKBACK_DAYS))
    days = (
        GatewayEvent.objects.filter(occurred_at__gte=since, occurred_at__lt=now)
        .annotate(day=TruncDate("occurred_at"))
        .values_list("ai_system_id", "day")
        .order_by()
        .distinct()
    )
    wanted = {(ai_system_id, period_of(day).start) for ai_system_id, day in days}
    systems = AISystem.objects.in_bulk({ai_system_id for ai_system_id, _ in wanted})
    written = []
    for ai_system_id, start in sorted(wanted):
        period = period_of(start)
        if period.start == current.start and not include_current:
            continue
        record = evidence_record(ai_system=systems[ai_system_id], period=period, now=now)
        if record is not None:
            written.append(record)
    return written
