"""Forms of management reviews; the services write."""

from __future__ import annotations

from typing import Any

from django import forms

from aims.forms import VersionedFormMixin
from aims.limits import TextLimitsFormMixin
from aims.models import ManagementSystem
from governance.models import DocumentVersion, Objective, Person
from improvement.forms_common import DATE, people_field, rows
from improvement.models import Nonconformity
from registers.forms import RegisterForm
from reviews.models import ManagementReview, ReviewAction, ReviewDecision, ReviewInput


def _people(management_system: ManagementSystem) -> Any:
    return Person.objects.filter(management_system=management_system, retired_at__isnull=True).order_by("name")


class ReviewForm(RegisterForm):
    """A management review: title, planned and held dates, chair, attendees, summary."""

    class Meta:
        model = ManagementReview
        fields = ManagementReview.editable_fields
        widgets = {
            "planned_on": DATE,
            "held_on": DATE,
            "attendees": forms.CheckboxSelectMultiple,
            "summary": rows(3),
        }

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.fields["chair"].queryset = _people(management_system)
        self.fields["attendees"].queryset = _people(management_system)
        if self.instance.pk is None:
            del self.fields["held_on"]


class VersionForm(VersionedFormMixin):
    """Only the version the user read: freezing the inputs."""


class HeldForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    held_on = forms.DateField(label="Held on", widget=DATE)


class InputForm(TextLimitsFormMixin, forms.ModelForm):
    """An input's discussion notes and its "discussed" mark, on the version read."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = ReviewInput
        fields = ReviewInput.editable_fields
        widgets = {"notes": rows(2)}


class DecisionForm(TextLimitsFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    class Meta:
        model = ReviewDecision
        fields = ReviewDecision.editable_fields
        widgets = {"text": rows(2)}


class ActionForm(RegisterForm):
    """An action of the review: owner, due date, and the records it created (optional)."""

    class Meta:
        model = ReviewAction
        fields = ReviewAction.editable_fields
        widgets = {"due_on": DATE}

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        people_field(self.fields["owner"], management_system)
        self.fields["objective"].queryset = Objective.objects.filter(management_system=management_system)
        self.fields["nonconformity"].queryset = Nonconformity.objects.filter(management_system=management_system)
        self.fields["document_version"].queryset = DocumentVersion.objects.filter(
            management_system=management_system
        ).select_related("document")


class ActionStatusForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    status = forms.ChoiceField(choices=ReviewAction.Status.choices)
