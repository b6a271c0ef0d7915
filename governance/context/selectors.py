"""Reads of context issues, interested parties and requirements; selectors own the joins and prefetches."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from aims import access
from aims.models import ManagementSystem
from governance.models import ContextIssue, InterestedParty, Requirement
from registers.models import AISystem

Addressed = Requirement.Addressed


def issue_review_overdue() -> Q:
    """Current context issues whose review date has passed."""
    return Q(retired_at__isnull=True, review_on__lt=timezone.localdate())


def requirement_applies_to(system: AISystem | QuerySet | Any) -> Q:
    """Requirements that apply to an AI system: linked to it, or to no system at all (they apply to every one).

    ``system`` may be a queryset of AI system ids: requirements that apply to any of them.
    """
    linked = Requirement.ai_systems.through.objects.filter(requirement=OuterRef("pk"))
    mine = linked.filter(aisystem__in=system) if isinstance(system, QuerySet) else linked.filter(aisystem=system)
    return Q(Exists(mine)) | ~Q(Exists(linked))


def _with_overdue(queryset: QuerySet[ContextIssue]) -> QuerySet[ContextIssue]:
    overdue = Q(retired_at__isnull=True, review_on__isnull=False, review_on__lt=timezone.localdate())
    return queryset.annotate(review_overdue=ExpressionWrapper(overdue, output_field=BooleanField()))


# --- context issues ------------------------------------------------------------------------------


def issue_queryset(*, user: AbstractBaseUser) -> QuerySet[ContextIssue]:
    """Context issues the user may read, with their linked risks (the detail page and the API)."""
    base = ContextIssue.objects.select_related("management_system")
    return _with_overdue(access.scope(user, base)).prefetch_related("risks")


def issue_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[ContextIssue]:
    """Context issues of a management system (``ContextIssueFilterSet`` filters them), external first."""
    base = ContextIssue.objects.filter(management_system=management_system)
    return _with_overdue(access.scope(user, base)).prefetch_related("risks").order_by("origin", "category", "reference")


# --- interested parties --------------------------------------------------------------------------


def _requirement_counts(queryset: QuerySet[InterestedParty]) -> QuerySet[InterestedParty]:
    current = Q(requirements__retired_at__isnull=True)
    return queryset.annotate(
        requirement_count=Count("requirements", filter=current),
        not_addressed_count=Count("requirements", filter=current & Q(requirements__addressed=Addressed.NO)),
    )


def _requirements() -> Prefetch:
    rows = Requirement.objects.filter(retired_at__isnull=True).prefetch_related("ai_systems").order_by("reference")
    return Prefetch("requirements", queryset=rows, to_attr="current_requirements")


def party_queryset(*, user: AbstractBaseUser) -> QuerySet[InterestedParty]:
    """Interested parties the user may read, with their current requirements."""
    base = InterestedParty.objects.select_related("management_system")
    return _requirement_counts(access.scope(user, base)).prefetch_related(_requirements())


def party_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[InterestedParty]:
    """Interested parties of a management system with how many requirements each has, and how many are not addressed."""
    base = InterestedParty.objects.filter(management_system=management_system)
    return _requirement_counts(access.scope(user, base)).order_by("kind", "name", "reference")


# --- requirements (the legal and regulatory register) -------------------------------------------


def requirement_queryset(*, user: AbstractBaseUser) -> QuerySet[Requirement]:
    """Requirements the user may read, with their party and every link (detail page, API, legal register)."""
    base = Requirement.objects.select_related("party", "management_system")
    return access.scope(user, base).prefetch_related("ai_systems", "controls", "documents", "risks")


def legal_register(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[Requirement]:
    """The legal and regulatory register of a management system (``RequirementFilterSet`` filters it)."""
    return (
        requirement_queryset(user=user)
        .filter(management_system=management_system)
        .order_by("requirement_type", "source_reference", "reference")
    )


def history_of(obj: Any) -> QuerySet:
    """Every version of a record, newest first, with who made it."""
    return obj.history.select_related("history_user").order_by("-history_date", "-history_id")


def register_summary(*, user: AbstractBaseUser, management_system: ManagementSystem) -> dict[str, int]:
    """How many current requirements are addressed, partly, not, or not applicable (one query)."""
    rows = (
        access.scope(user, Requirement.objects.filter(management_system=management_system, retired_at__isnull=True))
        .values("addressed")
        .annotate(n=Count("pk"))
    )
    counts = {row["addressed"]: row["n"] for row in rows}
    return {value: counts.get(value, 0) for value in Addressed.values}
