"""Forms of the audit programme (with its planned items), internal audits, checks and findings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from aims.forms import VersionedFormMixin
from aims.limits import TextLimitsFormMixin
from aims.models import ManagementSystem
from improvement.audits import selectors
from improvement.forms_common import DATE, people_field, rows
from improvement.models import AuditCheck, AuditProgramme, Finding, InternalAudit, ProgrammeItem
from registers.forms import RegisterForm


def _requirement_field(field: forms.Field) -> None:
    """Offer clauses 4 to 10 and Annex A controls, grouped by catalogue."""
    field.queryset = selectors.requirements()
    grouped = selectors.grouped_requirement_choices()
    field.choices = grouped if isinstance(field, forms.ModelMultipleChoiceField) else [("", "—"), *grouped]


class SectionsMixin:
    SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names if name in self.fields]) for legend, names in self.SECTIONS]


# --- the programme ------------------------------------------------------------------------------------


class ProgrammeForm(SectionsMixin, RegisterForm):
    class Meta:
        model = AuditProgramme
        fields = AuditProgramme.editable_fields
        widgets = {
            "objectives": rows(3),
            "criteria": rows(2),
            "method": rows(2),
            "frequency_rationale": rows(3),
            "period_start": DATE,
            "period_end": DATE,
        }
        help_texts = {"owner": "Who manages the programme: an owner, compliance officer or contributor."}

    SECTIONS = (
        ("Programme", ("title", "period_start", "period_end", "owner", "reporting_line")),
        ("Objectives and method (9.2.2)", ("objectives", "criteria", "method", "frequency_rationale")),
    )

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        people_field(self.fields["owner"], management_system)


class ItemForm(forms.Form):
    """One planned audit: a requirement, an AI system or a process, in a quarter of the cycle."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    requirement = forms.ModelChoiceField(queryset=None, required=False, label="Clause or control")
    ai_system = forms.ModelChoiceField(queryset=None, required=False, label="or AI system", empty_label="—")
    process = forms.CharField(max_length=200, required=False, label="or process")
    planned_quarter = forms.CharField(
        max_length=7, required=False, label="Quarter", widget=forms.TextInput(attrs={"placeholder": "2026-Q3"})
    )

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _requirement_field(self.fields["requirement"])
        self.fields["ai_system"].queryset = selectors.ai_systems(management_system)

    def has_subject(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("requirement") or data.get("ai_system") or (data.get("process") or "").strip())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = [bool(data.get("requirement")), bool(data.get("ai_system")), bool((data.get("process") or "").strip())]
        if sum(chosen) > 1:
            self.add_error(None, "Plan one thing per row: a requirement, an AI system or a process.")
        if any(chosen) and not (data.get("planned_quarter") or "").strip():
            self.add_error("planned_quarter", "Give the quarter, for example 2026-Q3.")
        return data


class BaseItemFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove"


ItemFormSet = forms.formset_factory(ItemForm, formset=BaseItemFormSet, extra=3, can_delete=True)


def item_formset(data: Any, management_system: ManagementSystem, programme: AuditProgramme | None = None) -> Any:
    fields = ("id", *ProgrammeItem.editable_fields)
    initial = (
        [{name: getattr(item, "pk" if name == "id" else name) for name in fields} for item in programme.items.all()]
        if programme
        else []
    )
    return ItemFormSet(data, initial=initial, prefix="items", form_kwargs={"management_system": management_system})


def formset_items(formset: Any) -> list[dict[str, Any]]:
    """The planned items to keep: rows with a subject, not marked for removal."""
    return [
        {name: form.cleaned_data.get(name) for name in ("id", *ProgrammeItem.editable_fields)}
        for form in formset.forms
        if form.cleaned_data and form.has_subject() and not form.cleaned_data.get("DELETE")
    ]


class TransitionForm(TextLimitsFormMixin, forms.Form):
    """Move a record to its next state, as the version the user saw, saying why."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(max_length=100, widget=rows(2), help_text="Recorded in the history.")


# --- internal audits ------------------------------------------------------------------------------


class InternalAuditForm(SectionsMixin, RegisterForm):
    independence_override = forms.CharField(
        required=False,
        widget=rows(2),
        label="Independence override",
        help_text="Only when an auditor owns something in scope: why they audit it anyway (for example, nobody "
        "else is qualified). Shown on the audit page and in the report.",
    )

    class Meta:
        model = InternalAudit
        fields = InternalAudit.editable_fields
        widgets = {
            "criteria": rows(2),
            "sampling_note": rows(3),
            "conclusion": rows(4),
            "scope_requirements": forms.CheckboxSelectMultiple,
            "scope_ai_systems": forms.CheckboxSelectMultiple,
            "team": forms.CheckboxSelectMultiple,
            **{name: DATE for name in ("planned_start", "planned_end", "actual_start", "actual_end")},
        }
        help_texts = {
            "lead_auditor": "A member who may be assigned records; or name an external lead auditor below.",
            "team": "Members who record checks and findings with the lead auditor.",
            "criteria": "What the audit judges against (ISO/IEC 42001 clauses, our procedures).",
            "sampling_note": "How the sample was chosen (for example, 5 of the 32 risks, the highest first).",
        }

    SECTIONS = (
        ("Audit", ("title", "programme", "criteria")),
        ("Scope", ("scope_requirements", "scope_ai_systems")),
        ("Auditors", ("lead_auditor", "external_lead_name", "external_lead_firm", "team", "independence_override")),
        ("Dates", ("planned_start", "planned_end", "actual_start", "actual_end")),
        ("Results", ("sampling_note", "conclusion")),
    )

    def __init__(
        self, *args: Any, management_system: ManagementSystem, may_override: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.fields["programme"].queryset = selectors.programme_choices(
            management_system, keep=self.instance.programme_id if self.instance.pk else None
        )
        _requirement_field(self.fields["scope_requirements"])
        self.fields["scope_requirements"].label = "Clauses and controls in scope"
        self.fields["scope_ai_systems"].queryset = selectors.ai_systems(management_system)
        people_field(self.fields["lead_auditor"], management_system)
        people_field(self.fields["team"], management_system)
        if may_override:
            self.initial.setdefault("independence_override", self.instance.independence_override)
        else:
            del self.fields["independence_override"]

    def override(self) -> str | None:
        """The independence override given, or None when the user may not give one."""
        if "independence_override" not in self.fields:
            return None
        return self.cleaned_data.get("independence_override", "")


class CheckForm(VersionedFormMixin, forms.ModelForm):
    default_reason = ""

    class Meta:
        model = AuditCheck
        fields = ["tested", "sample", "result", "notes"]
        widgets = {"tested": rows(3), "sample": rows(2), "notes": rows(3)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["change_reason"].help_text = "Recorded in the history. Leave empty to record the result."


# --- findings ------------------------------------------------------------------------------------


class FindingForm(SectionsMixin, RegisterForm):
    class Meta:
        model = Finding
        fields = Finding.editable_fields
        widgets = {
            "requirement_statement": rows(2),
            "evidence_statement": rows(3),
            "found_statement": rows(3),
            "requirements": forms.CheckboxSelectMultiple,
            "ai_systems": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "finding_type": "A major or minor nonconformity raises its nonconformity (NC) at once, linked to the finding.",
            "audit": "The internal audit it comes from (for an internal audit finding).",
        }

    SECTIONS = (
        ("Finding", ("title", "finding_type", "source", "audit")),
        ("What it is about", ("requirements", "ai_systems")),
        ("Statement", ("requirement_statement", "evidence_statement", "found_statement")),
    )

    def __init__(
        self, *args: Any, management_system: ManagementSystem, audits: QuerySet[InternalAudit], **kwargs: Any
    ) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.fields["audit"].queryset = audits
        _requirement_field(self.fields["requirements"])
        self.fields["requirements"].label = "Clauses and controls"
        self.fields["ai_systems"].queryset = selectors.ai_systems(management_system)
        if self.instance.pk and self.instance.nonconformity_id:
            self.fields["finding_type"].disabled = True
            self.fields[
                "finding_type"
            ].help_text = (
                f"It raised {self.instance.nonconformity.reference}: the grade is managed on the nonconformity."
            )
