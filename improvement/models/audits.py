"""Internal audit (9.2): the programme with its coverage, audits, their checks, and findings."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from aims.history import RegisterHistory
from aims.models import RegisterModel, RetirableModel
from controls.models import Control
from registers.models import AISystem

QUARTER = re.compile(r"\d{4}-Q[1-4]")


class AuditProgramme(RetirableModel):
    """The internal audit programme of a cycle (9.2.2): what is audited when, why that often, by whom."""

    reference_prefix = "IAP"
    # Moved by the workflow services; a sign-off's "changed since" in packs does not count them.
    workflow_fields = ("status",)
    owned_children = ("items",)
    editable_fields = (
        "title", "period_start", "period_end", "objectives", "criteria", "method", "frequency_rationale",
        "owner", "reporting_line",
    )  # fmt: skip

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    title = models.CharField(max_length=200)
    period_start = models.DateField("cycle starts", null=True, blank=True)
    period_end = models.DateField("cycle ends", null=True, blank=True)
    objectives = models.TextField(blank=True)
    criteria = models.TextField(blank=True, help_text="What audits are judged against (the standard, our procedures).")
    method = models.TextField(
        blank=True, help_text="How audits are performed: interviews, sampling, remote or on site."
    )
    frequency_rationale = models.TextField(
        "rationale for frequency",
        blank=True,
        help_text="Why this frequency: the importance of the processes, changes, and previous audit results.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reporting_line = models.CharField(
        max_length=300,
        blank=True,
        help_text="To whom audit results are reported (for example the AI governance board).",
    )
    # Not in ``editable_fields``: states change through their transitions only. Left editable so
    # that the History tab shows each transition's change of state.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)

    class Meta(RegisterModel.Meta):
        verbose_name = "audit programme"

    def clean(self) -> None:
        super().clean()
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The cycle ends after it starts."})


class ProgrammeItem(models.Model):
    """One planned audit of the programme: a requirement, an AI system or a process, in a quarter."""

    editable_fields = ("requirement", "ai_system", "process", "planned_quarter")

    programme = models.ForeignKey(AuditProgramme, on_delete=models.CASCADE, related_name="items")
    requirement = models.ForeignKey(Control, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ai_system = models.ForeignKey(
        AISystem, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="AI system"
    )
    process = models.CharField(max_length=200, blank=True)
    planned_quarter = models.CharField(max_length=7, help_text="For example 2026-Q3.")
    history = RegisterHistory()

    class Meta:
        ordering = ["planned_quarter", "pk"]

    def __str__(self) -> str:
        return f"{self.subject} in {self.planned_quarter}"

    @property
    def subject(self) -> str:
        return str(self.requirement or self.ai_system or self.process)

    def clean(self) -> None:
        super().clean()
        chosen = [bool(self.requirement_id), bool(self.ai_system_id), bool((self.process or "").strip())]
        if sum(chosen) != 1:
            raise ValidationError("Plan one thing per row: a requirement, an AI system or a process.")
        if not QUARTER.fullmatch(self.planned_quarter or ""):
            raise ValidationError({"planned_quarter": "Give the quarter as year and quarter, for example 2026-Q3."})


class InternalAudit(RetirableModel):
    """One internal audit (9.2): scope, criteria, auditors, dates, checks, conclusion and signed report."""

    reference_prefix = "IA"
    # Moved by the workflow services; a sign-off's "changed since" in packs does not count them.
    workflow_fields = ("status",)
    owned_children = ("checks",)
    editable_fields = (
        "title", "programme", "scope_requirements", "scope_ai_systems", "criteria", "lead_auditor",
        "external_lead_name", "external_lead_firm", "team", "planned_start", "planned_end", "actual_start",
        "actual_end", "sampling_note", "conclusion",
    )  # fmt: skip

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        REPORTED = "reported", "Reported"
        CLOSED = "closed", "Closed"

    title = models.CharField(max_length=200)
    programme = models.ForeignKey(AuditProgramme, on_delete=models.PROTECT, related_name="audits")
    scope_requirements = models.ManyToManyField(
        Control, blank=True, related_name="+", verbose_name="requirements in scope"
    )
    scope_ai_systems = models.ManyToManyField(
        AISystem, blank=True, related_name="+", verbose_name="AI systems in scope"
    )
    criteria = models.TextField(blank=True)
    lead_auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    external_lead_name = models.CharField("external lead auditor", max_length=200, blank=True)
    external_lead_firm = models.CharField("external auditor's firm", max_length=200, blank=True)
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name="audit team")
    planned_start = models.DateField(null=True, blank=True)
    planned_end = models.DateField(null=True, blank=True)
    actual_start = models.DateField(null=True, blank=True)
    actual_end = models.DateField(null=True, blank=True)
    sampling_note = models.TextField(blank=True)
    conclusion = models.TextField(blank=True)
    independence_override = models.TextField(
        blank=True,
        help_text="Why an auditor who owns something in scope audits it anyway (shown in the report).",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)  # see the programme's

    _history_m2m_fields = ["scope_requirements", "scope_ai_systems", "team"]

    class Meta(RegisterModel.Meta):
        verbose_name = "internal audit"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.lead_auditor_id and self.external_lead_name.strip():
            errors["external_lead_name"] = "Name one lead auditor: a member, or an external auditor, not both."
        if self.external_lead_name.strip() and not self.external_lead_firm.strip():
            errors["external_lead_firm"] = "Give the external lead auditor's firm."
        if self.external_lead_firm.strip() and not self.external_lead_name.strip():
            errors["external_lead_name"] = "Give the external lead auditor's name (or leave the firm empty)."
        for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
            first, last = getattr(self, start), getattr(self, end)
            if first and last and last < first:
                errors[end] = "The audit ends after it starts."
        if errors:
            raise ValidationError(errors)

    @property
    def has_lead(self) -> bool:
        return bool(self.lead_auditor_id or self.external_lead_name.strip())

    @property
    def lead_is_external(self) -> bool:
        return not self.lead_auditor_id and bool(self.external_lead_name.strip())

    @property
    def lead_display(self) -> str:
        if self.lead_auditor_id:
            user = self.lead_auditor
            return user.get_full_name() or user.get_username()
        if self.external_lead_name.strip():
            return (
                f"{self.external_lead_name} ({self.external_lead_firm})"
                if self.external_lead_firm
                else self.external_lead_name
            )
        return ""


class AuditCheck(models.Model):
    """What was tested for one requirement in scope, on which sample, and the result."""

    editable_fields = ("requirement", "tested", "sample", "result", "notes")

    class Result(models.TextChoices):
        PENDING = "", "No result yet"
        CONFORMING = "conforming", "Conforming"
        NONCONFORMITY = "nonconformity", "Nonconformity"
        OBSERVATION = "observation", "Observation"
        OPPORTUNITY = "opportunity", "Opportunity for improvement"
        NOT_SAMPLED = "not_sampled", "Not sampled"

    audit = models.ForeignKey(InternalAudit, on_delete=models.CASCADE, related_name="checks")
    version = models.PositiveIntegerField(default=1, editable=False)
    requirement = models.ForeignKey(Control, on_delete=models.PROTECT, related_name="+")
    tested = models.TextField("what was tested", blank=True)
    sample = models.TextField(blank=True, help_text="The records sampled, by reference (AIS-001, RISK-004 ...).")
    result = models.CharField(max_length=20, choices=Result.choices, blank=True, default=Result.PENDING)
    notes = models.TextField(blank=True)
    history = RegisterHistory()

    class Meta:
        ordering = ["audit", "requirement__framework", "requirement__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "requirement"], name="improvement_check_once_per_requirement")
        ]

    def __str__(self) -> str:
        return f"{self.requirement.key}: {self.get_result_display()}"

    @property
    def is_recorded(self) -> bool:
        """Whether anything was recorded on the check (it then outlives a change of scope)."""
        return bool(self.result or self.tested.strip() or self.sample.strip() or self.notes.strip())


class Finding(RetirableModel):
    """A finding (FND): a major or minor one is a nonconformity, created with it and linked both ways."""

    reference_prefix = "FND"
    editable_fields = (
        "title", "finding_type", "source", "audit", "requirements", "ai_systems", "requirement_statement",
        "evidence_statement", "found_statement",
    )  # fmt: skip
    retire_verb = "Withdraw"
    retired_label = "Withdrawn"

    class Type(models.TextChoices):
        MAJOR = "major", "Major nonconformity"
        MINOR = "minor", "Minor nonconformity"
        OBSERVATION = "observation", "Observation"
        OPPORTUNITY = "opportunity", "Opportunity for improvement"

    class Source(models.TextChoices):
        INTERNAL_AUDIT = "internal_audit", "Internal audit"
        CERTIFICATION_AUDIT = "certification_audit", "Certification audit"
        MANAGEMENT_REVIEW = "management_review", "Management review"
        MONITORING = "monitoring", "Monitoring"

    NONCONFORMING = (Type.MAJOR, Type.MINOR)

    title = models.CharField(max_length=200)
    finding_type = models.CharField("type", max_length=20, choices=Type.choices)
    source = models.CharField(max_length=30, choices=Source.choices, default=Source.INTERNAL_AUDIT)
    audit = models.ForeignKey(InternalAudit, on_delete=models.PROTECT, null=True, blank=True, related_name="findings")
    requirements = models.ManyToManyField(Control, blank=True, related_name="+")
    ai_systems = models.ManyToManyField(AISystem, blank=True, related_name="+", verbose_name="AI systems")
    requirement_statement = models.TextField("requirement", help_text="The requirement, in a sentence.")
    evidence_statement = models.TextField("evidence", help_text="The objective evidence examined.")
    found_statement = models.TextField("what was found", help_text="What was found, against the requirement.")
    nonconformity = models.OneToOneField(
        "improvement.Nonconformity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="finding",
    )

    _history_m2m_fields = ["requirements", "ai_systems"]

    class Meta(RegisterModel.Meta):
        verbose_name = "finding"

    @property
    def is_nonconformity(self) -> bool:
        return self.finding_type in self.NONCONFORMING

    def clean(self) -> None:
        super().clean()
        if self.source == self.Source.INTERNAL_AUDIT and not self.audit_id:
            raise ValidationError({"audit": "Name the internal audit the finding comes from."})
        if self.audit_id and self.source != self.Source.INTERNAL_AUDIT:
            raise ValidationError({"audit": "Only a finding of an internal audit names an internal audit."})


class InternalAuditUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(InternalAudit, on_delete=models.CASCADE)


class InternalAuditGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(InternalAudit, on_delete=models.CASCADE)
