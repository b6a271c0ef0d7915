"""Reads of the gateway's evidence pages: checkpoints with their sign-offs, evidence records, metric feeds.

Selectors own the joins: each list is read in a constant number of queries, however long it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from aims import access
from aims.models import ManagementSystem, SignOff
from gateway.evidence.checkpoints import KIND
from gateway.models import GatewayCheckpoint, GatewayEvidence, GatewayIncidentRule, GatewayMetricFeed
from governance.models.objectives import Metric
from registers.models import AISystem

CHECKPOINTS_SHOWN = 30


@dataclass
class CheckpointRow:
    """A checkpoint, the sign-off that put it in the chain, and its heads with their AI systems."""

    checkpoint: GatewayCheckpoint
    signoff: SignOff | None
    heads: list[dict[str, Any]] = field(default_factory=list)


def checkpoint_rows(management_system: ManagementSystem, *, limit: int = CHECKPOINTS_SHOWN) -> list[CheckpointRow]:
    """The newest checkpoints, each with its sign-off and its heads' AI systems (three queries)."""
    checkpoints = list(
        GatewayCheckpoint.objects.filter(management_system=management_system).order_by("-taken_at", "-pk")[:limit]
    )
    signoffs = {
        s.subject_id: s
        for s in SignOff.objects.filter(
            management_system=management_system, kind=KIND, subject_id__in=[c.pk for c in checkpoints]
        )
    }
    systems = AISystem.objects.in_bulk({h.get("ai_system") for c in checkpoints for h in c.heads})
    return [
        CheckpointRow(
            checkpoint=c,
            signoff=signoffs.get(c.pk),
            heads=[{**h, "system": systems.get(h.get("ai_system"))} for h in c.heads],
        )
        for c in checkpoints
    ]


def checkpoint_count(management_system: ManagementSystem) -> int:
    return GatewayCheckpoint.objects.filter(management_system=management_system).count()


def evidence_rows(management_system: ManagementSystem) -> list[GatewayEvidence]:
    """Every gateway evidence record, by AI system and newest period first.

    Each row has ``last_day`` (the period's last day) and ``superseded`` (a later record of its period exists).
    """
    rows = list(
        GatewayEvidence.objects.filter(management_system=management_system)
        .select_related("ai_system", "evidence")
        .order_by("ai_system__reference", "ai_system_id", "-period_start", "-created_at", "-pk")
    )
    seen: set[tuple[int, Any]] = set()
    for row in rows:
        key = (row.ai_system_id, row.period_start)
        row.superseded = key in seen
        row.last_day = row.period_end - timedelta(days=1)
        seen.add(key)
    return rows


def feed_queryset(*, user: AbstractBaseUser) -> QuerySet[GatewayMetricFeed]:
    """Metric feeds the user may read, with their metric, AI system and who set them."""
    base = GatewayMetricFeed.objects.select_related("management_system", "metric", "ai_system", "set_by")
    return access.scope(user, base)


def feeds_of(management_system: ManagementSystem, *, user: AbstractBaseUser) -> list[GatewayMetricFeed]:
    return list(feed_queryset(user=user).filter(management_system=management_system).order_by("metric__reference"))


def gateway_metrics(management_system: ManagementSystem) -> QuerySet[Metric]:
    """The metrics a feed may measure into: the management system's metrics in use whose source is the AI gateway."""
    return Metric.objects.filter(
        management_system=management_system, source=Metric.Source.GATEWAY, retired_at__isnull=True
    ).order_by("reference")


def rule_history(record: GatewayIncidentRule) -> QuerySet:
    """The versions of the incident rule, newest first, with who changed it."""
    return record.history.select_related("history_user").order_by("-history_id")
