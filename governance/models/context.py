"""Context of the organisation (4.1) and interested parties with their requirements (4.2): the legal
and regulatory register. The context family builds on these; the scope links to them."""

from __future__ import annotations

from django.db import models

from aims.models import RetirableModel
from assessments.models import Risk
from controls.models import Control
from registers.models import AISystem

__all__ = ["ContextIssue", "InterestedParty", "Requirement"]


class ContextIssue(RetirableModel):
    """An internal or external issue relevant to the AIMS's purpose (4.1)."""

    reference_prefix = "CTX"
    editable_fields = ("title", "origin", "category", "description", "effect", "risks", "review_on")

    class Origin(models.TextChoices):
        INTERNAL = "internal", "Internal"
        EXTERNAL = "external", "External"

    class Category(models.TextChoices):
        LEGAL = "legal", "Legal"
        TECHNOLOGICAL = "technological", "Technological"
        SOCIETAL = "societal", "Societal and ethical"
        MARKET = "market", "Market"
        ORGANISATIONAL = "organisational", "Organisational"
        CLIMATE = "climate", "Climate"

    title = models.CharField(max_length=200)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.TextField(blank=True)
    effect = models.TextField("effect on the management system", blank=True)
    risks = models.ManyToManyField(Risk, blank=True, related_name="+")
    review_on = models.DateField("review date", null=True, blank=True)

    _history_m2m_fields = ["risks"]

    class Meta(RetirableModel.Meta):
        verbose_name = "context issue"


class InterestedParty(RetirableModel):
    """A party with needs and expectations relevant to the AIMS (4.2): a regulator, patients, a customer."""

    reference_prefix = "IP"
    editable_fields = ("name", "kind", "description")

    class Kind(models.TextChoices):
        REGULATOR = "regulator", "Regulator or authority"
        CUSTOMER = "customer", "Customer or client"
        AFFECTED = "affected", "People affected by AI systems"
        SUPPLIER = "supplier", "Supplier or partner"
        INTERNAL = "internal", "Internal (staff, board)"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    description = models.TextField(blank=True)

    class Meta(RetirableModel.Meta):
        verbose_name_plural = "interested parties"


class Requirement(RetirableModel):
    """A requirement of an interested party: a row of the legal and regulatory register (4.2)."""

    reference_prefix = "REQ"
    editable_fields = (
        "party", "title", "requirement_type", "source_reference", "jurisdiction", "ai_systems", "addressed",
        "how_addressed", "controls", "documents", "risks",
    )  # fmt: skip

    class Type(models.TextChoices):
        LEGAL = "legal", "Legal"
        REGULATORY = "regulatory", "Regulatory"
        CONTRACTUAL = "contractual", "Contractual"
        VOLUNTARY = "voluntary", "Voluntary"

    class Addressed(models.TextChoices):
        YES = "yes", "Addressed"
        PARTLY = "partly", "Partly addressed"
        NO = "no", "Not addressed"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    party = models.ForeignKey(InterestedParty, on_delete=models.PROTECT, related_name="requirements")
    title = models.CharField("requirement", max_length=300)
    requirement_type = models.CharField("type", max_length=20, choices=Type.choices)
    source_reference = models.CharField(max_length=200, blank=True, help_text='For example "EU AI Act Art. 26(6)".')
    jurisdiction = models.CharField(max_length=100, blank=True)
    ai_systems = models.ManyToManyField(
        AISystem, blank=True, related_name="+", verbose_name="AI systems", help_text="Empty: all of them."
    )
    addressed = models.CharField(max_length=20, choices=Addressed.choices, default=Addressed.NO)
    how_addressed = models.TextField(blank=True)
    controls = models.ManyToManyField(Control, blank=True, related_name="+")
    documents = models.ManyToManyField("governance.Document", blank=True, related_name="+")
    risks = models.ManyToManyField(Risk, blank=True, related_name="+")

    _history_m2m_fields = ["ai_systems", "controls", "documents", "risks"]

    class Meta(RetirableModel.Meta):
        verbose_name = "requirement"
