"""Forms for the AI system register; the services do the writing."""

from __future__ import annotations

from django import forms

from aims.forms import VersionedFormMixin, user_label
from aims.models import ManagementSystem
from aims.selectors import owner_candidates
from registers.models import AISystem, DatasetRecord, ModelRecord, Supplier


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


def record_form_class(model: type) -> type[RegisterForm]:
    """A form for a model record, dataset record or supplier."""
    textareas = {
        name: forms.Textarea(attrs={"rows": 3})
        for name in model.editable_fields
        if model._meta.get_field(name).get_internal_type() == "TextField"
    }
    return forms.modelform_factory(model, form=RegisterForm, fields=model.editable_fields, widgets=textareas)
