"""Filters of the objectives, metrics and measurements lists, shared by the pages and the API lists."""

from __future__ import annotations

import django_filters

from aims.filters import ANY, RecordChoiceFilter, RegisterFilterSet, SearchFilter, StatusFilter
from governance.models import Measurement, Metric, Objective


class ObjectiveFilterSet(RegisterFilterSet):
    """Objectives: search, status of progress, metric; open (the default) or withdrawn."""

    q = SearchFilter("title", "reference", "statement", "target")
    progress = django_filters.ChoiceFilter(
        field_name="status", label="Progress", choices=Objective.Status.choices, empty_label=ANY
    )
    metric = RecordChoiceFilter(Metric, label="Metric")
    status = StatusFilter()


class MetricFilterSet(RegisterFilterSet):
    """Metrics: search, cadence, source; open (the default) or retired."""

    q = SearchFilter("name", "reference", "measured")
    cadence = django_filters.ChoiceFilter(label="Cadence", choices=Metric.Cadence.choices, empty_label=ANY)
    source = django_filters.ChoiceFilter(label="Source", choices=Metric.Source.choices, empty_label=ANY)
    status = StatusFilter()


class MeasurementFilterSet(RegisterFilterSet):
    """Measurements: of one metric, in a range of periods."""

    metric = RecordChoiceFilter(Metric, label="Metric")
    period_from = django_filters.DateFilter(field_name="period", lookup_expr="gte", label="Periods from")
    period_to = django_filters.DateFilter(field_name="period", lookup_expr="lte", label="Periods to")

    class Meta:
        model = Measurement
        fields: list[str] = []
