"""Nonconformity and corrective action (10.2): the record, its actions and effectiveness reviews."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from aims.history import RegisterHistory
from aims.models import RegisterModel, RetirableModel
from assessments.models import ImpactAssessment, Risk
from controls.models import Applicability, Control
from registers.models import AISystem


class Nonconformity(RetirableModel):
    """A nonconformity (NC): nature, correction, root cause, corrective actions, effectiveness, closure."""

    reference_prefix = "NC"
    # Moved by the workflow services; a sign-off's "changed since" in packs does not count them.
    workflow_fields = ("state", "closed_at")
    owned_children = ("reviews",)
    editable_fields = (
        "title", "source", "source_detail", "requirements", "grade", "ai_systems", "owner", "nature", "correction",
        "containment", "root_cause_method", "root_cause", "similar_cases", "risks_reassessed", "soa_changes",
        "impact_assessments", "document_changes", "training_given",
    )  # fmt: skip
    retire_verb = "Withdraw"
    retired_label = "Withdrawn"

    class Source(models.TextChoices):
        FINDING = "finding", "Audit finding"
        INCIDENT = "incident", "Incident"
        MONITORING = "monitoring", "Monitoring"
        COMPLAINT = "complaint", "Complaint"
        STAFF_CONCERN = "staff_concern", "Staff concern"
        MANAGEMENT_REVIEW = "management_review", "Management review"
        OTHER = "other", "Other"

    class Grade(models.TextChoices):
        MAJOR = "major", "Major"
        MINOR = "minor", "Minor"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CONTAINED = "contained", "Contained"
        ANALYSED = "analysed", "Analysed"
        ACTIONS_PLANNED = "actions_planned", "Actions planned"
        ACTIONS_DONE = "actions_done", "Actions done"
        EFFECTIVENESS_VERIFIED = "effectiveness_verified", "Effectiveness verified"
        CLOSED = "closed", "Closed"

    class RootCauseMethod(models.TextChoices):
        NONE = "", "Not chosen"
        FIVE_WHYS = "five_whys", "Five whys"
        FISHBONE = "fishbone", "Cause and effect (fishbone)"
        FAULT_TREE = "fault_tree", "Fault tree"
        BARRIER = "barrier", "Barrier analysis"
        OTHER = "other", "Other"

    title = models.CharField(max_length=200)
    source = models.CharField(max_length=30, choices=Source.choices)
    source_detail = models.CharField(max_length=300, blank=True, help_text="Where it came from, in a few words.")
    source_incident = models.ForeignKey(
        "improvement.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="nonconformities",
    )
    requirements = models.ManyToManyField(Control, related_name="+", help_text="The clauses or controls not met.")
    grade = models.CharField(max_length=10, choices=Grade.choices, default=Grade.MINOR)
    ai_systems = models.ManyToManyField(AISystem, blank=True, related_name="+", verbose_name="AI systems")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    nature = models.TextField(blank=True, help_text="What is wrong, against which requirement.")
    correction = models.TextField(blank=True, help_text="What was done at once to correct it.")
    containment = models.TextField(blank=True, help_text="What was done to contain its consequences.")
    root_cause_method = models.CharField(
        max_length=20, choices=RootCauseMethod.choices, blank=True, default=RootCauseMethod.NONE
    )
    root_cause = models.TextField(blank=True)
    similar_cases = models.TextField(
        blank=True, help_text="Whether similar nonconformities exist or could occur (10.2 b 3)."
    )
    risks_reassessed = models.ManyToManyField(Risk, blank=True, related_name="+")
    soa_changes = models.ManyToManyField(Applicability, blank=True, related_name="+", verbose_name="SoA rows changed")
    impact_assessments = models.ManyToManyField(
        ImpactAssessment, blank=True, related_name="+", verbose_name="impact assessments revised"
    )
    document_changes = models.TextField("documents revised", blank=True)
    training_given = models.TextField(blank=True)
    # Written only by the services of the transition table (never by a form or the API), but
    # "editable" so that history's field-level diffs show each change of state and analysis.
    state = models.CharField(max_length=30, choices=State.choices, default=State.OPEN)
    iteration = models.PositiveSmallIntegerField(
        "analysis", default=1, help_text="Counts the analyses: a 'not effective' review starts another."
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    _history_m2m_fields = ["requirements", "ai_systems", "risks_reassessed", "soa_changes", "impact_assessments"]

    class Meta(RegisterModel.Meta):
        verbose_name = "nonconformity"
        verbose_name_plural = "nonconformities"

    @property
    def is_closed(self) -> bool:
        return self.state == self.State.CLOSED


class CorrectiveAction(RegisterModel):
    """A corrective action (CA) of a nonconformity: owner, due date, status, evidence of completion."""

    reference_prefix = "CA"
    editable_fields = ("description", "owner", "due_date", "status", "cancel_reason", "completed_on")

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    OPEN = (Status.PLANNED, Status.IN_PROGRESS)

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    cancel_reason = models.CharField("reason for cancelling", max_length=300, blank=True)
    completed_on = models.DateField("completed on", null=True, blank=True)
    iteration = models.PositiveSmallIntegerField(
        default=1, editable=False, help_text="The nonconformity's analysis this action answers."
    )

    class Meta(RegisterModel.Meta):
        verbose_name = "corrective action"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.status == self.Status.CANCELLED and not self.cancel_reason.strip():
            errors["cancel_reason"] = "Say why the action is cancelled."
        if self.status == self.Status.DONE and self.completed_on is None:
            errors["completed_on"] = "Give the date the action was completed."
        if self.completed_on is not None and self.completed_on > timezone.localdate():
            errors["completed_on"] = "The completion date cannot be in the future."
        if errors:
            raise ValidationError(errors)

    def __str__(self) -> str:
        return f"{self.reference} {self.description[:60]}".strip()

    @property
    def is_overdue(self) -> bool:
        return self.status in self.OPEN and self.due_date is not None and self.due_date < timezone.localdate()


class EffectivenessReview(models.Model):
    """A review of whether the corrective actions worked (10.2 d): planned, performed, result."""

    editable_fields = ("method", "planned_on", "performed_on", "reviewer", "result", "notes")

    class Result(models.TextChoices):
        PENDING = "", "Not yet reviewed"
        EFFECTIVE = "effective", "Effective"
        NOT_EFFECTIVE = "not_effective", "Not effective"

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.CASCADE, related_name="reviews")
    iteration = models.PositiveSmallIntegerField(default=1)
    method = models.TextField(blank=True)
    planned_on = models.DateField(null=True, blank=True)
    performed_on = models.DateField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.CharField(max_length=20, choices=Result.choices, blank=True, default=Result.PENDING)
    notes = models.TextField(blank=True)
    history = RegisterHistory()

    class Meta:
        ordering = ["nonconformity", "pk"]

    def __str__(self) -> str:
        return f"Review {self.iteration}: {self.get_result_display()}"

    @property
    def is_overdue(self) -> bool:
        return not self.result and self.planned_on is not None and self.planned_on < timezone.localdate()


class CorrectiveActionUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(CorrectiveAction, on_delete=models.CASCADE)


class CorrectiveActionGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(CorrectiveAction, on_delete=models.CASCADE)
