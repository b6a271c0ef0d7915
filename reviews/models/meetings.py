"""Management reviews (9.3): the review, its inputs (9.3.2), decisions and actions (9.3.3).

A ``ManagementReview`` (``MR-001``) is planned, its inputs are gathered from the registers and
frozen (each input's content kept as a snapshot with its SHA-256, and one digest over them all
on the review), it is held, and its chair signs the minutes (``reviews.meetings.signoffs``).
Inputs and decisions are rows owned by the review; actions (``MRA-001``) are register rows of
their own, followed up after the review and carried into the next one as input (a).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from aims.history import RegisterHistory
from aims.models import RegisterModel

__all__ = ["ManagementReview", "ReviewAction", "ReviewDecision", "ReviewInput"]


class ManagementReview(RegisterModel):
    """One management review by top management (9.3): chair, attendees, frozen inputs, decisions, actions."""

    reference_prefix = "MR"
    owned_children = ("inputs", "decisions")
    # Moved by the workflow only (signing makes the minutes signed): not a change of what was signed.
    workflow_fields = ("status",)
    editable_fields = ("title", "planned_on", "held_on", "chair", "attendees", "summary")

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        INPUTS_FROZEN = "inputs_frozen", "Inputs frozen"
        HELD = "held", "Held"
        MINUTES_SIGNED = "minutes_signed", "Minutes signed"

    title = models.CharField(max_length=200, default="Management review")
    planned_on = models.DateField("planned date")
    held_on = models.DateField("held on", null=True, blank=True)
    chair = models.ForeignKey(
        "governance.Person",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A person holding the top-management AIMS role; their account signs the minutes.",
    )
    attendees = models.ManyToManyField(
        "governance.Person",
        blank=True,
        related_name="+",
        help_text="At least one of them holds the top-management AIMS role.",
    )
    summary = models.TextField("minutes summary", blank=True, help_text="The review in a few sentences.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    inputs_frozen_at = models.DateTimeField(null=True, blank=True, editable=False)
    inputs_frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    inputs_since = models.DateField(
        "inputs gathered since", null=True, blank=True, editable=False,
        help_text="The previous review's date the inputs were gathered from (empty: the first review).",
    )  # fmt: skip
    inputs_digest = models.CharField(
        max_length=64, blank=True, editable=False, help_text="SHA-256 over every frozen input's digest."
    )

    _history_m2m_fields = ["attendees"]

    class Meta(RegisterModel.Meta):
        verbose_name = "management review"

    @property
    def is_frozen(self) -> bool:
        return self.inputs_frozen_at is not None

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.MINUTES_SIGNED


class ReviewInput(models.Model):
    """One input of the review (9.3.2): what the registers said, frozen with its digest, and its discussion."""

    editable_fields = ("notes", "discussed")

    review = models.ForeignKey(ManagementReview, on_delete=models.CASCADE, related_name="inputs")
    key = models.CharField(max_length=40, help_text="The kind of input (reviews.meetings.inputs).")
    position = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1, editable=False)
    content = models.JSONField(null=True, blank=True, editable=False, help_text="The snapshot taken when frozen.")
    digest = models.CharField(max_length=64, blank=True, editable=False)
    notes = models.TextField("discussion notes", blank=True)
    discussed = models.BooleanField(default=False)
    history = RegisterHistory()

    class Meta:
        ordering = ["review", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["review", "key"], name="reviews_input_once_per_review")]

    def __str__(self) -> str:
        return f"{self.review.reference} input {self.key}"


class ReviewDecision(models.Model):
    """A decision of the review (9.3.3): on improvement, changes to the AIMS, resources, or no change."""

    editable_fields = ("decision_type", "text")

    class Type(models.TextChoices):
        IMPROVEMENT = "improvement", "Continual improvement"
        CHANGE = "change", "Change to the AIMS"
        RESOURCES = "resources", "Resources"
        POLICY = "policy", "AI policy"
        SCOPE = "scope", "Scope"
        OBJECTIVES = "objectives", "AI objectives"
        RISK_ACCEPTANCE = "risk_acceptance", "Risk acceptance"
        NO_CHANGE = "no_change", "No change needed"

    review = models.ForeignKey(ManagementReview, on_delete=models.CASCADE, related_name="decisions")
    version = models.PositiveIntegerField(default=1, editable=False)
    decision_type = models.CharField("type", max_length=20, choices=Type.choices)
    text = models.TextField("decision")
    history = RegisterHistory()

    class Meta:
        ordering = ["review", "pk"]

    def __str__(self) -> str:
        return f"{self.get_decision_type_display()}: {self.text[:60]}"


class ReviewAction(RegisterModel):
    """An action decided by the review: owner, due date, status and the records it created."""

    reference_prefix = "MRA"
    workflow_fields = ("status", "completed_on")
    editable_fields = ("title", "owner", "due_on", "objective", "nonconformity", "document_version")

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    review = models.ForeignKey(ManagementReview, on_delete=models.PROTECT, related_name="actions")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField("due", null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    completed_on = models.DateField(null=True, blank=True, editable=False)
    objective = models.ForeignKey(
        "governance.Objective", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The AI objective this action set, if any.",
    )  # fmt: skip
    nonconformity = models.ForeignKey(
        "improvement.Nonconformity", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The nonconformity this action raised, if any.",
    )  # fmt: skip
    document_version = models.ForeignKey(
        "governance.DocumentVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The document version this action produced, if any (a revised policy, say).",
    )  # fmt: skip

    class Meta(RegisterModel.Meta):
        verbose_name = "management review action"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
