"""Forms for recording evidence (a file or a link) and a corrected version."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone

from assessments.models import ImpactAssessment, Risk
from controls.models import Applicability
from registers.models import AISystem, Evidence

LINK_FIELDS = Evidence._history_m2m_fields


class SoARowChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Applicability) -> str:
        return f"{obj.control.key} {obj.control.title}"


class EvidenceForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence_date = forms.DateField(
        label="Date of the evidence",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When the evidence was produced, e.g. the date of the test run or the minutes.",
    )
    file = forms.FileField(
        required=False,
        help_text="PDF, PNG, JPEG, CSV, XLSX, DOCX, TXT or JSON; the content is checked, not just the name.",
    )
    url = forms.URLField(
        label="Or a link",
        required=False,
        max_length=500,
        assume_scheme="https",
        widget=forms.TextInput(attrs={"inputmode": "url", "placeholder": "https://"}),
        help_text="For evidence kept in another system, e.g. a document management system.",
    )
    ai_systems = forms.ModelMultipleChoiceField(
        label="AI systems", queryset=AISystem.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    soa_rows = SoARowChoiceField(
        label="Statement of Applicability rows",
        queryset=Applicability.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="The controls this evidence shows in operation (Ctrl or Cmd to choose several).",
    )
    risks = forms.ModelMultipleChoiceField(
        queryset=Risk.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    impact_assessments = forms.ModelMultipleChoiceField(
        label="Impact assessments",
        queryset=ImpactAssessment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, management_system=None, upload_refused: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.upload_refused = upload_refused
        in_system = {"management_system": management_system}
        self.fields["ai_systems"].queryset = AISystem.objects.filter(**in_system).order_by("reference")
        self.fields["soa_rows"].queryset = (
            Applicability.objects.filter(**in_system).select_related("control").order_by("control__position")
        )
        self.fields["risks"].queryset = Risk.objects.filter(**in_system).order_by("reference")
        self.fields["impact_assessments"].queryset = ImpactAssessment.objects.filter(**in_system).order_by("reference")
        self.fields["file"].help_text += f" At most {_limit_mb()} MB."

    def clean_evidence_date(self):
        value = self.cleaned_data["evidence_date"]
        if value > timezone.localdate():
            raise forms.ValidationError("The evidence date is in the future.")
        return value

    def clean(self):
        data = super().clean()
        if self.upload_refused:
            self.add_error("file", self.upload_refused)
            return data
        if not data.get("file") and not data.get("url") and not self.has_error("file") and not self.has_error("url"):
            self.add_error("file", "Upload a file or give a link.")
        if data.get("file") and data.get("url"):
            self.add_error("url", "Give either a file or a link, not both.")
        return data

    def links(self) -> dict:
        return {name: list(self.cleaned_data.get(name) or []) for name in LINK_FIELDS}


def _limit_mb() -> int:
    return settings.EVIDENCE_MAX_UPLOAD_BYTES // (1024 * 1024)
