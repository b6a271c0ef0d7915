"""Filters of the people family's lists, shared by the pages and the API list endpoints."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from aims.filters import (
    ANY,
    FlagFilter,
    RecordChoiceFilter,
    RegisterFilterSet,
    SearchFilter,
    StatusFilter,
    YesNoFilter,
)
from governance.models import (
    AimsRole,
    CommunicationPlanItem,
    Competence,
    CompetenceRecord,
    Person,
    RoleAssignment,
)
from registers.filters import SystemFilter, SystemSearchFilter


def _current() -> Q:
    day = timezone.localdate()
    return Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))


def _expired() -> Q:
    return Q(expires_on__lt=timezone.localdate())


def _has_account() -> Q:
    return Q(account__isnull=False)


class PeopleFilterSet(RegisterFilterSet):
    """What the family's filter sets share: a flag filter that narrows to rows where a field is true."""

    def only_true(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(**{name: True}) if value else queryset


class PersonFilterSet(PeopleFilterSet):
    """People: search, role held now, with an account; current or left."""

    q = SearchFilter("name", "reference", "job_title", "department", "email")
    role = RecordChoiceFilter(AimsRole, label="Holds role", method="filter_role")
    has_account = YesNoFilter(_has_account, label="Logs in")
    status = StatusFilter()

    def filter_role(self, queryset: QuerySet[Person], name: str, value: AimsRole) -> QuerySet[Person]:
        held = RoleAssignment.objects.filter(_current(), person=OuterRef("pk"), role=value)
        return queryset.filter(Exists(held))


class RoleFilterSet(PeopleFilterSet):
    """AIMS roles: search, mandatory; open or retired."""

    q = SearchFilter("name", "reference", "responsibilities", "authorities")
    mandatory = FlagFilter(
        label="Mandatory only", method="only_true", description="Only the roles the AIMS needs someone in."
    )
    status = StatusFilter()


class AssignmentFilterSet(PeopleFilterSet):
    """Role assignments: role, person, AI system, current or not."""

    q = SearchFilter("reference", "person__name", "role__name", "note")
    role = RecordChoiceFilter(AimsRole, label="Role")
    person = RecordChoiceFilter(Person, label="Person")
    system_search = SystemSearchFilter("ai_systems")
    # An AI system by id (links from its page, and the API); the page names it in a notice, not a list.
    system = SystemFilter("ai_systems")
    current = YesNoFilter(_current, label="Current")


class CompetenceFilterSet(PeopleFilterSet):
    """Competences: search; open or retired."""

    q = SearchFilter("name", "reference", "description")
    status = StatusFilter()


class CompetenceRecordFilterSet(PeopleFilterSet):
    """Competence records: person, competence, basis, expired; open or withdrawn."""

    q = SearchFilter("reference", "person__name", "competence__name", "note")
    person = RecordChoiceFilter(Person, label="Person")
    competence = RecordChoiceFilter(Competence, label="Competence")
    basis = django_filters.ChoiceFilter(label="Basis", choices=CompetenceRecord.Basis.choices, empty_label=ANY)
    expired = YesNoFilter(_expired, label="Expired")
    status = StatusFilter()


class PlanItemFilterSet(PeopleFilterSet):
    """The communication plan: search, AI literacy; open or retired."""

    q = SearchFilter("subject", "reference", "audience", "channel", "timing")
    ai_literacy = FlagFilter(label="AI literacy only", method="only_true", description="Only AI literacy items.")
    status = StatusFilter()


class CommunicationFilterSet(PeopleFilterSet):
    """Communication records: search, plan item, AI literacy training; open or withdrawn."""

    q = SearchFilter("reference", "audience", "summary")
    plan_item = RecordChoiceFilter(CommunicationPlanItem, label="Plan item")
    ai_literacy = FlagFilter(
        label="AI literacy training only", method="only_true", description="Only AI literacy training records."
    )
    status = StatusFilter()
