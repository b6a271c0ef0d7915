"""Filters of the AI system register's lists, shared by the pages and the API list endpoints."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.utils import extend_schema_field

from aims.filters import ANY, MemberFilter, RecordChoiceFilter, RegisterFilterSet, SearchFilter, StatusFilter
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


def systems_matching(text: str) -> Q:
    """AI systems whose reference or name contains the text (case-insensitive)."""
    return Q(reference__icontains=text) | Q(name__icontains=text)


def systems_found(text: str) -> QuerySet[AISystem]:
    """The ids of the AI systems whose reference or name contains the text, as a subquery.

    Not limited to a management system: the rows it filters are, and a system of another
    management system links none of them.
    """
    return AISystem.objects.filter(systems_matching(text)).values("pk")


class SystemSearchFilter(django_filters.CharFilter):
    """``system_search``: rows linked to an AI system whose reference or name contains the text.

    A list's AI system filter as a text box, not a list of every AI system (an organisation has
    a thousand: a select of them all made each such page about 60 KB and 100 ms more). ``link`` is
    the rows' field to the AI systems: a foreign key is looked up, a many-to-many field is an
    ``Exists`` on its link table (never a join that repeats rows). The lists keep their filter by
    id (``system``, a hidden field) for links from an AI system's page and for the API. A list with
    its own rule gives ``method`` instead of ``link`` (django-filter then calls it with the text).
    """

    def __init__(self, link: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("label", "AI system")
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("widget", forms.SearchInput(attrs={"placeholder": "Name or ref."}))
        super().__init__(**kwargs)
        self.link = link
        extend_schema_field(
            {"type": "string", "description": "Text in the reference or name of a linked AI system (case-insensitive)."}
        )(self)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(linked_to_systems(qs.model, self.link, systems_found(value)))


def linked_to_systems(model: Any, link: str, systems: Any) -> Q | Exists:
    """The condition that a row of ``model`` links (through its field ``link``) one of ``systems``."""
    field = model._meta.get_field(link)
    if not field.many_to_many:
        return Q(**{f"{link}__in": systems})
    links = field.remote_field.through.objects.filter(
        **{field.m2m_field_name(): OuterRef("pk"), f"{field.m2m_reverse_field_name()}__in": systems}
    )
    return Exists(links)


class SystemFilter(RecordChoiceFilter):
    """``system``: rows linked (through their field ``link``) to one AI system, chosen by id.

    What links from an AI system's page and the API use; hidden on the page, which names the chosen
    system in a notice (``SystemSearchFilter`` is the page's box).
    """

    def __init__(self, link: str, **kwargs: Any) -> None:
        kwargs.setdefault("label", "AI system")
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(AISystem, **kwargs)
        self.link = link

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value in EMPTY_VALUES:
            return qs
        return qs.filter(linked_to_systems(qs.model, self.link, [value.pk]))
