"""Reads of objectives, metrics and measurements; selectors own the joins and prefetches (constant queries)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from aims import access
from aims.models import ManagementSystem
from governance.models import Measurement, Metric, Objective, ObjectiveNonconformity
from governance.objectives.results import Standing, standing


def _measurements() -> Prefetch:
    return Prefetch(
        "metric__measurements",
        queryset=Measurement.objects.select_related("recorded_by", "evidence").order_by("period", "recorded_at", "pk"),
    )


def _links() -> Prefetch:
    return Prefetch("nonconformity_links", queryset=ObjectiveNonconformity.objects.select_related("nonconformity"))


def objective_queryset(*, user: AbstractBaseUser) -> QuerySet[Objective]:
    """Objectives the user may read, with their metric, measurements and raised nonconformities."""
    base = Objective.objects.select_related(
        "management_system", "metric", "metric__measured_by", "metric__analysed_by", "policy", "responsible"
    )
    return access.scope(user, base).prefetch_related(_measurements(), _links())


def objective_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[Objective]:
    """Objectives of a management system (``ObjectiveFilterSet`` filters them)."""
    return objective_queryset(user=user).filter(management_system=management_system).order_by("reference")


def attach_standing(objectives: list[Objective], today: date | None = None) -> list[Objective]:
    """Give each objective (prefetched by the selectors above) its ``standing``: results, latest, flags."""
    today = today or timezone.localdate()
    for objective in objectives:
        objective.standing = standing_of(objective, today)
    return objectives


def standing_of(objective: Objective, today: date | None = None) -> Standing:
    return standing(
        objective.metric,
        objective.metric.measurements.all(),
        today or timezone.localdate(),
        objective.nonconformity_links.all(),
    )


def metric_queryset(*, user: AbstractBaseUser) -> QuerySet[Metric]:
    """Metrics the user may read, with their people, measurements and the objectives they measure."""
    base = Metric.objects.select_related("management_system", "measured_by", "analysed_by")
    return access.scope(user, base).prefetch_related(
        Prefetch(
            "measurements",
            queryset=Measurement.objects.select_related("recorded_by", "evidence").order_by(
                "period", "recorded_at", "pk"
            ),
        ),
        Prefetch("objectives", queryset=Objective.objects.order_by("reference")),
    )


def metric_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[Metric]:
    """Metrics of a management system (``MetricFilterSet`` filters them)."""
    return metric_queryset(user=user).filter(management_system=management_system).order_by("reference")


def measurement_queryset(*, user: AbstractBaseUser) -> QuerySet[Measurement]:
    """Measurements the user may read, with their metric, who recorded them, evidence and corrections."""
    base = Measurement.objects.select_related("management_system", "metric", "recorded_by", "evidence", "corrects")
    return access.scope(user, base).prefetch_related("corrections")


def history_of(obj: Any) -> QuerySet:
    """Every version of a record, newest first, with who made it."""
    return obj.history.select_related("history_user").order_by("-history_date", "-history_id")


def metric_options(management_system: ManagementSystem) -> QuerySet[Metric]:
    """The metrics an objective may be measured by: the management system's, not retired."""
    return Metric.objects.filter(management_system=management_system, retired_at__isnull=True).order_by("reference")
