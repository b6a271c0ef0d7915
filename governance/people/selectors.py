"""Reads of the people family."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from aims import access
from aims.models import ManagementSystem
from governance.models import (
    AimsRole,
    CommunicationPlanItem,
    CommunicationRecord,
    Competence,
    CompetenceRecord,
    Person,
    RoleAssignment,
)
from governance.people import matrix
from governance.people.matrix import Gap
from registers.models import AISystem


def holds_aims_role(
    user: AbstractBaseUser, management_system: ManagementSystem, key: str, on: date | None = None
) -> bool:
    """Whether the user's person holds the AIMS role ``key`` in the management system on the day (today)."""
    if not getattr(user, "is_authenticated", False):
        return False
    day = on or timezone.localdate()
    return (
        RoleAssignment.objects.filter(
            management_system=management_system,
            role__key=key,
            role__retired_at__isnull=True,
            person__account=user,
            person__retired_at__isnull=True,
            starts_on__lte=day,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .exists()
    )


def person_for_user(user: AbstractBaseUser, management_system: ManagementSystem) -> Person | None:
    """The person (not left) linked to the user's account in the management system, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(management_system=management_system, account=user, retired_at__isnull=True).first()


def current() -> Q:
    """Assignments running today."""
    day = timezone.localdate()
    return Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))


def history_of(obj: Any) -> QuerySet:
    """Every version of a record, newest first, with who made it."""
    return obj.history.select_related("history_user").order_by("-history_date", "-history_id")


# --- querysets of the registers (pages and API) ---------------------------------------------------


def _systems() -> Prefetch:
    return Prefetch("ai_systems", queryset=AISystem.objects.order_by("reference"))


def person_queryset(*, user: AbstractBaseUser) -> QuerySet[Person]:
    """People the user may read, with their account."""
    return access.scope(user, Person.objects.select_related("management_system", "account"))


def role_queryset(*, user: AbstractBaseUser) -> QuerySet[AimsRole]:
    """AIMS roles the user may read, with their line of reporting and required competences."""
    competences = Prefetch("required_competences", queryset=Competence.objects.order_by("name"))
    return access.scope(user, AimsRole.objects.select_related("management_system", "reports_to")).prefetch_related(
        competences
    )


def assignment_queryset(*, user: AbstractBaseUser) -> QuerySet[RoleAssignment]:
    """Role assignments the user may read, with person, role, appointer and AI systems."""
    base = RoleAssignment.objects.select_related("management_system", "person", "role", "appointed_by")
    return access.scope(user, base).prefetch_related(_systems())


def competence_queryset(*, user: AbstractBaseUser) -> QuerySet[Competence]:
    """Competences the user may read, with the roles requiring them."""
    roles = Prefetch("roles", queryset=AimsRole.objects.order_by("reference"))
    return access.scope(user, Competence.objects.select_related("management_system")).prefetch_related(roles)


def record_queryset(*, user: AbstractBaseUser) -> QuerySet[CompetenceRecord]:
    """Competence records the user may read, with person and competence."""
    return access.scope(user, CompetenceRecord.objects.select_related("management_system", "person", "competence"))


def plan_queryset(*, user: AbstractBaseUser) -> QuerySet[CommunicationPlanItem]:
    """Communication plan items the user may read, with who communicates."""
    return access.scope(user, CommunicationPlanItem.objects.select_related("management_system", "communicator"))


def communication_queryset(*, user: AbstractBaseUser) -> QuerySet[CommunicationRecord]:
    """Communication records the user may read, with plan item, communicator and who acknowledged."""
    acknowledged = Prefetch("acknowledged_by", queryset=Person.objects.order_by("name"))
    base = CommunicationRecord.objects.select_related("management_system", "plan_item", "communicator")
    return access.scope(user, base).prefetch_related(acknowledged)


def in_system(queryset: QuerySet, management_system: ManagementSystem) -> QuerySet:
    """The rows of one management system."""
    return queryset.filter(management_system=management_system)


# --- what the detail pages add ---------------------------------------------------------------------


def holders_of(role: AimsRole) -> list[RoleAssignment]:
    """The current assignments of a role, with person and AI systems."""
    return list(
        role.assignments.filter(current(), person__retired_at__isnull=True)
        .select_related("person")
        .prefetch_related(_systems())
        .order_by("person__name")
    )


def assignments_of(person: Person) -> list[RoleAssignment]:
    """Every assignment of a person, current first, with role and AI systems."""
    return list(
        person.assignments.select_related("role").prefetch_related(_systems()).order_by("-starts_on", "reference")
    )


def records_of(person: Person) -> list[CompetenceRecord]:
    """A person's competence records, newest first."""
    return list(person.competence_records.select_related("competence").order_by("-achieved_on", "reference"))


def records_of_plan_item(item: CommunicationPlanItem) -> list[CommunicationRecord]:
    """The communications delivered for a plan item, newest first."""
    return list(item.records.order_by("-delivered_on", "-reference"))


# --- the competence gaps and the responsibility matrix ---------------------------------------------


def competence_gaps(management_system: ManagementSystem, on: date | None = None) -> list[Gap]:
    """Current assignments' required competences minus the holders' valid records (four queries)."""
    day = on or timezone.localdate()
    assignments = list(
        RoleAssignment.objects.filter(management_system=management_system, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .select_related("person", "role")
    )
    role_ids = {a.role_id for a in assignments}
    required: dict[int, list[int]] = {}
    competences: dict[int, Competence] = {}
    links = AimsRole.required_competences.through.objects.filter(aimsrole_id__in=role_ids).select_related("competence")
    for link in links:
        required.setdefault(link.aimsrole_id, []).append(link.competence_id)
        competences[link.competence_id] = link.competence
    records = CompetenceRecord.objects.filter(
        management_system=management_system, person_id__in={a.person_id for a in assignments}
    )
    return matrix.competence_gaps(
        assignments,
        people={a.person_id: a.person for a in assignments},
        roles={a.role_id: a.role for a in assignments},
        competences=competences,
        required=required,
        records=records,
        day=day,
    )


def responsibility_matrix(management_system: ManagementSystem, on: date | None = None) -> matrix.Matrix:
    """People x roles with the AI systems of their current assignments (three queries)."""
    day = on or timezone.localdate()
    roles = list(AimsRole.objects.filter(management_system=management_system, retired_at__isnull=True))
    assignments = list(
        RoleAssignment.objects.filter(management_system=management_system, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .select_related("person")
        .prefetch_related(_systems())
    )
    return matrix.responsibility_matrix(
        assignments,
        people={a.person_id: a.person for a in assignments},
        roles=roles,
        systems_of={a.id: list(a.ai_systems.all()) for a in assignments},
        day=day,
    )
