"""The pack request form."""

from __future__ import annotations

from django import forms

from aims.pack_sections import sections_for
from packs.models import AuditPack


class PackRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of pack",
        choices=AuditPack.Kind.choices,
        initial=AuditPack.Kind.FULL,
        widget=forms.RadioSelect,
        help_text="Stage 1: documentation for the readiness review. Stage 2: operational evidence. Full: both.",
    )
    as_of = forms.DateField(
        label="As of",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The pack shows every value as it was at the end of this day. Leave empty for now.",
    )
    scope_ai_systems = forms.CharField(
        label="Scope: AI systems",
        required=False,
        max_length=4000,
        widget=forms.TextInput(attrs={"placeholder": "e.g. AIS-003, AIS-007", "autocomplete": "off"}),
        help_text="Only what concerns these AI systems (references, separated by commas). Leave empty for all.",
    )
    scope_clauses = forms.CharField(
        label="Scope: clauses and Annex A controls",
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": "e.g. 6.1, 8.2, A.6", "autocomplete": "off"}),
        help_text="Only the sections that evidence these clauses or controls. Leave empty for all.",
    )
    scope_sections = forms.MultipleChoiceField(
        label="Scope: sections",
        required=False,
        choices=(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Only these sections (with the clauses above, if any). Leave empty for all.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope_sections"].choices = section_choices()

    def scope(self) -> dict[str, object]:
        """The scope as ``packs.services.pack_request`` takes it (checked there)."""
        data = self.cleaned_data
        return {
            "ai_systems": data.get("scope_ai_systems", ""),
            "clauses": data.get("scope_clauses", ""),
            "sections": data.get("scope_sections", []),
        }


def section_choices() -> list[tuple[str, str]]:
    """Every section any kind of pack has, in the auditor's order, named with the clauses it evidences."""
    sections = {section.key: section for kind in AuditPack.Kind.values for section in sections_for(kind)}
    ordered = sorted(sections.values(), key=lambda s: (s.order, s.key))
    return [(s.key, f"{s.title} ({s.clause})" if s.clause else s.title) for s in ordered]
