"""Filters of the nonconformity register and the corrective actions, shared by the pages and the API lists."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from aims.filters import (
    ANY,
    MemberFilter,
    RecordChoiceFilter,
    RegisterFilterSet,
    SearchFilter,
    StatusFilter,
    YesNoFilter,
)
from improvement.models import CorrectiveAction, Nonconformity
from improvement.nonconformities.selectors import action_overdue, nc_is_open, nc_overdue
from registers.filters import SystemFilter, SystemSearchFilter


class NonconformityStatusFilter(StatusFilter):
    """``status``: open nonconformities unless asked for ``closed`` ones (closed or withdrawn), or ``all``."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value == "all":
            return qs
        return qs.exclude(nc_is_open()) if value == "closed" else qs.filter(nc_is_open())


class NonconformityFilterSet(RegisterFilterSet):
    """The nonconformity register: search, state, grade, source, overdue, AI system, owner; open or closed."""

    q = SearchFilter("title", "reference", "nature")
    state = django_filters.ChoiceFilter(label="State", choices=Nonconformity.State.choices, empty_label=ANY)
    grade = django_filters.ChoiceFilter(label="Grade", choices=Nonconformity.Grade.choices, empty_label=ANY)
    source = django_filters.ChoiceFilter(label="Source", choices=Nonconformity.Source.choices, empty_label=ANY)
    overdue = YesNoFilter(nc_overdue, label="Overdue action or review")
    system_search = SystemSearchFilter("ai_systems")
    # An AI system by id (links from its page, and the API); the page names it in a notice, not a list.
    system = SystemFilter("ai_systems")
    owner = MemberFilter(label="Owner")
    status = NonconformityStatusFilter()


class CorrectiveActionFilterSet(RegisterFilterSet):
    """Corrective actions: search, status, owner, overdue, nonconformity."""

    q = SearchFilter("description", "reference", "nonconformity__reference")
    status = django_filters.ChoiceFilter(label="Status", choices=CorrectiveAction.Status.choices, empty_label=ANY)
    owner = MemberFilter(label="Owner")
    overdue = YesNoFilter(action_overdue, label="Overdue")
    nonconformity = RecordChoiceFilter(Nonconformity, label="Nonconformity")
