"""AI incidents and concerns (A.3.3, A.8.3, A.8.4): the record, its timeline and reporting obligations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from aims.history import RegisterHistory
from aims.models import AppendOnlyError, RegisterModel, RetirableModel
from assessments.models import ImpactAssessment, Risk
from registers.models import AISystem, ModelRecord


class Incident(RetirableModel):
    """An AI incident or concern (INC): what happened, to whom, what was told, and where it led."""

    reference_prefix = "INC"
    # Moved by the workflow services; a sign-off's "changed since" in packs does not count them.
    workflow_fields = ("status", "closed_at", "outcome", "outcome_reason", "outcome_risk", "outcome_impact_assessment")
    owned_children = ("timeline", "obligations")
    editable_fields = (
        "title", "description", "ai_systems", "model_record", "model_version", "occurred_at", "detected_at",
        "channel", "incident_type", "severity", "possibly_serious", "death_possible", "widespread_infringement",
        "critical_infrastructure_disruption", "personal_data_breach", "people_affected", "harm",
        "user_communication", "owner",
    )  # fmt: skip
    # What the regimes of the reporting rules file may ask about (improvement/data/reporting_rules.yaml).
    harm_flags = (
        "death_possible",
        "widespread_infringement",
        "critical_infrastructure_disruption",
        "personal_data_breach",
    )
    retire_verb = "Withdraw"
    retired_label = "Withdrawn"

    class Channel(models.TextChoices):
        STAFF_CONCERN = "staff_concern", "Staff concern"
        EXTERNAL_REPORT = "external_report", "External report"
        MONITORING_ALERT = "monitoring_alert", "Monitoring alert"
        SUPPLIER_NOTICE = "supplier_notice", "Supplier notice"
        COMPLAINT = "complaint", "Complaint"
        GATEWAY = "gateway", "AI gateway"

    class Type(models.TextChoices):
        MALFUNCTION = "malfunction", "Malfunction"
        UNEXPECTED = "unexpected_behaviour", "Unexpected behaviour"
        DRIFT = "drift", "Drift"
        MISUSE = "misuse", "Misuse"
        DATA = "data", "Data"
        SECURITY = "security", "Security"
        FAIRNESS = "fairness_harm", "Fairness harm"
        PRIVACY = "privacy", "Privacy"
        SAFETY = "safety", "Safety"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        REPORTED = "reported", "Reported"
        TRIAGED = "triaged", "Triaged"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        PENDING = "", "Not triaged yet"
        NONCONFORMITY = "nonconformity", "Nonconformity raised"
        RISK = "risk", "Risk raised or updated"
        REASSESSMENT = "reassessment", "Impact assessment marked for re-assessment"
        NONE = "none", "No further action"

    title = models.CharField(max_length=200)
    description = models.TextField()
    ai_systems = models.ManyToManyField(AISystem, blank=True, related_name="+", verbose_name="AI systems")
    model_record = models.ForeignKey(
        ModelRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="model"
    )
    model_version = models.CharField(max_length=100, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(default=timezone.now)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    anonymous = models.BooleanField(default=False, editable=False, help_text="The reporter asked not to be named.")
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.STAFF_CONCERN)
    incident_type = models.CharField("type", max_length=30, choices=Type.choices, default=Type.UNEXPECTED)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    possibly_serious = models.BooleanField(
        "possibly serious",
        default=False,
        help_text="It may be a serious incident under a reporting regime: leadership decides whether to report.",
    )
    death_possible = models.BooleanField(
        "a death may have been caused", default=False, help_text="The incident may have caused a person's death."
    )
    widespread_infringement = models.BooleanField(
        "widespread infringement",
        default=False,
        help_text="Rights of people in several countries, or of very many people, may have been infringed.",
    )
    critical_infrastructure_disruption = models.BooleanField(
        "critical infrastructure disrupted",
        default=False,
        help_text="A serious and irreversible disruption of the management or operation of critical infrastructure.",
    )
    personal_data_breach = models.BooleanField(
        "personal data breach",
        default=False,
        help_text="Personal data were destroyed, lost, altered, disclosed or accessed without authorisation.",
    )
    people_affected = models.PositiveIntegerField(null=True, blank=True)
    harm = models.TextField(blank=True, help_text="The harm to people, groups or society, if any.")
    user_communication = models.TextField(
        "communication to users", blank=True, help_text="What was told to users and affected people, and when."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The handling's fields below are written only by the services (triage, transition, decision): they are
    # not in editable_fields, so no form or serializer writes them, yet editable, so History shows their changes.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REPORTED)
    outcome = models.CharField(
        "triage outcome", max_length=20, choices=Outcome.choices, blank=True, default=Outcome.PENDING
    )
    outcome_reason = models.TextField("why this outcome", blank=True)
    outcome_risk = models.ForeignKey(
        Risk, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="risk raised or updated"
    )
    outcome_impact_assessment = models.ForeignKey(
        ImpactAssessment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="impact assessment to re-assess",
    )
    report_decision = models.CharField(
        "reporting decision",
        max_length=20,
        blank=True,
        choices=[("report", "Report"), ("do_not_report", "Do not report")],
        help_text="Leadership's decision for a possibly serious incident (signed).",
    )
    report_decision_reason = models.TextField("reason for the reporting decision", blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    _history_m2m_fields = ["ai_systems"]

    class Meta(RegisterModel.Meta):
        verbose_name = "incident"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED and not self.is_retired

    @property
    def is_triaged(self) -> bool:
        return bool(self.outcome)

    @property
    def needs_decision(self) -> bool:
        """A possibly serious incident still waiting for leadership's signed decision to report or not."""
        return self.possibly_serious and not self.report_decision and self.is_open

    @property
    def overdue_obligations(self) -> list[ReportingObligation]:
        """Reporting obligations past their deadline and neither submitted nor waived (prefetch ``obligations``)."""
        return [obligation for obligation in self.obligations.all() if obligation.is_overdue]

    @property
    def unsettled_obligations(self) -> list[ReportingObligation]:
        return [obligation for obligation in self.obligations.all() if not obligation.is_settled]


class AppendOnlyQuerySet(models.QuerySet):
    """The timeline is append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise AppendOnlyError("An incident's timeline is append-only: entries cannot be changed.")

    def delete(self):
        raise AppendOnlyError("An incident's timeline is append-only: entries cannot be deleted.")


class TimelineEntry(models.Model):
    """One entry of an incident's append-only timeline: added, never changed or deleted (admin included).

    ``author`` is who wrote it, or whose action the register noted (``automatic``); None for an
    anonymous concern. ``at`` is when the event happened, ``recorded_at`` when it was written.
    """

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="timeline")
    at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField()
    automatic = models.BooleanField(
        default=False, help_text="Written by the register for a step of the handling (triage, status, decision)."
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "at", "pk"]
        verbose_name = "timeline entry"
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:60]}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("An incident's timeline is append-only: an entry cannot be changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("An incident's timeline is append-only: an entry cannot be deleted.")


class ReportingObligation(models.Model):
    """A regime's reporting obligation for an incident, with its computed deadline (rules file)."""

    editable_fields = ("submitted_on", "submission_reference", "waived_reason")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="obligations")
    regime = models.CharField(max_length=60, help_text="The key of the regime in the rules file.")
    regime_title = models.CharField(max_length=200)
    legal_reference = models.CharField(max_length=100, blank=True, help_text="The article the regime rests on.")
    authority = models.CharField(max_length=200, blank=True)
    deadline = models.DateTimeField()
    deadline_basis = models.CharField(
        max_length=300, blank=True, help_text="How the deadline was computed, from the rules file."
    )
    submitted_on = models.DateTimeField(null=True, blank=True)
    submission_reference = models.CharField(max_length=200, blank=True)
    waived_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = RegisterHistory()

    class Meta:
        ordering = ["incident", "deadline", "pk"]
        constraints = [models.UniqueConstraint(fields=["incident", "regime"], name="improvement_obligation_once")]

    def __str__(self) -> str:
        return f"{self.regime_title} by {self.deadline:%Y-%m-%d %H:%M}"

    @property
    def is_settled(self) -> bool:
        return self.submitted_on is not None or bool(self.waived_reason.strip())

    @property
    def is_overdue(self) -> bool:
        return not self.is_settled and self.deadline < timezone.now()

    @property
    def was_late(self) -> bool:
        """Submitted after its deadline."""
        return self.submitted_on is not None and self.submitted_on > self.deadline


class IncidentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)


class IncidentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)
