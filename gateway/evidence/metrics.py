"""Gateway figures as the source of objectives' metrics.

Governance already knows a metric whose source is "AI gateway" (``Metric.Source.GATEWAY``); what
it cannot know, being below the gateway, is which figure. A ``GatewayMetricFeed`` says it: the
figure (calls, refused or blocked calls, personal data redacted, approval latency) and the AI
system (or all of them). Each day the gateway measures every feed's last ended period (the metric's
cadence: month, quarter or year) through governance's own ``measurement_record``, once: a period
already measured, by hand or by the gateway, is left alone. No registry is needed: the gateway
imports governance, never the other way round.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone

from gateway.evidence.account import service_account
from gateway.evidence.figures import Figures, figures_of
from gateway.evidence.records import midnight
from gateway.models import GatewayMetricFeed
from governance.models.objectives import Measurement, Metric, period_label, period_start
from governance.objectives.services import measurement_record
from registers.models import AISystem

Figure = GatewayMetricFeed.Figure
logger = logging.getLogger(__name__)


def figure_value(figure: str, figures: Figures) -> Decimal | None:
    """The value of one figure (latencies in minutes); None when there is nothing to measure (no approvals)."""
    if figure == Figure.CALLS:
        return Decimal(figures.calls)
    if figure == Figure.REFUSALS:
        return Decimal(figures.refusals)
    if figure == Figure.BLOCKED:
        return Decimal(figures.blocked)
    if figure == Figure.REDACTIONS:
        return Decimal(figures.redacted)
    seconds = figures.latency_median if figure == Figure.APPROVAL_LATENCY_MEDIAN else figures.latency_max
    return None if seconds is None else (Decimal(str(seconds)) / 60).quantize(Decimal("0.01"))


def metric_feed_set(
    *, metric: Metric, user: AbstractBaseUser, figure: str, ai_system: AISystem | None = None
) -> GatewayMetricFeed:
    """Make a gateway figure the source of a metric whose source is the AI gateway."""
    if metric.source != Metric.Source.GATEWAY:
        raise ValidationError({"metric": f"{metric.reference} is not measured by the AI gateway (its source)."})
    if metric.is_retired:
        raise ValidationError({"metric": f"{metric.reference} was retired: nothing is measured into it any more."})
    if figure not in Figure.values:
        raise ValidationError({"figure": f"Choose one of: {', '.join(Figure.labels)}."})
    if ai_system is not None and ai_system.management_system_id != metric.management_system_id:
        raise ValidationError({"ai_system": f"{ai_system.reference} belongs to another management system."})
    feed, _ = GatewayMetricFeed.objects.update_or_create(
        metric=metric,
        defaults={
            "management_system_id": metric.management_system_id, "figure": figure, "ai_system": ai_system,
            "set_by": user,
        },
    )  # fmt: skip
    return feed


def metric_feed_remove(feed: GatewayMetricFeed, *, user: AbstractBaseUser) -> None:
    """Stop measuring a gateway figure into the metric; its measurements stay (they belong to the metric).

    Measurements refer to the metric, never to the feed, so the feed is deleted: nothing points at it.
    """
    logger.info(
        "Gateway metric feed %s (%s into metric %s) removed by %s",
        feed.pk, feed.figure, feed.metric_id, user.get_username(),
    )  # fmt: skip
    feed.delete()


def _previous_period(today: date, cadence: str) -> tuple[date, date]:
    current = period_start(today, cadence)
    return period_start(current - timedelta(days=1), cadence), current


def metric_feed_measure(feed: GatewayMetricFeed, *, today: date | None = None) -> Measurement | None:
    """Measure the feed's last ended period if nobody has; return the measurement (None: nothing to record)."""
    metric = feed.metric
    if metric.is_retired or metric.source != Metric.Source.GATEWAY:
        return None
    start, end = _previous_period(today or timezone.localdate(), metric.cadence)
    if metric.measurements.filter(period=start).exists():
        return None
    systems = (
        [feed.ai_system_id]
        if feed.ai_system_id
        else list(AISystem.objects.filter(management_system_id=feed.management_system_id).values_list("pk", flat=True))
    )
    figures = figures_of(systems, midnight(start), midnight(end))
    value = figure_value(feed.figure, figures)
    if value is None:
        return None
    scope = f"AI system {feed.ai_system.reference}" if feed.ai_system_id else "every AI system"
    return measurement_record(
        metric, user=service_account(), period=start, value=value,
        note=f"Measured by the AI gateway from its events: {feed.get_figure_display().lower()}, {scope}, "
        f"{period_label(start, metric.cadence)}.",
    )  # fmt: skip


def metric_feeds_measure(*, today: date | None = None) -> list[Measurement]:
    """Measure every feed's last ended period not measured yet."""
    feeds = GatewayMetricFeed.objects.select_related("metric", "ai_system").order_by("pk")
    return [m for m in (metric_feed_measure(feed, today=today) for feed in feeds) if m is not None]
