"""Forms for the AI system register; the services do the writing."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from aims.forms import VersionedFormMixin
from aims.models import ManagementSystem
from aims.selectors import active_members, owner_candidates
from registers.models import AISystem, DatasetRecord, ModelRecord, Supplier

ANY = [("", "Any")]


def user_label(user: AbstractBaseUser) -> str:
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


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
        fields = [
            "name",
            "purpose",
            "intended_use",
            "owner",
            "lifecycle_stage",
            "in_scope",
            "ai_role",
            "eu_ai_act_risk_class",
            "human_oversight",
            "notes",
            "model_records",
            "dataset_records",
            "suppliers",
        ]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "intended_use": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
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
            ("owner", "lifecycle_stage", "in_scope", "ai_role", "eu_ai_act_risk_class", "human_oversight"),
        ),
        ("Components", ("model_records", "dataset_records", "suppliers")),
    )

    def sections(self) -> list[tuple[str, list]]:
        """The form's fields grouped under headings for the page."""
        return [(legend, [self[name] for name in names]) for legend, names in self.SECTIONS]


class AISystemFilterForm(forms.Form):
    """The list page's search and filters; every field optional, values kept in the URL."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    lifecycle_stage = forms.ChoiceField(
        label="Lifecycle stage", choices=ANY + AISystem.LifecycleStage.choices, required=False
    )
    eu_ai_act_risk_class = forms.ChoiceField(
        label="EU AI Act risk class", choices=ANY + AISystem.RiskClass.choices, required=False
    )
    in_scope = forms.ChoiceField(
        label="In scope", choices=ANY + [("true", "In scope"), ("false", "Out of scope")], required=False
    )
    owner = forms.ModelChoiceField(label="Owner", queryset=None, required=False, empty_label="Any")

    def __init__(self, *args, management_system: ManagementSystem, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_members(management_system)
        self.fields["owner"].label_from_instance = user_label

    def filters(self) -> dict:
        """The valid filters for the selector (invalid ones are ignored, and shown as errors)."""
        self.is_valid()
        data = dict(self.cleaned_data)
        owner = data.pop("owner", None)
        if owner is not None:
            data["owner_id"] = owner.pk
        return data


RECORD_FIELDS: dict[type, list[str]] = {
    ModelRecord: [
        "name",
        "model_version",
        "provider",
        "model_type",
        "intended_use",
        "limitations",
        "evaluation_summary",
    ],
    DatasetRecord: ["name", "source", "provenance", "quality", "personal_data_categories", "retention"],
    Supplier: ["name", "services", "due_diligence_status", "contract_reference"],
}


def record_form_class(model: type) -> type[RegisterForm]:
    """A form for a model record, dataset record or supplier."""
    textareas = {
        name: forms.Textarea(attrs={"rows": 3})
        for name in RECORD_FIELDS[model]
        if model._meta.get_field(name).get_internal_type() == "TextField"
    }
    return forms.modelform_factory(model, form=RegisterForm, fields=RECORD_FIELDS[model], widgets=textareas)
