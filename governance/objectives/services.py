"""Writes of objectives, metrics and measurements (6.2, 9.1).

Objectives and metrics are register rows (``aims.services``: history with who and why, versions,
retired with a reason, never deleted once referred to). Measurements are append-only rows: each is
recorded once by the server's clock and user; a correction is a new row naming the one it corrects
(the latest of its period), so a period's effective value is its last correction. A missed target
raises a nonconformity in one step (source: monitoring; clauses 9.1 and 6.2), linked back to the
objective and the measurement.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aims.models import ManagementSystem
from aims.services import register_create, register_retire, register_update
from controls.catalog import CLAUSES
from controls.models import Control
from evidence.models import Evidence
from governance.models import Measurement, Metric, Objective, ObjectiveNonconformity
from governance.models.objectives import format_value, period_label, period_start, unit_suffix
from improvement.models import Nonconformity
from improvement.nonconformities.services import nonconformity_create

# The clauses a missed objective breaches: monitoring and measurement, and the objectives themselves.
NC_CLAUSES = ("9.1", "6.2")


# --- metrics ---------------------------------------------------------------------------------


def metric_create(
    *, management_system: ManagementSystem, user: AbstractBaseUser | None, reason: str = "Created", **fields: Any
) -> Metric:
    """Define a metric: what is measured, how, how often, by whom, against which target."""
    return register_create(Metric, management_system=management_system, user=user, reason=reason, **fields)


def metric_update(
    metric: Metric,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> Metric:
    """Change a metric (its measurements stay as recorded)."""
    if metric.is_retired:
        raise ValidationError(f"{metric.reference} was retired: it no longer changes.")
    return register_update(metric, user=user, expected_version=expected_version, reason=reason, **fields)


def metric_retire(
    metric: Metric, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> Metric:
    """Retire a metric no longer measured; it stays readable with its measurements."""
    return register_retire(metric, user=user, expected_version=expected_version, reason=reason)


# --- objectives ------------------------------------------------------------------------------


def _refuse_withdrawn_status(fields: dict[str, Any]) -> None:
    if fields.get("status") == Objective.Status.WITHDRAWN:
        raise ValidationError({"status": "Withdraw the objective with a reason instead (it is then kept, withdrawn)."})


def objective_create(
    *, management_system: ManagementSystem, user: AbstractBaseUser | None, reason: str = "Created", **fields: Any
) -> Objective:
    """Set an AI objective measured by one of the management system's metrics."""
    _refuse_withdrawn_status(fields)
    return register_create(Objective, management_system=management_system, user=user, reason=reason, **fields)


def objective_update(
    objective: Objective,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> Objective:
    """Change an objective: its statement, plan, target or status (never to withdrawn: that is a withdrawal)."""
    if objective.is_retired:
        raise ValidationError(f"{objective.reference} was withdrawn: it no longer changes.")
    _refuse_withdrawn_status(fields)
    return register_update(objective, user=user, expected_version=expected_version, reason=reason, **fields)


def objective_withdraw(
    objective: Objective, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> Objective:
    """Withdraw an objective with the reason; it stays readable with its results and history."""
    return register_retire(
        objective, user=user, expected_version=expected_version, reason=reason, status=Objective.Status.WITHDRAWN
    )


# --- measurements ----------------------------------------------------------------------------


def _locked_metric(metric: Metric) -> Metric:
    return Metric.objects.select_for_update().select_related("management_system").get(pk=metric.pk)


def _check_evidence(metric: Metric, evidence: Evidence | None) -> None:
    if evidence is not None and evidence.management_system_id != metric.management_system_id:
        raise ValidationError({"evidence": "The evidence belongs to another management system."})


def _check_value(value: Any) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError({"value": "Enter a number."})
    return value


def measurement_record(
    metric: Metric,
    *,
    user: AbstractBaseUser | None,
    period: date,
    value: Decimal,
    note: str = "",
    evidence: Evidence | None = None,
) -> Measurement:
    """Record the value of a period (any day in it; kept as the period's first day), once per period."""
    with transaction.atomic():
        metric = _locked_metric(metric)
        if metric.is_retired:
            raise ValidationError(f"{metric.reference} was retired: it takes no more measurements.")
        start = period_start(period, metric.cadence)
        if start > period_start(timezone.localdate(), metric.cadence):
            raise ValidationError({"period": "This period has not begun: measure it once it has."})
        existing = metric.measurements.filter(period=start).order_by("-recorded_at", "-pk").first()
        if existing is not None:
            raise ValidationError(
                {"period": f"{period_label(start, metric.cadence)} is already recorded: correct that measurement."}
            )
        _check_evidence(metric, evidence)
        return Measurement.objects.create(
            management_system=metric.management_system, metric=metric, period=start, value=_check_value(value),
            recorded_by=user, note=note, evidence=evidence,
        )  # fmt: skip


def measurement_correct(
    measurement: Measurement,
    *,
    user: AbstractBaseUser | None,
    value: Decimal,
    note: str,
    evidence: Evidence | None = None,
) -> Measurement:
    """Correct a period's value with a new row naming the one it corrects (the period's latest); say why."""
    if not (note or "").strip():
        raise ValidationError({"note": "Say why the value is corrected (kept with the correction)."})
    with transaction.atomic():
        metric = _locked_metric(measurement.metric)
        latest = metric.measurements.filter(period=measurement.period).order_by("-recorded_at", "-pk").first()
        if latest is not None and latest.pk != measurement.pk:
            raise ValidationError(
                f"This value was already corrected (latest: {format_value(latest.value)}): correct the latest one."
            )
        _check_evidence(metric, evidence)
        return Measurement.objects.create(
            management_system=metric.management_system, metric=metric, period=measurement.period,
            value=_check_value(value), recorded_by=user, note=note, evidence=evidence, corrects=measurement,
        )  # fmt: skip


# --- a missed target raises a nonconformity ------------------------------------------------------


def _nc_fields(objective: Objective, measurement: Measurement) -> dict[str, Any]:
    metric = objective.metric
    label = period_label(measurement.period, metric.cadence)
    value = f"{format_value(measurement.value)}{unit_suffix(metric.unit)}"
    return {
        "title": f"{objective.reference} missed its target in {label}"[:200],
        "source": Nonconformity.Source.MONITORING,
        "source_detail": f"Objective {objective.reference}, metric {metric.reference}, {label}"[:300],
        "grade": Nonconformity.Grade.MINOR,
        "nature": (
            f"The objective “{objective.title}” ({objective.reference}) missed its target in {label}: "
            f"{metric.name} was {value}, the target is {metric.target_text} (clauses 9.1 and 6.2)."
        ),
        "requirements": list(Control.objects.filter(framework__key=CLAUSES, key__in=NC_CLAUSES)),
    }


def objective_raise_nonconformity(
    objective: Objective, *, user: AbstractBaseUser | None, measurement: Measurement
) -> ObjectiveNonconformity:
    """Raise a nonconformity from a missed measurement of the objective's metric, linked to both; once per period."""
    with transaction.atomic():
        objective = Objective.objects.select_for_update().select_related("metric").get(pk=objective.pk)
        if objective.is_retired:
            raise ValidationError(f"{objective.reference} was withdrawn: it raises nothing.")
        rows = list(objective.metric.measurements.filter(period=measurement.period).order_by("recorded_at", "pk"))
        if measurement.metric_id != objective.metric_id or not rows:
            raise ValidationError("This measurement is not one of the objective's metric.")
        effective = rows[-1]
        if objective.metric.meets(effective.value):
            raise ValidationError("This period met its target: there is no nonconformity to raise.")
        raised = ObjectiveNonconformity.objects.filter(measurement__in=rows).select_related("nonconformity").first()
        if raised is not None:
            raise ValidationError(f"{raised.nonconformity.reference} was already raised for this period.")
        nc = nonconformity_create(
            management_system=objective.management_system,
            user=user,
            reason=f"Raised from {objective.reference}: target missed",
            **_nc_fields(objective, effective),
        )
        return ObjectiveNonconformity.objects.create(
            objective=objective, measurement=effective, nonconformity=nc, raised_by=user
        )
