"""Forms of objectives, metrics and measurements; the services write."""

from __future__ import annotations

from typing import Any

from django import forms

from aims.limits import TextLimitsFormMixin
from aims.models import ManagementSystem
from evidence.models import Evidence
from governance.models import Document, Metric, Objective, Person
from governance.objectives.selectors import metric_options
from improvement.forms_common import DATE, rows
from registers.forms import RegisterForm

VALUE = {"max_digits": 14, "decimal_places": 4}


def _people(management_system: ManagementSystem) -> Any:
    return Person.objects.filter(management_system=management_system, retired_at__isnull=True).order_by("name")


class MetricForm(RegisterForm):
    """A metric (9.1): what is measured, how, how often, by whom, and its target."""

    class Meta:
        model = Metric
        fields = Metric.editable_fields
        widgets = {"measured": rows(2), "method": rows(3)}

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        for name in ("measured_by", "analysed_by"):
            self.fields[name].queryset = _people(management_system)
            self.fields[name].empty_label = "Not named yet"


class ObjectiveForm(RegisterForm):
    """An AI objective (6.2): statement, policy, metric and target, plan and status."""

    class Meta:
        model = Objective
        fields = Objective.editable_fields
        widgets = {
            "statement": rows(3),
            "plan": rows(3),
            "resources": rows(2),
            "evaluation": rows(2),
            "due_on": DATE,
        }

    SECTIONS = (
        ("The objective", ("title", "statement", "policy", "status")),
        ("Measure and target", ("metric", "target", "threshold")),
        ("Plan (6.2)", ("plan", "resources", "responsible", "due_on", "evaluation")),
    )

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.fields["policy"].queryset = Document.objects.filter(management_system=management_system).order_by(
            "identifier"
        )
        self.fields["policy"].label_from_instance = lambda doc: f"{doc.identifier} {doc.title}"
        self.fields["metric"].queryset = metric_options(management_system)
        self.fields["responsible"].queryset = _people(management_system)
        self.fields["status"].choices = [c for c in Objective.Status.choices if c[0] != Objective.Status.WITHDRAWN]

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.SECTIONS]


def _evidence_field(form: forms.Form, management_system: ManagementSystem) -> None:
    field = form.fields["evidence"]
    field.queryset = Evidence.objects.filter(management_system=management_system).order_by("-evidence_date", "-pk")
    field.label_from_instance = lambda item: f"{item.reference} {item.title}"


class MeasurementForm(TextLimitsFormMixin, forms.Form):
    """The value of one period of a metric."""

    period = forms.DateField(widget=DATE, help_text="Any day in the period: it is kept as the period's first day.")
    value = forms.DecimalField(**VALUE)
    note = forms.CharField(widget=rows(2), required=False)
    evidence = forms.ModelChoiceField(queryset=None, required=False, empty_label="None")

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _evidence_field(self, management_system)


class CorrectionForm(TextLimitsFormMixin, forms.Form):
    """A corrected value of a period, and why (the earlier value stays, marked as corrected)."""

    value = forms.DecimalField(label="Corrected value", **VALUE)
    note = forms.CharField(label="Why it is corrected", widget=rows(2))
    evidence = forms.ModelChoiceField(queryset=None, required=False, empty_label="None")

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _evidence_field(self, management_system)
