"""Citations of an SoA row's justification (6.1.3 d): the requirements, risks, impact assessments and
policy a decision to include or exclude a control rests on, each with the kind of reason it gives."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from aims.models import RegisterModel
from assessments.models import ImpactAssessment, Risk
from controls.models import Applicability
from governance.models.context import Requirement
from governance.models.documents import Document

__all__ = ["SoaCitation"]

# The fields of which exactly one names what a citation cites.
CITATION_TARGETS = ("requirement", "risk", "impact_assessment", "document")


class SoaCitation(RegisterModel):
    """One reason an SoA row's decision rests on: a requirement, risk, impact assessment or document.

    A citation is a link, not a signed record: it is removed with a tracked delete (history keeps
    who removed it and why), so the SoA as of any date shows the citations it had then.
    """

    reference_prefix = "CIT"
    editable_fields = ("applicability", "reason_type", *CITATION_TARGETS, "note")

    class ReasonType(models.TextChoices):
        LEGAL = "legal", "Legal or regulatory requirement"
        CONTRACTUAL = "contractual", "Contractual requirement"
        RISK_TREATMENT = "risk_treatment", "Risk treatment"
        IMPACT_ASSESSMENT = "impact_assessment", "Impact assessment"
        POLICY = "policy", "AI policy or other policy"
        BUSINESS = "business", "Business requirement"
        BEST_PRACTICE = "best_practice", "Best practice"

    applicability = models.ForeignKey(
        Applicability, on_delete=models.PROTECT, related_name="citations", verbose_name="SoA row"
    )
    reason_type = models.CharField("reason type", max_length=20, choices=ReasonType.choices)
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, null=True, blank=True, related_name="soa_citations"
    )
    risk = models.ForeignKey(Risk, on_delete=models.PROTECT, null=True, blank=True, related_name="soa_citations")
    impact_assessment = models.ForeignKey(
        ImpactAssessment, on_delete=models.PROTECT, null=True, blank=True, related_name="soa_citations"
    )
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="soa_citations"
    )
    note = models.CharField(max_length=300, blank=True, help_text="What in it justifies the decision, briefly.")

    class Meta(RegisterModel.Meta):
        verbose_name = "SoA citation"
        constraints = [
            *RegisterModel.Meta.constraints,
            models.CheckConstraint(
                condition=(
                    models.Q(requirement__isnull=False, risk__isnull=True, impact_assessment__isnull=True, document__isnull=True)
                    | models.Q(requirement__isnull=True, risk__isnull=False, impact_assessment__isnull=True, document__isnull=True)
                    | models.Q(requirement__isnull=True, risk__isnull=True, impact_assessment__isnull=False, document__isnull=True)
                    | models.Q(requirement__isnull=True, risk__isnull=True, impact_assessment__isnull=True, document__isnull=False)
                ),
                name="governance_soacitation_one_target",
            ),
            *(
                models.UniqueConstraint(fields=["applicability", name], name=f"governance_soacitation_unique_{name}")
                for name in CITATION_TARGETS
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.reference} {self.label}".strip()

    @property
    def target(self) -> models.Model | None:
        """What the citation cites (None until one is chosen)."""
        return next((getattr(self, name) for name in CITATION_TARGETS if getattr(self, f"{name}_id")), None)

    @property
    def target_field(self) -> str | None:
        return next((name for name in CITATION_TARGETS if getattr(self, f"{name}_id")), None)

    @property
    def label(self) -> str:
        """The short label the SoA shows: "REQ-003 EU AI Act Art. 26(6)", "RISK-004", "AIIA-002", "AIMS-POL-001"."""
        return target_label(self.target)

    def clean(self) -> None:
        super().clean()
        chosen = [name for name in CITATION_TARGETS if getattr(self, f"{name}_id")]
        if len(chosen) != 1:
            raise ValidationError(
                {
                    "requirement" if not chosen else chosen[1]: (
                        "Cite exactly one record: a requirement, a risk, an impact assessment or a document."
                    )
                }
            )


# What ``target_label`` reads of each kind of cited record, as a citation's related columns.
LABEL_COLUMNS = (
    "requirement__reference",
    "requirement__source_reference",
    "risk__reference",
    "impact_assessment__reference",
    "document__identifier",
)


def target_label(target: models.Model | None) -> str:
    """The short label of a cited record."""
    if target is None:
        return ""
    if isinstance(target, Requirement):
        return f"{target.reference} {target.source_reference}".strip()
    if isinstance(target, Document):
        return target.identifier
    return target.reference
