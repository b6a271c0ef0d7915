"""Forms of context issues, interested parties and requirements; the services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from aims.models import ManagementSystem
from assessments.models import Risk
from controls.catalog import ANNEX_A, CLAUSES
from controls.models import Control
from governance.models import ContextIssue, Document, InterestedParty, Requirement
from registers.forms import RegisterForm
from registers.models import AISystem

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def rows(n: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": n})


def control_choices() -> QuerySet[Control]:
    """Clauses 4 to 10, then the Annex A controls: what may address a requirement."""
    return (
        Control.objects.filter(framework__key__in=[CLAUSES, ANNEX_A])
        .select_related("framework")
        .order_by("-framework__key", "position")
    )


def _records(model: type, management_system: ManagementSystem) -> QuerySet:
    return model.objects.filter(management_system=management_system, retired_at__isnull=True).order_by("reference")


class ContextForm(RegisterForm):
    """The base of this family's forms: the sections of the page, and the links limited to the management system."""

    SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names if name in self.fields]) for legend, names in self.SECTIONS]

    def limit(self, name: str, queryset: QuerySet) -> None:
        if name in self.fields:
            current = self.instance.pk and getattr(self.instance, name).all()
            # A retired record linked before stays choosable, so saving does not drop the link silently.
            self.fields[name].queryset = (queryset | current).distinct() if current else queryset


class ContextIssueForm(ContextForm):
    class Meta:
        model = ContextIssue
        fields = ContextIssue.editable_fields
        widgets = {
            "description": rows(3),
            "effect": rows(3),
            "risks": forms.CheckboxSelectMultiple,
            "review_on": DATE,
        }
        help_texts = {
            "effect": "How the issue affects the management system's ability to achieve its intended results.",
            "risks": "The risks this issue gives rise to (6.1).",
            "review_on": "When the issue is looked at again; the list flags it once the date has passed.",
        }

    SECTIONS = (
        ("The issue", ("title", "origin", "category", "description")),
        ("Its effect", ("effect", "risks", "review_on")),
    )

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.limit("risks", _records(Risk, management_system))


class InterestedPartyForm(ContextForm):
    class Meta:
        model = InterestedParty
        fields = InterestedParty.editable_fields
        widgets = {"description": rows(3)}
        help_texts = {"description": "Who they are and what they need or expect of the organisation's AI."}

    SECTIONS = (("The interested party", ("name", "kind", "description")),)


class RequirementForm(ContextForm):
    class Meta:
        model = Requirement
        fields = Requirement.editable_fields
        widgets = {
            "how_addressed": rows(3),
            "ai_systems": forms.CheckboxSelectMultiple,
            "controls": forms.SelectMultiple(attrs={"size": 8}),
            "documents": forms.CheckboxSelectMultiple,
            "risks": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "party": "Whose requirement it is: the regulator, the patients, the customer.",
            "jurisdiction": "For example: EU, United Kingdom, England.",
            "ai_systems": "The AI systems it applies to. Leave all unticked when it applies to every one.",
            "how_addressed": "How the management system addresses it; needed when it is (partly) addressed.",
            "controls": "The clauses and Annex A controls that address it.",
        }

    SECTIONS = (
        ("The requirement", ("party", "title", "requirement_type", "source_reference", "jurisdiction", "ai_systems")),
        ("How it is addressed", ("addressed", "how_addressed", "controls", "documents", "risks")),
    )

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        parties = _records(InterestedParty, management_system)
        if self.instance.pk:
            parties = (parties | InterestedParty.objects.filter(pk=self.instance.party_id)).distinct()
        self.fields["party"].queryset = parties
        self.limit("ai_systems", _records(AISystem, management_system))
        self.limit("documents", _records(Document, management_system))
        self.limit("risks", _records(Risk, management_system))
        self.fields["controls"].queryset = control_choices()
        self.fields["controls"].label_from_instance = lambda c: f"{c.key} {c.title}"
