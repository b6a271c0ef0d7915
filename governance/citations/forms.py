"""The form that cites a record in an SoA row's justification; the choices are the row's management system's."""

from __future__ import annotations

from typing import Any

from django import forms

from aims.forms import ConfirmDeleteForm
from governance.citations.selectors import TARGET_MODELS
from governance.models import SoaCitation
from governance.models.citations import CITATION_TARGETS

TARGET_LABELS = {
    "requirement": "Legal or regulatory requirement",
    "risk": "Risk",
    "impact_assessment": "Impact assessment",
    "document": "Policy or other document",
}


class CitationForm(forms.Form):
    reason_type = forms.ChoiceField(label="Reason type", choices=[("", "Choose…"), *SoaCitation.ReasonType.choices])
    requirement = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    risk = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    impact_assessment = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    document = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    note = forms.CharField(
        max_length=300, required=False, help_text="What in it justifies the decision, briefly (optional)."
    )
    change_reason = forms.CharField(
        label="Change reason",
        max_length=100,
        required=False,
        help_text="Recorded in the history. Leave empty for “Cited”.",
    )

    def __init__(self, *args: Any, choices: dict[str, list[tuple[int, str]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in CITATION_TARGETS:
            field = self.fields[name]
            field.label = TARGET_LABELS[name]
            field.choices = [("", "—"), *choices.get(name, [])]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = [name for name in CITATION_TARGETS if data.get(name) is not None]
        if len(chosen) != 1 and not any(name in self.errors for name in CITATION_TARGETS):
            message = "Choose exactly one record to cite: a requirement, a risk, an impact assessment or a document."
            self.add_error(None, message)
        return data

    def targets(self) -> dict[str, Any]:
        """The chosen record as the service takes it: ``{"risk": <Risk>}``."""
        found = {}
        for name in CITATION_TARGETS:
            pk = self.cleaned_data.get(name)
            if pk is not None:
                found[name] = TARGET_MODELS[name]._default_manager.get(pk=pk)
        return found

    def reason(self) -> str:
        return self.cleaned_data.get("change_reason") or "Cited"


class RemoveCitationForm(ConfirmDeleteForm):
    default_reason = "Citation removed via the web"
