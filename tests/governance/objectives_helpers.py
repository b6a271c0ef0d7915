"""Objectives, metrics and measurements written through the services, as people would."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from governance.models import Metric, Objective
from governance.models.objectives import previous_period
from governance.objectives import services


def months_back(count: int) -> list[date]:
    """The starts of the last ``count`` completed months, oldest first."""
    start = timezone.localdate().replace(day=1)
    months = []
    for _ in range(count):
        start = previous_period(start, Metric.Cadence.MONTHLY)
        months.append(start)
    return list(reversed(months))


def make_metric(ms: Any, user: Any, **fields: Any) -> Metric:
    values = {
        "name": "Suggestions reviewed", "measured": "Reviewed suggestions / all", "method": "Audit log export",
        "cadence": Metric.Cadence.MONTHLY, "unit": "%", "target_value": Decimal("95"),
        "direction": Metric.Direction.AT_LEAST, **fields,
    }  # fmt: skip
    return services.metric_create(management_system=ms, user=user, **values)


def make_objective(ms: Any, user: Any, metric: Metric | None = None, **fields: Any) -> Objective:
    metric = metric or make_metric(ms, user)
    values = {"title": "Clinician in the loop", "statement": "Every suggestion reviewed.", "metric": metric,
              "target": "At least 95 % each month", "status": Objective.Status.ON_TRACK, **fields}  # fmt: skip
    return services.objective_create(management_system=ms, user=user, **values)


def record(metric: Metric, user: Any, *values: str) -> list[Any]:
    """Record one value per month, the last one for the last completed month."""
    return [
        services.measurement_record(metric, user=user, period=month, value=Decimal(value))
        for month, value in zip(months_back(len(values)), values, strict=True)
    ]
