"""Forms for risk criteria, risks, impact assessments and their sign-offs; the services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms

from aims.limits import TextLimitsFormMixin
from aims.models import ManagementSystem
from aims.selectors import owner_candidates
from assessments.models import (
    AUTHORITY_RANK,
    Authority,
    ImpactAssessment,
    ImpactCriteria,
    ImpactRow,
    Level,
    Risk,
    RiskCriteria,
    TreatmentAction,
)
from controls.catalog import ANNEX_A
from controls.models import Control
from registers.forms import RegisterForm, user_label
from registers.models import AISystem

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _rows(n: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": n})


# --- risk criteria ---------------------------------------------------------------------


def scale_to_text(scale: list[dict[str, str]]) -> str:
    return "\n".join(f"{p.get('label', '')}: {p.get('description', '')}".rstrip(": ") for p in scale)


def text_to_scale(text: str) -> list[dict[str, str]]:
    points = []
    for line in text.splitlines():
        if line.strip():
            label, _, description = line.partition(":")
            points.append({"label": label.strip(), "description": description.strip()})
    return points


class CriteriaForm(TextLimitsFormMixin, forms.Form):
    """A new version of the risk criteria, starting from the version in force."""

    title = forms.CharField(max_length=200, initial="Risk criteria")
    likelihood_scale = forms.CharField(
        widget=_rows(6), help_text="One point per line, lowest first: “Label: description”. 3 to 7 points."
    )
    consequence_scale = forms.CharField(
        widget=_rows(6), help_text="One point per line, lowest first: “Label: description”. 3 to 7 points."
    )
    method = forms.ChoiceField(label="Combination method", choices=RiskCriteria.Method.choices)
    low_max = forms.IntegerField(label="Low up to score", min_value=1, required=False, help_text="Product method.")
    medium_max = forms.IntegerField(label="Medium up to score", min_value=1, required=False)
    high_max = forms.IntegerField(
        label="High up to score", min_value=1, required=False, help_text="Above it: critical."
    )
    matrix = forms.CharField(
        widget=_rows(6),
        required=False,
        help_text="Matrix method: one line per likelihood, highest first, levels separated by spaces "
        "(for example “medium high high critical critical”).",
    )
    acceptable_level = forms.ChoiceField(
        choices=Level.choices, help_text=RiskCriteria._meta.get_field("acceptable_level").help_text
    )
    authority_low = forms.ChoiceField(label="A low residual risk is accepted by", choices=Authority.choices)
    authority_medium = forms.ChoiceField(label="A medium residual risk is accepted by", choices=Authority.choices)
    authority_high = forms.ChoiceField(label="A high residual risk is accepted by", choices=Authority.choices)
    authority_critical = forms.ChoiceField(label="A critical residual risk is accepted by", choices=Authority.choices)
    intolerable_level = forms.ChoiceField(
        choices=[("", "None: every level may be accepted by its authority"), *Level.choices],
        required=False,
        help_text=RiskCriteria._meta.get_field("intolerable_level").help_text,
    )
    consequence_basis = forms.ChoiceField(label="Consequences", choices=RiskCriteria.ConsequenceBasis.choices)
    rationale = forms.CharField(widget=_rows(3), required=False, help_text="Why these criteria or what changed.")
    change_reason = forms.CharField(max_length=100, required=False, help_text="Recorded in the history.")

    @classmethod
    def initial_from(cls, criteria: RiskCriteria | None) -> dict[str, Any]:
        """Initial values copied from a criteria version (or the defaults)."""
        criteria = criteria or RiskCriteria()
        bands = {b["level"]: b["max_score"] for b in criteria.bands or []}
        return {
            "title": criteria.title,
            "likelihood_scale": scale_to_text(criteria.likelihood_scale),
            "consequence_scale": scale_to_text(criteria.consequence_scale),
            "method": criteria.method,
            "low_max": bands.get("low"),
            "medium_max": bands.get("medium"),
            "high_max": bands.get("high"),
            "matrix": "\n".join(" ".join(row) for row in reversed(criteria.matrix or [])),
            "acceptable_level": criteria.acceptable_level,
            **{f"authority_{level}": criteria.authority_for(level) for level in Level.values},
            "intolerable_level": criteria.intolerable_level,
            "consequence_basis": criteria.consequence_basis,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ranks = [AUTHORITY_RANK[data[f"authority_{level}"]] for level in Level.values if data.get(f"authority_{level}")]
        if ranks != sorted(ranks):
            self.add_error(None, "A higher level cannot need a lower authority than a lower level.")
        return data

    def criteria_fields(self) -> dict[str, Any]:
        """The cleaned values as RiskCriteria fields."""
        data = self.cleaned_data
        likelihood = text_to_scale(data["likelihood_scale"])
        consequence = text_to_scale(data["consequence_scale"])
        cuts = [("low", data.get("low_max")), ("medium", data.get("medium_max")), ("high", data.get("high_max"))]
        bands = [{"level": level, "max_score": top} for level, top in cuts if top]
        bands.append(
            {
                "level": "critical",
                "max_score": max(len(likelihood) * len(consequence), *(b["max_score"] for b in bands), 1),
            }
        )
        matrix = [line.lower().split() for line in data.get("matrix", "").splitlines() if line.strip()]
        return {
            "title": data["title"],
            "likelihood_scale": likelihood,
            "consequence_scale": consequence,
            "method": data["method"],
            "bands": bands if data["method"] == RiskCriteria.Method.PRODUCT else [],
            "matrix": list(reversed(matrix)) if data["method"] == RiskCriteria.Method.MATRIX else [],
            "acceptable_level": data["acceptable_level"],
            "authority": {level: data[f"authority_{level}"] for level in Level.values},
            "intolerable_level": data.get("intolerable_level", ""),
            "consequence_basis": data["consequence_basis"],
            "rationale": data.get("rationale", ""),
        }


class ImpactCriteriaForm(TextLimitsFormMixin, forms.Form):
    """A new version of the impact criteria: a definition for each rating (ISO/IEC 42005 5.7)."""

    SCALES = {
        "severity_scale": "Severity: five points, lowest first, “Label: definition”.",
        "likelihood_scale": "Likelihood: five points, lowest first.",
        "reversibility_scale": "Reversibility: three lines, for reversible, partly reversible and irreversible.",
        "people_scale": "Scale: five points, fewest people first (for example “A group: 11 to 100 people”).",
    }

    title = forms.CharField(max_length=200, initial="Impact criteria")
    severity_scale = forms.CharField(widget=_rows(5))
    likelihood_scale = forms.CharField(widget=_rows(5))
    reversibility_scale = forms.CharField(widget=_rows(3))
    people_scale = forms.CharField(label="Scale (number of people)", widget=_rows(5))
    rationale = forms.CharField(widget=_rows(3), required=False, help_text="Why these definitions or what changed.")
    change_reason = forms.CharField(max_length=100, required=False, help_text="Recorded in the history.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, help_text in self.SCALES.items():
            self.fields[name].help_text = help_text

    @classmethod
    def initial_from(cls, criteria: ImpactCriteria | None) -> dict[str, Any]:
        criteria = criteria or ImpactCriteria()
        initial = {name: scale_to_text(getattr(criteria, name)) for name in cls.SCALES}
        return {**initial, "title": criteria.title}

    def criteria_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {name: text_to_scale(data[name]) for name in self.SCALES}
        values = [value for value, _label in ImpactRow.Reversibility.choices]
        fields["reversibility_scale"] = [
            {"value": value, **point} for value, point in zip(values, fields["reversibility_scale"], strict=False)
        ]
        return {**fields, "title": data["title"], "rationale": data.get("rationale", "")}


# --- risks -----------------------------------------------------------------------------


def _scale_choices(scale: list[dict[str, str]], blank: str | None = None) -> list[tuple[Any, str]]:
    choices = [(i, f"{i} {p.get('label', '')}") for i, p in enumerate(scale, start=1)]
    return ([("", blank)] if blank else []) + choices


class RiskForm(RegisterForm):
    """A risk and its assessment on one criteria version; treatment actions come as a formset."""

    rescore = forms.BooleanField(required=False, label="Re-score on the criteria in force")

    class Meta:
        model = Risk
        fields = Risk.editable_fields
        widgets = {
            "description": _rows(4),
            "consequence_organisation": _rows(2),
            "consequence_individuals": _rows(2),
            "consequence_society": _rows(2),
            "treatment_plan": _rows(3),
            "opportunity": _rows(2),
            "additional_controls": _rows(2),
            "effectiveness_check": _rows(2),
            "acceptance_rationale": _rows(2),
            "ai_systems": forms.CheckboxSelectMultiple,
            "controls": forms.CheckboxSelectMultiple,
            "next_review": DATE,
            "acceptance_review_by": DATE,
        }

    PARTY_RATINGS = ["consequence_organisation_rating", "consequence_individuals_rating", "consequence_society_rating"]
    SECTIONS = [
        ("Identification", ["title", "ai_systems", "lifecycle_stage", "source", "affected_objective", "owner"]),
        ("Analysis", ["description", "consequence_organisation", "consequence_individuals", "consequence_society"]),
        ("Inherent risk", ["likelihood", *PARTY_RATINGS, "consequence"]),
        ("Treatment", ["treatment_option", "treatment_plan", "opportunity", "controls", "additional_controls"]),
        (
            "Residual risk and review",
            ["residual_likelihood", "residual_consequence", "next_review", "effectiveness_check", "rescore"],
        ),
        ("Acceptance", ["acceptance_rationale", "acceptance_review_by"]),
    ]

    def __init__(
        self,
        *args: Any,
        management_system: ManagementSystem,
        criteria: RiskCriteria,
        current: RiskCriteria | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.criteria = criteria
        self.fields["ai_systems"].queryset = AISystem.objects.filter(management_system=management_system).order_by(
            "reference"
        )
        self.fields["controls"].queryset = (
            Control.objects.filter(framework__key=ANNEX_A).select_related("area").order_by("position")
        )
        self.fields["controls"].label = "Annex A controls"
        self.fields["owner"].queryset = owner_candidates(management_system)
        self.fields["owner"].label_from_instance = user_label
        per_party = criteria.consequence_basis == RiskCriteria.ConsequenceBasis.PER_PARTY
        for name in self.PARTY_RATINGS if not per_party else ["consequence"]:
            del self.fields[name]  # rated per party, or once as the worst of the three, as the criteria say
        scales = [("likelihood", criteria.likelihood_scale, None)]
        if per_party:
            scales += [(name, criteria.consequence_scale, "Not rated") for name in self.PARTY_RATINGS]
        else:
            scales.append(("consequence", criteria.consequence_scale, None))
        scales += [
            ("residual_likelihood", criteria.likelihood_scale, "Not assessed yet"),
            ("residual_consequence", criteria.consequence_scale, "Not assessed yet"),
        ]
        for name, scale, blank in scales:
            field = self.fields[name]
            self.fields[name] = forms.TypedChoiceField(
                label=field.label,
                choices=_scale_choices(scale, blank),
                coerce=int,
                empty_value=None,
                required=blank is None,
                help_text=f"On {criteria}."
                + (
                    " The highest of the three ratings is the risk's consequence." if name in self.PARTY_RATINGS else ""
                ),
            )
        if current is None or current.pk == criteria.pk or self.instance.pk is None:
            del self.fields["rescore"]
        else:
            self.fields[
                "rescore"
            ].help_text = f"This risk was scored on {criteria}; tick to move it to {current} (re-check the ratings)."

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names if name in self.fields]) for legend, names in self.SECTIONS]

    def register_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.fields}


class ActionForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(max_length=300, required=False)
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Nobody yet")
    due_date = forms.DateField(required=False, widget=DATE)
    status = forms.ChoiceField(choices=TreatmentAction.Status.choices, initial=TreatmentAction.Status.PLANNED)

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_candidates(management_system)
        self.fields["owner"].label_from_instance = user_label

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("description") and (data.get("owner") or data.get("due_date")):
            self.add_error("description", "Describe the action.")
        return data


ActionFormSet = forms.formset_factory(ActionForm, extra=2, can_delete=True)


def action_formset(data: Any, management_system: ManagementSystem, risk: Risk | None = None) -> Any:
    initial = (
        [
            # The id keeps each action the same record when the form is saved unchanged.
            {"id": a.pk, "description": a.description, "owner": a.owner, "due_date": a.due_date, "status": a.status}
            for a in risk.actions.all()
        ]
        if risk
        else []
    )
    return ActionFormSet(data, initial=initial, prefix="actions", form_kwargs={"management_system": management_system})


def formset_actions(formset: Any) -> list[dict[str, Any]]:
    """The actions to keep: filled-in rows not marked for deletion."""
    return [
        {k: form.cleaned_data.get(k) for k in ("id", "description", "owner", "due_date", "status")}
        for form in formset.forms
        if form.cleaned_data.get("description") and not form.cleaned_data.get("DELETE")
    ]


class AsOfForm(forms.Form):
    """Show the heat map as it was at the end of a past day."""

    as_of = forms.DateField(label="As of", required=False, widget=DATE, help_text="Empty: today.")

    def moment(self) -> Any:
        if not self.is_valid() or not self.cleaned_data.get("as_of"):
            return None
        from datetime import datetime, time

        from django.utils import timezone

        return timezone.make_aware(datetime.combine(self.cleaned_data["as_of"], time.max))


# --- impact assessments ----------------------------------------------------------------


class ImpactAssessmentForm(RegisterForm):
    class Meta:
        model = ImpactAssessment
        fields = ImpactAssessment.editable_fields
        widgets = {
            name: _rows(2)
            for name in (
                "scope", "system_description", "functions", "intended_uses", "foreseeable_misuse", "data_sources",
                "data_categories", "data_quality", "training_approach", "known_limitations", "operating_environment",
                "human_oversight", "interested_parties", "vulnerable_groups", "consultation", "conditions",
            )
        } | {"next_review": DATE}  # fmt: skip

    SECTIONS = [
        (
            "Assessment",
            ["ai_system", "system_version", "title", "trigger", "lifecycle_stage", "assessors", "responsible_role"],
        ),
        ("Scope (42005 6.2)", ["scope"]),
        ("AI system information (6.3)", ["system_description", "functions", "intended_uses", "foreseeable_misuse"]),
        ("Data information and quality (6.4)", ["data_sources", "data_categories", "data_quality"]),
        ("Algorithm and model (6.5)", ["model_type", "model_origin", "training_approach", "known_limitations"]),
        ("Deployment environment (6.6)", ["geography_languages", "operating_environment", "human_oversight"]),
        (
            "Interested parties (6.7)",
            ["interested_parties", "vulnerable_groups_affected", "vulnerable_groups", "consultation"],
        ),
        (
            "Outcome",
            [
                "sensitive_use",
                "decision",
                "conditions",
                "results_recipients",
                "shared_externally",
                "next_review",
                "retention_period",
            ],
        ),
    ]

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.fields["ai_system"].queryset = AISystem.objects.filter(management_system=management_system).order_by(
            "reference"
        )
        self.fields["system_version"].help_text = "Left empty: the register version of the AI system."

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.SECTIONS]


class ImpactRowForm(TextLimitsFormMixin, forms.ModelForm):
    """One impact: benefit or harm, in which scenario, for whom and how many, rated on the impact criteria."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = ImpactRow
        fields = ImpactRow.editable_fields
        widgets = {"description": _rows(2), "measures": _rows(2)}

    def __init__(self, *args: Any, criteria: ImpactCriteria | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if criteria is None:
            return
        for name, scale_name, blank in (
            ("severity", "severity_scale", None),
            ("likelihood", "likelihood_scale", None),
            ("residual_impact", "severity_scale", "Not assessed yet"),
            ("people_scale", "people_scale", "Not estimated"),
        ):
            scale = getattr(criteria, scale_name)
            self.fields[name] = forms.TypedChoiceField(
                label=self.fields[name].label,
                choices=_scale_choices(scale, blank),
                coerce=int,
                empty_value=None,
                required=blank is None,
                help_text=f"On {criteria}.",
            )


class BaseImpactRowFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this impact"


ImpactRowFormSet = forms.formset_factory(ImpactRowForm, formset=BaseImpactRowFormSet, extra=2, can_delete=True)


def impact_row_formset(
    data: Any, assessment: ImpactAssessment | None = None, criteria: ImpactCriteria | None = None
) -> Any:
    fields = ["id", *ImpactRowForm.Meta.fields]
    initial = [{name: getattr(row, name) for name in fields} for row in assessment.rows.all()] if assessment else []
    return ImpactRowFormSet(data, initial=initial, prefix="rows", form_kwargs={"criteria": criteria})


def formset_rows(formset: Any) -> list[dict[str, Any]]:
    return [
        dict(form.cleaned_data) for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]
