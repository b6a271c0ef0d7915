"""Filters of context issues, interested parties and the legal register, shared by the pages and the API lists."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet

from aims.filters import ANY, RecordChoiceFilter, RegisterFilterSet, SearchFilter, StatusFilter, YesNoFilter
from governance.context.selectors import issue_review_overdue, requirement_applies_to
from governance.models import ContextIssue, InterestedParty, Requirement
from registers.filters import SystemSearchFilter, systems_found
from registers.models import AISystem


class ContextIssueFilterSet(RegisterFilterSet):
    """Context issues: search, internal or external, category, review overdue; current or retired."""

    q = SearchFilter("title", "reference", "description", "effect")
    origin = django_filters.ChoiceFilter(
        label="Internal or external", choices=ContextIssue.Origin.choices, empty_label=ANY
    )
    category = django_filters.ChoiceFilter(label="Category", choices=ContextIssue.Category.choices, empty_label=ANY)
    review_overdue = YesNoFilter(issue_review_overdue, label="Review overdue")
    status = StatusFilter()


class InterestedPartyFilterSet(RegisterFilterSet):
    """Interested parties: search and kind; current or retired."""

    q = SearchFilter("name", "reference", "description")
    kind = django_filters.ChoiceFilter(label="Kind", choices=InterestedParty.Kind.choices, empty_label=ANY)
    status = StatusFilter()


class RequirementFilterSet(RegisterFilterSet):
    """The legal and regulatory register: search, type, addressed, AI system, jurisdiction, party; current or retired."""

    q = SearchFilter("title", "reference", "source_reference", "how_addressed")
    requirement_type = django_filters.ChoiceFilter(label="Type", choices=Requirement.Type.choices, empty_label=ANY)
    addressed = django_filters.ChoiceFilter(label="Addressed", choices=Requirement.Addressed.choices, empty_label=ANY)
    system_search = SystemSearchFilter(method="filter_system_search")
    # An AI system by id (links from its page, and the API); the page names it in a notice, not a list.
    system = RecordChoiceFilter(AISystem, label="AI system", method="filter_system", widget=forms.HiddenInput)
    jurisdiction = django_filters.CharFilter(label="Jurisdiction", lookup_expr="icontains", max_length=100)
    party = RecordChoiceFilter(InterestedParty, label="Interested party")
    status = StatusFilter()

    def filter_system(self, queryset: QuerySet[Requirement], name: str, value: AISystem) -> QuerySet[Requirement]:
        """Requirements linked to the system, and those linked to none (they apply to every AI system)."""
        return queryset.filter(requirement_applies_to(value))

    def filter_system_search(self, queryset: QuerySet[Requirement], name: str, value: str) -> QuerySet[Requirement]:
        """Requirements linked to an AI system whose reference or name holds the text, and those linked to none."""
        text = value.strip()
        return queryset.filter(requirement_applies_to(systems_found(text))) if text else queryset
