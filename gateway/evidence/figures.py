"""What the gateway did in a period: calls, refusals, redactions, actions, approvers, approval latency.

Read from the events alone (they are append-only, so a period's figures never change once it
has ended, and "as of" a past moment is simply the events that occurred by then). Entity types
and counts only: the events hold no personal data values, and neither do the figures.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from gateway.models import GatewayEvent

T = GatewayEvent.Type
_COLUMNS = (
    "ai_system_id", "sequence", "occurred_at", "type", "refers_to_sequence", "decision", "detail", "entity_counts",
    "approver_id",
)  # fmt: skip


@dataclass
class Figures:
    """The figures of a period (of one AI system, or several)."""

    events: int = 0
    calls: int = 0
    completed: int = 0
    failed: int = 0
    refusals: int = 0
    refusals_by_reason: dict[str, int] = field(default_factory=dict)
    blocked: int = 0
    redactions: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    approvers: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds from proposal to decision
    first_sequence: int | None = None
    last_sequence: int | None = None

    @property
    def redacted(self) -> int:
        return sum(self.redactions.values())

    @property
    def latency_median(self) -> float | None:
        return statistics.median(self.latencies) if self.latencies else None

    @property
    def latency_max(self) -> float | None:
        return max(self.latencies) if self.latencies else None

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON (the evidence record's ``figures``)."""
        return {
            "events": self.events,
            "calls": self.calls,
            "calls_completed": self.completed,
            "calls_failed": self.failed,
            "refusals": self.refusals,
            "refusals_by_reason": dict(sorted(self.refusals_by_reason.items())),
            "blocked_calls": self.blocked,
            "redactions_by_entity_type": dict(sorted(self.redactions.items())),
            "actions": {name: self.actions.get(name, 0) for name in ("proposed", "approved", "denied", "performed")},
            "approvers": dict(sorted(self.approvers.items())),
            "approval_latency_seconds": {
                "decisions": len(self.latencies),
                "median": _round(self.latency_median),
                "max": _round(self.latency_max),
            },
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def refusal_reason(event: dict[str, Any]) -> str:
    """A refusal's reason in words (its decision or detail), short enough to count by."""
    return (event["decision"] or event["detail"] or "unspecified")[:120]


def is_blocked(event: dict[str, Any]) -> bool:
    """A refusal the policy made (a block), as opposed to a refused key or an unknown model."""
    return event["type"] == T.REFUSAL and event["decision"] == "block"


_ACTION_TYPES = {T.ACTION_PROPOSED: "proposed", T.APPROVED: "approved", T.DENIED: "denied", T.PERFORMED: "performed"}


def figures_of(ai_system_ids: list[int], start: datetime, end: datetime) -> Figures:
    """The figures of the AI systems' events that occurred in [start, end) (three queries)."""
    events = list(
        GatewayEvent.objects.filter(ai_system_id__in=ai_system_ids, occurred_at__gte=start, occurred_at__lt=end)
        .order_by("ai_system_id", "sequence")
        .values(*_COLUMNS)
    )
    result = Figures(events=len(events))
    redactions: Counter = Counter()
    for event in events:
        _count(result, event, redactions)
    result.redactions = dict(redactions)
    if events:
        result.first_sequence, result.last_sequence = events[0]["sequence"], events[-1]["sequence"]
    _decisions(result, [e for e in events if e["type"] in (T.APPROVED, T.DENIED)])
    return result


def _count(result: Figures, event: dict[str, Any], redactions: Counter) -> None:
    kind = event["type"]
    if kind == T.CALL:
        result.calls += 1
    elif kind == T.CALL_COMPLETED:
        result.completed += 1
    elif kind == T.FAILED:
        result.failed += 1
    elif kind == T.REFUSAL:
        result.refusals += 1
        reason = refusal_reason(event)
        result.refusals_by_reason[reason] = result.refusals_by_reason.get(reason, 0) + 1
        result.blocked += is_blocked(event)
    if kind in _ACTION_TYPES:
        name = _ACTION_TYPES[kind]
        result.actions[name] = result.actions.get(name, 0) + 1
    # What was stripped from calls that left; a refused call's personal data never left (it counts as blocked).
    if kind in (T.CALL, T.REDACTION_SUMMARY):
        redactions.update(event["entity_counts"] or {})


def _decisions(result: Figures, decisions: list[dict[str, Any]]) -> None:
    """Approvers by name and the time each proposal waited for its decision (two queries)."""
    if not decisions:
        return
    wanted = Q()
    for d in decisions:
        if d["refers_to_sequence"]:
            wanted |= Q(ai_system_id=d["ai_system_id"], sequence=d["refers_to_sequence"])
    proposed = (
        dict(
            ((a, s), at)
            for a, s, at in GatewayEvent.objects.filter(wanted).values_list("ai_system_id", "sequence", "occurred_at")
        )
        if wanted
        else {}
    )
    users = get_user_model().objects.in_bulk({d["approver_id"] for d in decisions if d["approver_id"]})
    for d in decisions:
        user = users.get(d["approver_id"])
        name = user.get_username() if user else "(not recorded)"
        result.approvers[name] = result.approvers.get(name, 0) + 1
        asked = proposed.get((d["ai_system_id"], d["refers_to_sequence"]))
        if asked is not None:
            result.latencies.append((d["occurred_at"] - asked).total_seconds())
