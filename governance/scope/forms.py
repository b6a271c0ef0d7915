"""Forms of the scope and its exclusions; the services write."""

from __future__ import annotations

from typing import Any

from django import forms

from aims.limits import TextLimitsFormMixin
from aims.models import ManagementSystem
from governance.models import ContextIssue, Requirement, Scope, ScopeExclusion
from registers.forms import RegisterForm


def _rows(n: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": n})


class ScopeForm(RegisterForm):
    """The structured parts of the scope (4.3); the AI systems come from the inventory, not from this form."""

    class Meta:
        model = Scope
        fields = Scope.editable_fields
        widgets = {
            "statement": _rows(4),
            "units": _rows(4),
            "sites": _rows(3),
            "activities": _rows(5),
            "interfaces": _rows(4),
            "context_issues": forms.CheckboxSelectMultiple,
            "requirements": forms.CheckboxSelectMultiple,
        }

    SECTIONS = (
        ("The scope", ("statement",)),
        ("Boundaries (4.3)", ("units", "sites", "activities")),
        ("Interfaces and dependencies (4.3 c)", ("interfaces",)),
        ("What was considered (4.3 a and b)", ("context_issues", "requirements")),
    )

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        mine = {"management_system": management_system, "retired_at__isnull": True}
        self.fields["context_issues"].queryset = ContextIssue.objects.filter(**mine).order_by("reference")
        self.fields["requirements"].queryset = Requirement.objects.filter(**mine).order_by("reference")
        if self.instance.pk is None:
            self.set_default_reason("Scope written")

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.SECTIONS]


class ExclusionForm(TextLimitsFormMixin, forms.ModelForm):
    """One exclusion and its rationale; ``version`` is the scope's version the user read."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = ScopeExclusion
        fields = ScopeExclusion.editable_fields
        widgets = {"rationale": _rows(3)}


class ScopeVersionForm(forms.Form):
    """An action on the scope version the user read: refresh its AI systems, remove an exclusion."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
