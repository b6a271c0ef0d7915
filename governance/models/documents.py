"""Controlled documents and their versions (7.5): the spine of the management system's records.

The documents family builds on these; other families link to ``Document`` (the AI policy an
objective serves, the documents a requirement is addressed by, the scope document).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from aims.models import ManagementSystem, RegisterModel, RetirableModel
from controls.models import Control
from evidence.models import Evidence

__all__ = ["Document", "DocumentAcknowledgement", "DocumentVersion"]


class Document(RetirableModel):
    """A controlled document (``DOC-001``) with a human identifier such as ``AIMS-POL-001``."""

    reference_prefix = "DOC"
    editable_fields = (
        "identifier", "title", "doc_type", "owner", "classification", "requirements", "review_cycle_months",
        "next_review_on", "retention", "disposition", "external_origin",
    )  # fmt: skip

    class Type(models.TextChoices):
        POLICY = "policy", "Policy"
        PROCESS = "process", "Process"
        METHOD = "method", "Method"
        PLAN = "plan", "Plan"
        RECORD_TEMPLATE = "record_template", "Record template"
        EXTERNAL = "external", "External"

    class Classification(models.TextChoices):
        PUBLIC = "public", "Public"
        INTERNAL = "internal", "Internal"
        CONFIDENTIAL = "confidential", "Confidential"
        RESTRICTED = "restricted", "Restricted"

    # Seeded required documents carry a stable key ("scope", "ai_policy", ...); others have none.
    key = models.SlugField(max_length=50, blank=True, editable=False)
    identifier = models.CharField(max_length=40, help_text="The organisation's own identifier, e.g. AIMS-POL-001.")
    title = models.CharField(max_length=200)
    doc_type = models.CharField("type", max_length=20, choices=Type.choices)
    owner = models.ForeignKey("governance.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    classification = models.CharField(max_length=20, choices=Classification.choices, default=Classification.INTERNAL)
    requirements = models.ManyToManyField(
        Control, blank=True, related_name="+", help_text="The clauses and controls this document satisfies."
    )
    review_cycle_months = models.PositiveIntegerField(default=12)
    next_review_on = models.DateField(null=True, blank=True)
    retention = models.CharField(max_length=200, blank=True, help_text="How long it is kept, e.g. 6 years.")
    disposition = models.CharField(max_length=200, blank=True, help_text="What happens at the end of retention.")
    external_origin = models.CharField(
        max_length=300, blank=True, help_text="For a document of external origin: who issued it, where it is kept."
    )

    _history_m2m_fields = ["requirements"]

    class Meta(RetirableModel.Meta):
        constraints = [
            *RetirableModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["management_system", "identifier"], name="governance_document_unique_identifier"
            ),
            models.UniqueConstraint(
                fields=["management_system", "key"], condition=~models.Q(key=""), name="governance_document_unique_key"
            ),
        ]


class DocumentVersion(RegisterModel):
    """One version of a controlled document (``DV-001``): its text or file, digest, and where it stands.

    A version is drafted, put in review, then approved (a sign-off bound to its digest) or
    returned to draft; an approved version never changes, and is superseded when the next one
    is approved. The AI policy's version carries the checklist of clause 5.2.
    """

    reference_prefix = "DV"
    editable_fields = (
        "body", "evidence", "change_summary",
        "fits_purpose", "framework_for_objectives", "commits_to_requirements", "commits_to_improvement",
        "aligned_with_policies",
    )  # fmt: skip
    # A move through the workflow is not a change of what was approved (aims.signoff_currency).
    workflow_fields = ("status", "approved_at", "approved_by", "superseded_at")
    # The AI policy checklist (5.2 a to e, A.2.3): field name and what it asks.
    CHECKLIST = (
        ("fits_purpose", "It is appropriate to the purpose of the organisation (5.2 a)."),
        ("framework_for_objectives", "It provides a framework for setting AI objectives (5.2 b)."),
        ("commits_to_requirements", "It commits to meet applicable requirements (5.2 c)."),
        ("commits_to_improvement", "It commits to continual improvement of the AIMS (5.2 d)."),
        ("aligned_with_policies", "It is aligned with the organisation's other policies (A.2.3)."),
    )

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        SUPERSEDED = "superseded", "Superseded"

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(editable=False)
    body = models.TextField(blank=True, help_text="The text, in Markdown (no HTML).")
    evidence = models.ForeignKey(
        Evidence,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Or a file kept as evidence (a signed PDF, a document of external origin).",
    )
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, editable=False)
    change_summary = models.CharField(max_length=300, blank=True, help_text="What changed from the previous version.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)
    fits_purpose = models.BooleanField("fits the purpose of the organisation", default=False)
    framework_for_objectives = models.BooleanField("provides a framework for AI objectives", default=False)
    commits_to_requirements = models.BooleanField("commits to meet applicable requirements", default=False)
    commits_to_improvement = models.BooleanField("commits to continual improvement", default=False)
    aligned_with_policies = models.BooleanField("aligned with other policies", default=False)

    class Meta(RegisterModel.Meta):
        ordering = ["document", "-number"]
        constraints = [
            *RegisterModel.Meta.constraints,
            models.UniqueConstraint(fields=["document", "number"], name="governance_documentversion_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} version {self.number}"

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def checklist(self) -> list[tuple[str, str, bool]]:
        """The AI policy checklist: (field, what it asks, ticked)."""
        return [(name, text, bool(getattr(self, name))) for name, text in self.CHECKLIST]


class DocumentAcknowledgement(models.Model):
    """A member's acknowledgement that they read one approved version of a policy (7.3): once per version."""

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField()

    class Meta:
        ordering = ["version", "acknowledged_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="governance_acknowledgement_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.user} acknowledged {self.version}"
