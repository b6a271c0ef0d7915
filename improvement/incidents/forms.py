"""Forms of the incident pages; the services do the writing and the refusing."""

from __future__ import annotations

from typing import Any

from django import forms

from aims.forms import DATETIME_LOCAL, DateTimeLocalInput, SignOffForm
from aims.limits import TextLimitsFormMixin
from aims.models import ManagementSystem
from assessments.models import ImpactAssessment, Risk
from controls.catalog import ANNEX_A, CLAUSES
from controls.models import Control
from improvement.forms_common import people_field, rows
from improvement.models import Incident, Nonconformity
from registers.forms import RegisterForm
from registers.models import AISystem, ModelRecord

INPUT_FORMATS = [DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d"]


def _moment(label: str, *, required: bool = False, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=required, widget=DateTimeLocalInput(), input_formats=INPUT_FORMATS, help_text=help_text
    )


def _systems(management_system: ManagementSystem, *, current_only: bool = False) -> Any:
    systems = AISystem.objects.filter(management_system=management_system).order_by("reference")
    return systems.filter(retired_at__isnull=True) if current_only else systems


class IncidentForm(RegisterForm):
    """An incident as the compliance officer or the incident's owner records it."""

    class Meta:
        model = Incident
        fields = Incident.editable_fields
        widgets = {
            "description": rows(4),
            "harm": rows(3),
            "user_communication": rows(3),
            "ai_systems": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "owner": "Handles the incident: an owner, compliance officer or contributor (who may then edit it).",
            "detected_at": "When the organisation became aware of it: reporting deadlines count from here.",
            "model_version": "The version of the model in use when it happened.",
        }

    SECTIONS = (
        ("What happened", ("title", "description", "occurred_at", "detected_at", "channel", "incident_type")),
        ("AI systems", ("ai_systems", "model_record", "model_version")),
        (
            "Seriousness",
            (
                "severity", "possibly_serious", "death_possible", "widespread_infringement",
                "critical_infrastructure_disruption", "personal_data_breach",
            ),
        ),
        ("People", ("people_affected", "harm", "user_communication")),
        ("Handling", ("owner",)),
    )  # fmt: skip

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        for name in ("occurred_at", "detected_at"):
            field = self.fields[name]
            self.fields[name] = _moment(field.label.capitalize(), required=field.required, help_text=field.help_text)
        self.fields["detected_at"].help_text = self._meta.help_texts["detected_at"]
        self.fields["ai_systems"].queryset = _systems(management_system)
        self.fields["model_record"].queryset = ModelRecord.objects.filter(management_system=management_system)
        people_field(self.fields["owner"], management_system)

    def sections(self) -> list[tuple[str, list]]:
        """The form's fields grouped under headings for the page."""
        return [(legend, [self[name] for name in names]) for legend, names in self.SECTIONS]


class ConcernForm(TextLimitsFormMixin, forms.Form):
    """The short concern form any member (auditors aside) may use (A.3.3)."""

    title = forms.CharField(label="Your concern in a few words", max_length=200)
    description = forms.CharField(
        label="What happened, or what worries you",
        widget=rows(6),
        help_text="What you saw, where and when, and who may be affected. Leave out personal data you do not need.",
    )
    ai_systems = forms.ModelMultipleChoiceField(
        label="AI systems concerned",
        queryset=AISystem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    occurred_at = _moment("When it happened", help_text="If you know.")
    anonymous = forms.BooleanField(
        label="Raise it anonymously",
        required=False,
        help_text="The register then records neither your name as the reporter nor you as the author of any "
        "version of it, so nobody can read from the register who raised it. You will not be asked to follow up.",
    )

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ai_systems"].queryset = _systems(management_system, current_only=True)


class TimelineEntryForm(TextLimitsFormMixin, forms.Form):
    at = _moment("When", help_text="When it happened; leave empty for now.")
    text = forms.CharField(label="What happened", widget=rows(2))


class TriageForm(TextLimitsFormMixin, forms.Form):
    """Link the incident to its outcome; the fields the outcome needs are checked by the service."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    outcome = forms.ChoiceField(
        choices=[choice for choice in Incident.Outcome.choices if choice[0]], widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label="Why this outcome",
        widget=rows(3),
        help_text="Kept with the incident and in its history; required for every outcome.",
    )
    requirements = forms.ModelMultipleChoiceField(
        label="Requirements not met",
        queryset=Control.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="Clauses 4 to 10 and Annex A controls; choose at least one for a nonconformity.",
    )
    nc_title = forms.CharField(
        label="Title of the nonconformity", max_length=200, required=False, help_text="Leave empty for the incident's."
    )
    nc_grade = forms.ChoiceField(label="Grade", choices=Nonconformity.Grade.choices, initial=Nonconformity.Grade.MINOR)
    risk = forms.ModelChoiceField(
        label="Risk", queryset=Risk.objects.none(), required=False, empty_label="Choose a risk…"
    )
    impact_assessment = forms.ModelChoiceField(
        label="Impact assessment",
        queryset=ImpactAssessment.objects.none(),
        required=False,
        empty_label="Choose an impact assessment…",
    )

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requirements"].queryset = (
            Control.objects.filter(framework__key__in=[CLAUSES, ANNEX_A])
            .select_related("framework")
            .order_by("-framework__key", "position")
        )
        current = {"management_system": management_system, "retired_at__isnull": True}
        self.fields["risk"].queryset = Risk.objects.filter(**current).order_by("reference")
        self.fields["impact_assessment"].queryset = ImpactAssessment.objects.filter(**current).order_by("reference")
        for name in ("requirements", "risk", "impact_assessment"):
            self.fields[name].required_note = "needed for this outcome"
        self.fields["nc_title"].required_note = "optional"


class TransitionForm(TextLimitsFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    to = forms.ChoiceField(choices=Incident.Status.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label="Why", max_length=100, help_text="Kept in the incident's history.")


class ObligationForm(TextLimitsFormMixin, forms.Form):
    """Record a report's submission (moment and the authority's reference), or waive it with a reason."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    submitted_on = _moment("Submitted on")
    submission_reference = forms.CharField(label="Reference given by the authority", max_length=200, required=False)
    waived_reason = forms.CharField(
        label="Or: why it is not reported",
        widget=rows(3),
        required=False,
        help_text="For example: the breach is unlikely to result in a risk to people's rights and freedoms.",
    )


class DecisionForm(SignOffForm):
    """Leadership's reporting decision and its reason, signed in the same step.

    ``signed_version`` carries the incident's version number the leader read (not a ledger
    token): the decision is recorded on that version, then the version that carries it is signed.
    """

    decision = forms.ChoiceField(
        label="Decision",
        choices=[("report", "Report it to the authorities"), ("do_not_report", "Do not report it")],
        widget=forms.RadioSelect,
    )
    decision_reason = forms.CharField(
        label="Reason for the decision",
        widget=rows(3),
        max_length=2000,
        help_text="Signed with the decision. A “do not report” waives the open reporting obligations with it.",
    )
    field_order = ["decision", "decision_reason", "statement", "confirmed", "override_reason", "job_title"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)

    def clean_signed_version(self) -> int:
        raw = self.cleaned_data["signed_version"]
        if not str(raw).isdigit():
            raise forms.ValidationError("Reload the page: the version you read is missing.")
        return int(raw)
