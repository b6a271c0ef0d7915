"""Forms of documents and their versions; the services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from aims.models import ManagementSystem
from controls.catalog import ANNEX_A, CLAUSES
from controls.models import Control
from evidence.models import Evidence
from governance.models import Document, DocumentVersion, Person
from registers.forms import RegisterForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def requirement_choices() -> QuerySet[Control]:
    """Clauses 4 to 10, then the Annex A controls: what a document may satisfy."""
    return (
        Control.objects.filter(framework__key__in=[CLAUSES, ANNEX_A])
        .select_related("framework")
        .order_by("-framework__key", "position")
    )


class DocumentForm(RegisterForm):
    """A controlled document's control data (7.5.2, 7.5.3): identifier, type, owner, review, retention."""

    class Meta:
        model = Document
        fields = Document.editable_fields
        widgets = {"requirements": forms.SelectMultiple(attrs={"size": 8}), "next_review_on": DATE}
        help_texts = {"owner": "The person accountable for keeping the document current."}

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.fields["owner"].queryset = Person.objects.filter(
            management_system=management_system, retired_at__isnull=True
        ).order_by("name")
        self.fields["owner"].empty_label = "Nobody yet"
        self.fields["requirements"].queryset = requirement_choices()
        self.fields["requirements"].label_from_instance = lambda c: f"{c.key} {c.title}"
        if self.instance.pk is None:
            self.set_default_reason("Registered via the web")


class VersionForm(RegisterForm):
    """A draft version: its Markdown text (or a file kept as evidence), what changed, and the policy checklist."""

    class Meta:
        model = DocumentVersion
        fields = DocumentVersion.editable_fields
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "class": "markdown-source", "spellcheck": "true"})}
        labels = {"body": "Text (Markdown)", "evidence": "Or a file kept as evidence"}

    def __init__(self, *args: Any, management_system: ManagementSystem, policy: bool, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.fields["evidence"].queryset = Evidence.objects.filter(
            management_system=management_system, kind=Evidence.Kind.FILE
        ).order_by("reference")
        self.fields["evidence"].empty_label = "No file: the text above is the document"
        if not policy:
            for name, _text in DocumentVersion.CHECKLIST:
                del self.fields[name]
        self.set_default_reason("Draft edited via the web")

    def register_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name not in ("version", "change_reason")}

    def checklist_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _text in DocumentVersion.CHECKLIST if name in self.fields]

    def content_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("body", "evidence", "change_summary")]


class ReturnForm(forms.Form):
    """Return a version in review to draft, with the reason."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(max_length=75, help_text="Why it goes back to draft: kept in the history.")


class StepForm(forms.Form):
    """A step that needs only the version read (submit for review, start a new version)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
