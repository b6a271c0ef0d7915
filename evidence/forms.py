"""Forms for recording evidence (a file or a link) and a corrected version."""

from __future__ import annotations

from django import forms
from django.conf import settings

from aims.limits import TextLimitsFormMixin
from evidence.linkables import Linkable, linkables
from evidence.services import validate_evidence_date


class LinkChoiceField(forms.ModelMultipleChoiceField):
    """Records of one linkable kind, labelled as the kind describes them."""

    def __init__(self, spec: Linkable, **kwargs) -> None:
        self.spec = spec
        super().__init__(**kwargs)

    def label_from_instance(self, obj) -> str:
        return self.spec.text(obj)


class EvidenceForm(TextLimitsFormMixin, forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence_date = forms.DateField(
        label="Date of the evidence",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When the evidence was produced, e.g. the date of the test run or the minutes.",
        validators=[validate_evidence_date],
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

    def __init__(self, *args, management_system=None, upload_refused: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.upload_refused = upload_refused
        for spec in linkables():
            widget = forms.SelectMultiple(attrs={"size": 8}) if spec.compact else forms.CheckboxSelectMultiple
            self.fields[spec.key] = LinkChoiceField(
                spec,
                label=spec.label,
                queryset=spec.queryset(management_system),
                required=False,
                widget=widget,
                help_text=spec.help_text,
            )
        self.fields["file"].help_text += f" At most {_limit_mb()} MB."

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
        """The chosen records by linkable key, as the services take them."""
        return {spec.key: list(self.cleaned_data.get(spec.key) or []) for spec in linkables()}


def _limit_mb() -> int:
    return settings.EVIDENCE_MAX_UPLOAD_BYTES // (1024 * 1024)
