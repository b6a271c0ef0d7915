"""Forms of the incident rule and of the metric feeds; the services write."""

from __future__ import annotations

from typing import Any

from django import forms

from aims.models import ManagementSystem
from gateway.evidence import selectors
from gateway.models import GatewayIncidentRule, GatewayMetricFeed
from registers.forms import RegisterForm
from registers.models import AISystem


class IncidentRuleForm(RegisterForm):
    """Whether the rule is on, and how many refusals within how many minutes draft an incident."""

    class Meta:
        model = GatewayIncidentRule
        fields = GatewayIncidentRule.editable_fields
        labels = {"enabled": "Draft incidents from bursts of refusals", "window_minutes": "Window (minutes)"}
        help_texts = {"enabled": "Off: refusals are still logged, but no incident is drafted."}

    def __init__(self, *args: Any, management_system: ManagementSystem, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        if self.instance.pk is None:
            self.set_default_reason("Incident rule set via the web")


class MetricFeedForm(forms.Form):
    """Which gateway figure is measured into which metric, for one AI system or all of them.

    A feed belongs to its metric: editing one changes its figure and AI system, never its metric.
    """

    metric = forms.ModelChoiceField(
        queryset=None,
        empty_label="Choose a metric",
        help_text="Metrics whose source is “AI gateway” that no feed measures yet.",
        error_messages={
            "invalid_choice": "Choose a metric in use whose source is “AI gateway” and that no feed measures yet."
        },
    )
    figure = forms.ChoiceField(choices=[("", "Choose a figure"), *GatewayMetricFeed.Figure.choices])
    ai_system = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="AI system",
        empty_label="Every AI system of the management system",
    )

    def __init__(
        self, *args: Any, management_system: ManagementSystem, feed: GatewayMetricFeed | None = None, **kwargs: Any
    ) -> None:
        if feed is not None:
            kwargs.setdefault("initial", {"figure": feed.figure, "ai_system": feed.ai_system_id})
        super().__init__(*args, **kwargs)
        systems = AISystem.objects.filter(management_system=management_system).order_by("reference")
        self.fields["ai_system"].queryset = systems
        self.fields["ai_system"].label_from_instance = lambda system: f"{system.reference} {system.name}"
        if feed is not None:
            del self.fields["metric"]
            return
        taken = GatewayMetricFeed.objects.filter(management_system=management_system).values("metric_id")
        self.fields["metric"].queryset = selectors.gateway_metrics(management_system).exclude(pk__in=taken)
        self.fields["metric"].label_from_instance = lambda metric: f"{metric.reference} {metric.name}"
