"""Forms for the AI system register; the services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms

from aims.forms import VersionedFormMixin, user_label
from aims.models import ManagementSystem
from aims.selectors import owner_candidates
from registers.models import AISystem, AISystemRole, DatasetRecord, ModelRecord, Supplier


class RegisterForm(VersionedFormMixin, forms.ModelForm):
    """A register row's form: carries the version on edit, and the change reason."""

    def __init__(self, *args, management_system: ManagementSystem, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.management_system = management_system
        if self.instance.pk is None:
            del self.fields["version"]
            self.set_default_reason("Created via the web")

    def register_fields(self) -> dict:
        """The cleaned model fields, ready for a service call."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class AISystemForm(RegisterForm):
    class Meta:
        model = AISystem
        fields = AISystem.editable_fields
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "intended_use": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "eu_ai_act_basis": forms.Textarea(attrs={"rows": 2}),
            "model_records": forms.CheckboxSelectMultiple,
            "dataset_records": forms.CheckboxSelectMultiple,
            "suppliers": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "owner": "Accountable for the system: an owner, compliance officer or contributor of this management "
            "system (who may then edit it).",
            "in_scope": "Inside the AIMS scope (clause 4.3).",
        }

    def __init__(self, *args, management_system: ManagementSystem, **kwargs) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.fields["owner"].queryset = owner_candidates(management_system)
        self.fields["owner"].label_from_instance = user_label
        for name, model in (
            ("model_records", ModelRecord),
            ("dataset_records", DatasetRecord),
            ("suppliers", Supplier),
        ):
            self.fields[name].queryset = model.objects.filter(management_system=management_system).order_by("reference")

    SECTIONS = (
        ("What it is", ("name", "purpose", "intended_use", "notes")),
        (
            "Accountability and classification",
            ("owner", "lifecycle_stage", "in_scope", "eu_ai_act_risk_class", "eu_ai_act_basis", "human_oversight"),
        ),
        ("Components", ("model_records", "dataset_records", "suppliers")),
    )

    def sections(self) -> list[tuple[str, list]]:
        """The form's fields grouped under headings for the page."""
        return [(legend, [self[name] for name in names]) for legend, names in self.SECTIONS]


def _role_choices() -> list:
    labels = dict(AISystemRole.Role.choices)
    return [
        ("", "Choose a role"),
        ("ISO/IEC 22989", [(code, labels[code]) for code in AISystemRole.ISO_ROLES]),
        ("EU AI Act operator", [(code, labels[code]) for code in AISystemRole.EU_ROLES]),
    ]


class AISystemRoleForm(forms.Form):
    """One role the organisation holds for the system, with its basis."""

    role = forms.ChoiceField(choices=_role_choices, required=False)
    basis = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text="Why it holds this role."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("basis") and not data.get("role"):
            self.add_error("role", "Choose the role this basis is for.")
        return data


class BaseRoleFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen = set()
        for role in (item["role"] for item in self.roles()):
            if role in seen:
                raise forms.ValidationError(f"{AISystemRole.Role(role).label} is given twice: give each role once.")
            seen.add(role)

    def roles(self) -> list[dict[str, str]]:
        """The roles to keep: rows with a role, not marked for removal."""
        return [
            {"role": form.cleaned_data["role"], "basis": form.cleaned_data.get("basis", "")}
            for form in self.forms
            if form.cleaned_data.get("role") and not form.cleaned_data.get("DELETE")
        ]


RoleFormSet = forms.formset_factory(AISystemRoleForm, formset=BaseRoleFormSet, extra=2, can_delete=True, max_num=12)


def role_formset(data: Any, system: AISystem | None = None) -> BaseRoleFormSet:
    """The AI system's roles as a formset (prefix ``roles``): its current roles, and two empty rows."""
    initial = [{"role": row.role, "basis": row.basis} for row in system.roles.all()] if system else []
    return RoleFormSet(data, initial=initial, prefix="roles")


def record_form_class(model: type) -> type[RegisterForm]:
    """A form for a model record, dataset record or supplier."""
    textareas = {
        name: forms.Textarea(attrs={"rows": 3})
        for name in model.editable_fields
        if model._meta.get_field(name).get_internal_type() == "TextField"
    }
    return forms.modelform_factory(model, form=RegisterForm, fields=model.editable_fields, widgets=textareas)
