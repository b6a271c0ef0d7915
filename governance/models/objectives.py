"""AI objectives, their metrics and the measurements of them (6.2, 9.1).

A **metric** says what is measured, how, how often and against which target; an **objective**
states what the organisation means to achieve, measured by one metric, with its plan. A
**measurement** is one value for one period of a metric: append-only (the model and, on
PostgreSQL, a trigger refuse changes and deletions). A correction is a new row naming the one it
corrects; the effective value of a period is its latest row (``governance.objectives.results``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from aims.models import AppendOnlyError, ManagementSystem, RetirableModel

__all__ = ["Measurement", "Metric", "Objective", "ObjectiveNonconformity"]


class Metric(RetirableModel):
    """What is measured (9.1), how and how often, by whom, and the target each measurement is judged against."""

    reference_prefix = "MET"
    editable_fields = (
        "name", "measured", "method", "cadence", "unit", "target_value", "direction", "source", "measured_by",
        "analysed_by",
    )  # fmt: skip

    class Cadence(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        YEARLY = "yearly", "Yearly"

    class Direction(models.TextChoices):
        AT_LEAST = "at_least", "At least"
        AT_MOST = "at_most", "At most"

    class Source(models.TextChoices):
        MANUAL = "manual", "Recorded by hand"
        API = "api", "Sent through the API"
        GATEWAY = "gateway", "AI gateway"

    name = models.CharField(max_length=200)
    measured = models.TextField("what is measured", help_text="The quantity, and what counts in it.")
    method = models.TextField(help_text="How it is measured: data, sample, calculation (9.1 b).")
    cadence = models.CharField(max_length=20, choices=Cadence.choices, default=Cadence.MONTHLY)
    unit = models.CharField(max_length=40, blank=True, help_text="e.g. %, days, cases.")
    target_value = models.DecimalField("target", max_digits=14, decimal_places=4)
    direction = models.CharField(
        max_length=10,
        choices=Direction.choices,
        default=Direction.AT_LEAST,
        help_text="Whether a value meets the target when it is at least, or at most, the target.",
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    measured_by = models.ForeignKey(
        "governance.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="measured by",
    )
    analysed_by = models.ForeignKey(
        "governance.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="analysed by",
    )

    def clean(self) -> None:
        super().clean()
        check_same_system(self, ("measured_by", "analysed_by"))

    def meets(self, value: Decimal) -> bool:
        """Whether a value meets the metric's target."""
        if self.direction == self.Direction.AT_MOST:
            return value <= self.target_value
        return value >= self.target_value

    @property
    def target_text(self) -> str:
        return f"{self.get_direction_display().lower()} {format_value(self.target_value)}{unit_suffix(self.unit)}"


class Objective(RetirableModel):
    """An AI objective (6.2): what will be achieved, measured by a metric, with its plan and status."""

    reference_prefix = "OBJ"
    retire_verb = "Withdraw"
    retired_label = "Withdrawn"
    editable_fields = (
        "title", "statement", "policy", "metric", "target", "threshold", "plan", "resources", "responsible",
        "due_on", "evaluation", "status",
    )  # fmt: skip

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ON_TRACK = "on_track", "On track"
        AT_RISK = "at_risk", "At risk"
        ACHIEVED = "achieved", "Achieved"
        NOT_ACHIEVED = "not_achieved", "Not achieved"
        WITHDRAWN = "withdrawn", "Withdrawn"

    title = models.CharField(max_length=200)
    statement = models.TextField(help_text="What the organisation means to achieve, consistent with the AI policy.")
    policy = models.ForeignKey(
        "governance.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="policy",
        help_text="The policy this objective serves (the AI policy, 5.2 c).",
    )
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="objectives")
    target = models.CharField(
        max_length=300, help_text="The target as stated, e.g. “At least 95 % of suggestions reviewed each month”."
    )
    threshold = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Optional: the level past which the objective is at risk (drawn on the chart).",
    )
    plan = models.TextField("what will be done", blank=True)
    resources = models.TextField("resources required", blank=True)
    responsible = models.ForeignKey(
        "governance.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField("due", null=True, blank=True)
    evaluation = models.TextField("how results are evaluated", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)

    def clean(self) -> None:
        super().clean()
        check_same_system(self, ("policy", "metric", "responsible"))


class AppendOnlyQuerySet(models.QuerySet):
    """Measurements are append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise AppendOnlyError("Measurements are append-only: record a correction instead.")

    def delete(self):
        raise AppendOnlyError("Measurements are append-only: they cannot be deleted.")


class Measurement(models.Model):
    """One value of a metric for one period: written once, never changed or deleted; corrected by a new row."""

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.PROTECT, related_name="+")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="measurements")
    period = models.DateField(help_text="The first day of the period measured (month, quarter or year).")
    value = models.DecimalField(max_digits=14, decimal_places=4)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    evidence = models.ForeignKey("evidence.Evidence", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        help_text="The measurement this one corrects (same metric and period).",
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["metric", "period", "recorded_at", "pk"]
        indexes = [models.Index(fields=["metric", "period"], name="governance_measure_period")]
        constraints = [
            # A measurement is corrected once; a correction is itself corrected by the next one.
            models.UniqueConstraint(fields=["corrects"], name="governance_measurement_corrected_once"),
        ]

    def __str__(self) -> str:
        return f"{self.metric.reference} {self.period:%Y-%m}: {format_value(self.value)}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Measurements are append-only: record a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Measurements are append-only: they cannot be deleted.")

    @property
    def is_correction(self) -> bool:
        return self.corrects_id is not None

    @property
    def display_value(self) -> str:
        return format_value(self.value)


class ObjectiveNonconformity(models.Model):
    """A nonconformity raised from an objective's missed target (source: monitoring), and the measurement it missed."""

    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="nonconformity_links")
    measurement = models.OneToOneField(Measurement, on_delete=models.PROTECT, related_name="nonconformity_link")
    nonconformity = models.OneToOneField(
        "improvement.Nonconformity", on_delete=models.PROTECT, related_name="objective_link"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["objective", "raised_at", "pk"]
        verbose_name = "nonconformity raised from an objective"

    def __str__(self) -> str:
        return f"{self.objective.reference} → {self.nonconformity.reference}"


def check_same_system(obj: models.Model, names: tuple[str, ...]) -> None:
    """Refuse links to records of another management system (once the record has one: forms check before)."""
    if obj.management_system_id is None:
        return
    errors = {}
    for name in names:
        linked = getattr(obj, name) if getattr(obj, f"{name}_id") else None
        if linked is not None and linked.management_system_id != obj.management_system_id:
            errors[name] = f"{linked} belongs to another management system."
    if errors:
        raise ValidationError(errors)


def format_value(value: Decimal | None) -> str:
    """A decimal without trailing zeros: 95.5000 -> 95.5, 12.0000 -> 12."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def unit_suffix(unit: str) -> str:
    if not unit:
        return ""
    return unit if unit == "%" else f" {unit}"


def period_start(day: date, cadence: str) -> date:
    """The first day of the period of ``cadence`` that contains ``day``."""
    if cadence == Metric.Cadence.YEARLY:
        return date(day.year, 1, 1)
    if cadence == Metric.Cadence.QUARTERLY:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, day.month, 1)


def previous_period(start: date, cadence: str) -> date:
    """The start of the period before the one starting on ``start``."""
    months = {Metric.Cadence.MONTHLY: 1, Metric.Cadence.QUARTERLY: 3, Metric.Cadence.YEARLY: 12}[cadence]
    index = start.year * 12 + start.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def period_label(start: date, cadence: str) -> str:
    if cadence == Metric.Cadence.YEARLY:
        return f"{start.year}"
    if cadence == Metric.Cadence.QUARTERLY:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return f"{start:%b %Y}"
