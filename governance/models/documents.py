"""Controlled documents and their versions (7.5): the spine of the management system's records.

The documents family builds on these; other families link to ``Document`` (the AI policy an
objective serves, the documents a requirement is addressed by, the scope document).
"""

from __future__ import annotations

from django.db import models

from aims.models import RetirableModel
from controls.models import Control

__all__ = ["Document"]


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
