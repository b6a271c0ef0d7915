"""Forms of people, AIMS roles, role assignments, competences, competence records and communication; the services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from aims.forms import user_label
from aims.models import ManagementSystem
from aims.selectors import active_members
from governance.models import (
    AimsRole,
    CommunicationPlanItem,
    CommunicationRecord,
    Competence,
    CompetenceRecord,
    Person,
    RoleAssignment,
)
from improvement.forms_common import DATE, rows
from registers.forms import RegisterForm
from registers.models import AISystem


def _open(model: type, management_system: ManagementSystem, keep: Any = None) -> Any:
    """The open rows of a register in the management system (plus the one already chosen, even if retired)."""
    rows_ = model.objects.filter(management_system=management_system, retired_at__isnull=True)
    if keep is not None:
        rows_ = rows_ | model.objects.filter(pk=keep)
    return rows_.order_by("name" if model in (Person, AimsRole, Competence) else "reference")


def _people_label(person: Person) -> str:
    return f"{person.name} ({person.job_title})" if person.job_title else person.name


class PeopleForm(RegisterForm):
    """A form of this family: choices limited to the management system's own records."""

    def person_field(self, name: str) -> None:
        field = self.fields[name]
        field.queryset = _open(Person, self.management_system, getattr(self.instance, f"{name}_id", None))
        field.label_from_instance = _people_label


class PersonForm(PeopleForm):
    class Meta:
        model = Person
        fields = Person.editable_fields
        help_texts = {"account": "Leave empty for someone who does not log in (a board member, say)."}

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.fields["account"].queryset = active_members(management_system)
        self.fields["account"].label_from_instance = user_label
        self.fields["account"].empty_label = "No account"


class RoleForm(PeopleForm):
    class Meta:
        model = AimsRole
        fields = AimsRole.editable_fields
        widgets = {
            "responsibilities": rows(5),
            "authorities": rows(4),
            "required_competences": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        roles = AimsRole.objects.filter(management_system=management_system, retired_at__isnull=True)
        if self.instance.pk:
            roles = roles.exclude(pk=self.instance.pk)
        self.fields["reports_to"].queryset = roles.order_by("reference")
        self.fields["reports_to"].empty_label = "Nobody (the top of the organisation)"
        self.fields["required_competences"].queryset = _open(Competence, management_system)


class AssignmentForm(PeopleForm):
    class Meta:
        model = RoleAssignment
        fields = RoleAssignment.editable_fields
        widgets = {"starts_on": DATE, "ends_on": DATE, "ai_systems": forms.CheckboxSelectMultiple}
        labels = {"appointed_by": "Appointed by"}
        help_texts = {
            "ai_systems": "The AI systems this assignment covers; none ticked: all of them.",
            "appointed_by": "Who made the appointment (top management, usually).",
        }

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.person_field("person")
        self.person_field("appointed_by")
        self.fields["appointed_by"].empty_label = "Not recorded"
        self.fields["role"].queryset = _open(AimsRole, management_system, getattr(self.instance, "role_id", None))
        self.fields["ai_systems"].queryset = AISystem.objects.filter(management_system=management_system).order_by(
            "reference"
        )


class CompetenceForm(PeopleForm):
    class Meta:
        model = Competence
        fields = Competence.editable_fields
        widgets = {"description": rows(3)}


class CompetenceRecordForm(PeopleForm):
    class Meta:
        model = CompetenceRecord
        fields = CompetenceRecord.editable_fields
        widgets = {"achieved_on": DATE, "expires_on": DATE, "effectiveness": rows(3)}

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.person_field("person")
        keep = getattr(self.instance, "competence_id", None)
        self.fields["competence"].queryset = _open(Competence, management_system, keep)


class PlanItemForm(PeopleForm):
    class Meta:
        model = CommunicationPlanItem
        fields = CommunicationPlanItem.editable_fields
        widgets = {"note": rows(3)}

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.person_field("communicator")
        self.fields["communicator"].empty_label = "Not named"


class CommunicationForm(PeopleForm):
    class Meta:
        model = CommunicationRecord
        fields = CommunicationRecord.editable_fields
        widgets = {"delivered_on": DATE, "summary": rows(4), "acknowledged_by": forms.CheckboxSelectMultiple}
        help_texts = {"acknowledged_by": "The people who acknowledged it, if they are named in the register."}

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.person_field("communicator")
        self.fields["communicator"].empty_label = "Not named"
        self.fields["acknowledged_by"].queryset = _open(Person, management_system)
        self.fields["acknowledged_by"].label_from_instance = _people_label
        keep = getattr(self.instance, "plan_item_id", None)
        self.fields["plan_item"].queryset = _open(CommunicationPlanItem, management_system, keep)
        self.fields["plan_item"].empty_label = "Not in the plan"


class EndAssignmentForm(forms.Form):
    """End the version of the assignment the user saw, on a day, with the reason (kept in its history)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    on = forms.DateField(label="Last day in the role", widget=DATE, initial=timezone.localdate)
    reason = forms.CharField(max_length=80, help_text="Why it ends, e.g. “Moved to another post”.")
