"""The event log's filters: one FilterSet shared by the page and ``/api/v1/gateway-events/``."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from aims.filters import ANY, RecordChoiceFilter, RegisterFilterSet
from gateway.models import GatewayEvent, GatewayKey
from registers.filters import SystemSearchFilter
from registers.models import AISystem


class _DateTimeInput(forms.DateTimeInput):
    """A browser's date-and-time picker; the API takes ISO 8601 (with a zone, or in the site's)."""

    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class GatewayEventFilterSet(RegisterFilterSet):
    """Narrow the event log by AI system, type, time, decision or key."""

    system_search = SystemSearchFilter("ai_system")
    # An AI system by id (links from its Gateway tab, and the API); the page names it in a notice, not a list.
    ai_system = RecordChoiceFilter(AISystem, label="AI system", widget=forms.HiddenInput)
    type = django_filters.ChoiceFilter(choices=GatewayEvent.Type.choices, empty_label=ANY, label="Type")
    occurred_after = django_filters.DateTimeFilter(
        field_name="occurred_at", lookup_expr="gte", label="From", widget=_DateTimeInput()
    )
    occurred_before = django_filters.DateTimeFilter(
        field_name="occurred_at", lookup_expr="lt", label="Before", widget=_DateTimeInput()
    )
    decision = django_filters.CharFilter(label="Decision", max_length=40)
    key = RecordChoiceFilter(GatewayKey, label="Gateway key", method="filter_key")

    class Meta:
        model = GatewayEvent
        fields: list[str] = []

    def filter_key(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        # Events keep the key's id, not a foreign key: the ledger outlives any key row.
        return queryset.filter(key_id=value.pk) if value else queryset
