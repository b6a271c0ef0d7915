"""Filters of the AI system register's lists, shared by the pages and the API list endpoints."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from aims.filters import ANY, MemberFilter, RegisterFilterSet, SearchFilter, StatusFilter
from registers.models import AISystem


class AISystemFilterSet(RegisterFilterSet):
    """The AI system inventory: search, lifecycle stage, EU AI Act risk class, scope and owner."""

    q = SearchFilter("name", "reference", "purpose")
    lifecycle_stage = django_filters.ChoiceFilter(
        label="Lifecycle stage", choices=AISystem.LifecycleStage.choices, empty_label=ANY
    )
    eu_ai_act_risk_class = django_filters.ChoiceFilter(
        label="EU AI Act risk class", choices=AISystem.RiskClass.choices, empty_label=ANY
    )
    in_scope = django_filters.ChoiceFilter(
        label="In scope",
        choices=[("true", "In scope"), ("false", "Out of scope")],
        empty_label=ANY,
        method="filter_in_scope",
    )
    owner = MemberFilter(label="Owner")
    status = StatusFilter()

    def filter_in_scope(self, queryset: QuerySet[AISystem], name: str, value: str) -> QuerySet[AISystem]:
        return queryset.filter(in_scope=value == "true")


class RecordFilterSet(RegisterFilterSet):
    """Model records, dataset records and suppliers: search by name or reference."""

    q = SearchFilter("name", "reference")
    status = StatusFilter()
