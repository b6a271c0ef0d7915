"""The pack request form."""

from __future__ import annotations

from django import forms

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
