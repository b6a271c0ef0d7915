"""Forms of nonconformities, corrective actions, effectiveness reviews and transitions; the services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from aims.limits import TextLimitsFormMixin
from aims.models import ManagementSystem
from assessments.models import ImpactAssessment, Risk
from controls.catalog import ANNEX_A, CLAUSES
from controls.models import Applicability, Control
from improvement.forms_common import DATE, people_field, rows
from improvement.models import CorrectiveAction, EffectivenessReview, Nonconformity
from improvement.nonconformities.services import TRANSITION_REASON_MAX
from registers.forms import RegisterForm
from registers.models import AISystem


def requirement_choices() -> QuerySet[Control]:
    """Clauses 4 to 10, then the Annex A controls: what a nonconformity may breach."""
    return (
        Control.objects.filter(framework__key__in=[CLAUSES, ANNEX_A])
        .select_related("framework")
        .order_by("-framework__key", "position")
    )


class NonconformityForm(RegisterForm):
    """A nonconformity (10.2): what is wrong, its correction, its cause, and what it changed in the AIMS."""

    class Meta:
        model = Nonconformity
        fields = Nonconformity.editable_fields
        widgets = {
            "nature": rows(4),
            "correction": rows(3),
            "containment": rows(3),
            "root_cause": rows(4),
            "similar_cases": rows(2),
            "document_changes": rows(2),
            "training_given": rows(2),
            "requirements": forms.CheckboxSelectMultiple,
            "ai_systems": forms.CheckboxSelectMultiple,
            "risks_reassessed": forms.CheckboxSelectMultiple,
            "soa_changes": forms.CheckboxSelectMultiple,
            "impact_assessments": forms.CheckboxSelectMultiple,
        }
        labels = {"requirements": "Requirements not met", "title": "Title"}
        help_texts = {
            "requirements": "The clauses (4 to 10) or Annex A controls the nonconformity breaches: at least one.",
            "owner": "Accountable for taking the nonconformity to closure.",
            "grade": "As certification bodies grade: a major one is closed by leadership.",
            "document_changes": "Which documents were revised, and how (10.2 e).",
            "training_given": "Training or awareness given because of it, to whom.",
        }

    SECTIONS = (
        ("The nonconformity", ("title", "source", "source_detail", "grade", "requirements", "ai_systems", "owner", "nature")),
        ("Correction and containment (10.2 a)", ("correction", "containment")),
        ("Cause (10.2 b)", ("root_cause_method", "root_cause", "similar_cases")),
        (
            "Changes to the management system (10.2 e)",
            ("risks_reassessed", "soa_changes", "impact_assessments", "document_changes", "training_given"),
        ),
    )  # fmt: skip

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        mine = {"management_system": management_system}
        self.fields["nature"].required = True
        self.fields["requirements"].queryset = requirement_choices()
        self.fields["ai_systems"].queryset = AISystem.objects.filter(**mine).order_by("reference")
        self.fields["risks_reassessed"].queryset = Risk.objects.filter(**mine).order_by("reference")
        self.fields["soa_changes"].queryset = (
            Applicability.objects.filter(**mine).select_related("control").order_by("control__position")
        )
        self.fields["soa_changes"].label_from_instance = lambda row: f"{row.control.key} {row.control.title}"
        self.fields["impact_assessments"].queryset = ImpactAssessment.objects.filter(**mine).order_by("reference")
        people_field(self.fields["owner"], management_system)
        if self.instance.pk is None:
            self.set_default_reason("Recorded via the web")

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.SECTIONS]


class CorrectiveActionForm(RegisterForm):
    """A corrective action: what, who, by when, and how it ended."""

    class Meta:
        model = CorrectiveAction
        fields = CorrectiveAction.editable_fields
        widgets = {"description": rows(3), "due_date": DATE, "completed_on": DATE}
        help_texts = {
            "owner": "Who carries it out; a contributor who owns it may update it.",
        }

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        people_field(self.fields["owner"], management_system)
        self.fields["owner"].empty_label = "Nobody yet"
        self.fields["cancel_reason"].required_note = "when cancelled"
        self.fields["completed_on"].required_note = "when done"


class ReviewPlanForm(TextLimitsFormMixin, forms.Form):
    """How and when the effectiveness of the corrective actions will be reviewed, and by whom (10.2 d)."""

    method = forms.CharField(
        widget=rows(3), help_text="How effectiveness will be judged: what is checked, against what, on which sample."
    )
    planned_on = forms.DateField(label="Planned for", widget=DATE)
    reviewer = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="Not named yet",
        help_text="Someone who owns none of the corrective actions.",
    )

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people_field(self.fields["reviewer"], management_system)


class ReviewPerformForm(TextLimitsFormMixin, forms.Form):
    """The review's result; the nonconformity's version guards against a change made meanwhile."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    result = forms.ChoiceField(
        choices=[c for c in EffectivenessReview.Result.choices if c[0]], widget=forms.RadioSelect
    )
    performed_on = forms.DateField(label="Performed on", widget=DATE, initial=timezone.localdate)
    notes = forms.CharField(
        label="What the review found",
        widget=rows(4),
        required=False,
        help_text="Link the evidence to the nonconformity.",
    )


class TransitionForm(forms.Form):
    """Move a nonconformity to its next state, with the reason (kept in history)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    to = forms.ChoiceField(choices=Nonconformity.State.choices, widget=forms.HiddenInput)
    reason = forms.CharField(max_length=TRANSITION_REASON_MAX, help_text="Why, in a few words: kept in the history.")
