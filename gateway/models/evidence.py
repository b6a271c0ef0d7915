"""Evidence the gateway writes itself: checkpoints of its chains, evidence records per period, the incident rule.

``GatewayCheckpoint`` is a register row whose history version is signed into the management
system's sign-off chain (``gateway.evidence.checkpoints``); ``GatewayEvidence`` indexes the
evidence record of one AI system and period; ``GatewayIncidentRule`` and ``GatewayIncidentBurst``
are the rule that drafts an incident from repeated refusals and the bursts it drafted one for;
``GatewayMetricFeed`` makes a gateway figure the source of an objective's metric.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from aims.models import ManagementSystem, RegisterModel

__all__ = ["GatewayCheckpoint", "GatewayEvidence", "GatewayIncidentBurst", "GatewayIncidentRule", "GatewayMetricFeed"]


class GatewayCheckpoint(RegisterModel):
    """Where every gateway event chain of a management system stood at a moment (signed into its sign-off chain).

    ``heads`` lists, per AI system, ``{"ai_system", "reference", "sequence", "digest"}`` of its
    chain's last event. The row is never edited: each checkpoint is a new row.
    """

    reference_prefix = "GWC"

    taken_at = models.DateTimeField()
    heads = models.JSONField(default=list, help_text="Per AI system: the sequence and digest of its chain's head.")

    class Meta(RegisterModel.Meta):
        verbose_name = "gateway checkpoint"

    def head_of(self, ai_system_id: int) -> dict | None:
        return next((head for head in self.heads if head.get("ai_system") == ai_system_id), None)


class GatewayEvidence(models.Model):
    """The evidence record (``evidence.Evidence``) of one AI system's gateway activity in one period.

    A record of a period still running is ``complete=False``; once the period ends the next
    record supersedes it, and there is at most one complete record per AI system and period.
    """

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.PROTECT, related_name="+")
    ai_system = models.ForeignKey("registers.AISystem", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField(help_text="The first day after the period.")
    complete = models.BooleanField(default=True)
    evidence = models.OneToOneField("evidence.Evidence", on_delete=models.PROTECT, related_name="+")
    first_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    last_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ai_system", "period_start", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ai_system", "period_start"],
                condition=models.Q(complete=True),
                name="gateway_evidence_one_complete_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"Gateway evidence of AI system {self.ai_system_id} from {self.period_start}"


class GatewayIncidentRule(RegisterModel):
    """When repeated refusals of one AI system draft an incident: ``threshold`` refusals within ``window_minutes``."""

    reference_prefix = "GIR"
    editable_fields = ("enabled", "threshold", "window_minutes")

    enabled = models.BooleanField(default=True)
    threshold = models.PositiveIntegerField(
        default=5,
        validators=[MinValueValidator(2), MaxValueValidator(10000)],
        help_text="How many refused or blocked calls of one AI system make a burst.",
    )
    window_minutes = models.PositiveIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(10080)],
        help_text="Within how many minutes.",
    )

    class Meta(RegisterModel.Meta):
        verbose_name = "gateway incident rule"
        constraints = [
            *RegisterModel.Meta.constraints,
            models.UniqueConstraint(fields=["management_system"], name="gateway_one_incident_rule_per_aims"),
        ]


class GatewayIncidentBurst(models.Model):
    """A burst of refusals of one AI system that drafted an incident; later refusals close to it join it."""

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.PROTECT, related_name="+")
    ai_system = models.ForeignKey("registers.AISystem", on_delete=models.PROTECT, related_name="+")
    first_sequence = models.PositiveBigIntegerField()
    last_sequence = models.PositiveBigIntegerField()
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    refusals = models.PositiveIntegerField()
    incident = models.ForeignKey("improvement.Incident", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ai_system", "first_sequence"]
        constraints = [
            models.UniqueConstraint(fields=["ai_system", "first_sequence"], name="gateway_burst_once"),
        ]

    def __str__(self) -> str:
        return f"Burst of refusals #{self.first_sequence}-#{self.last_sequence} of AI system {self.ai_system_id}"


class GatewayMetricFeed(models.Model):
    """A gateway figure measured into an objective's metric each period (the metric's source is the gateway)."""

    class Figure(models.TextChoices):
        CALLS = "calls", "Calls"
        REFUSALS = "refusals", "Refused calls"
        BLOCKED = "blocked", "Blocked calls"
        REDACTIONS = "redactions", "Personal data items redacted"
        APPROVAL_LATENCY_MEDIAN = "approval_latency_median", "Median approval latency (minutes)"
        APPROVAL_LATENCY_MAX = "approval_latency_max", "Longest approval latency (minutes)"

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.PROTECT, related_name="+")
    metric = models.OneToOneField("governance.Metric", on_delete=models.PROTECT, related_name="+")
    figure = models.CharField(max_length=40, choices=Figure.choices)
    ai_system = models.ForeignKey(
        "registers.AISystem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: every AI system of the management system.",
    )
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.get_figure_display()} into metric {self.metric_id}"
