"""Reads of nonconformities, corrective actions and effectiveness reviews; selectors own the joins and prefetches."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from aims import access
from aims.models import ManagementSystem
from controls.models import Applicability
from improvement.models import CorrectiveAction, EffectivenessReview, Nonconformity

State = Nonconformity.State


# --- what is overdue -------------------------------------------------------------------------


def action_overdue() -> Q:
    """Corrective actions still open after their due date."""
    return Q(status__in=CorrectiveAction.OPEN, due_date__lt=timezone.localdate())


def review_overdue() -> Q:
    """Effectiveness reviews not performed by their planned date."""
    return Q(result=EffectivenessReview.Result.PENDING, planned_on__lt=timezone.localdate())


def nc_overdue() -> Q:
    """Nonconformities with an overdue corrective action or effectiveness review."""
    actions = CorrectiveAction.objects.filter(action_overdue(), nonconformity=OuterRef("pk"))
    reviews = EffectivenessReview.objects.filter(review_overdue(), nonconformity=OuterRef("pk"))
    return Q(Exists(actions)) | Q(Exists(reviews))


def nc_is_open() -> Q:
    """Nonconformities neither closed nor withdrawn."""
    return Q(retired_at__isnull=True) & ~Q(state=State.CLOSED)


def _with_flags(queryset: QuerySet[Nonconformity]) -> QuerySet[Nonconformity]:
    actions = CorrectiveAction.objects.filter(action_overdue(), nonconformity=OuterRef("pk"))
    reviews = EffectivenessReview.objects.filter(review_overdue(), nonconformity=OuterRef("pk"))
    return queryset.annotate(has_overdue_action=Exists(actions), has_overdue_review=Exists(reviews))


# --- nonconformities -----------------------------------------------------------------------


def _actions() -> Prefetch:
    return Prefetch("actions", queryset=CorrectiveAction.objects.select_related("owner").order_by("reference"))


def _reviews() -> Prefetch:
    return Prefetch("reviews", queryset=EffectivenessReview.objects.select_related("reviewer").order_by("pk"))


def nc_queryset(*, user: AbstractBaseUser) -> QuerySet[Nonconformity]:
    """Nonconformities the user may read, with everything a detail page or the API shows (constant queries)."""
    base = Nonconformity.objects.select_related("owner", "management_system", "source_incident", "finding")
    return _with_flags(access.scope(user, base)).prefetch_related(
        "requirements",
        "ai_systems",
        "risks_reassessed",
        Prefetch("soa_changes", queryset=_soa_rows()),
        "impact_assessments",
        _actions(),
        _reviews(),
    )


def _soa_rows() -> QuerySet:
    return Applicability.objects.select_related("control")


def nc_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[Nonconformity]:
    """Nonconformities of a management system the user may read (``NonconformityFilterSet`` filters them)."""
    base = Nonconformity.objects.filter(management_system=management_system).select_related("owner")
    return (
        _with_flags(access.scope(user, base))
        .prefetch_related("requirements", "ai_systems", _actions())
        .order_by("-reference")
    )


def history_of(obj: Any) -> QuerySet:
    """Every version of a record, newest first, with who made it."""
    return obj.history.select_related("history_user").order_by("-history_date", "-history_id")


def action_history(nc: Nonconformity) -> QuerySet:
    """Every change to a nonconformity's corrective actions, newest first."""
    return (
        CorrectiveAction.history.filter(nonconformity_id=nc.pk)
        .select_related("history_user", "owner")
        .order_by("-history_date", "-history_id")
    )


def review_history(nc: Nonconformity) -> QuerySet:
    """Every change to a nonconformity's effectiveness reviews, newest first."""
    return (
        EffectivenessReview.history.filter(nonconformity_id=nc.pk)
        .select_related("history_user", "reviewer")
        .order_by("-history_date", "-history_id")
    )


def nc_as_of(nc: Nonconformity, moment: Any) -> Any:
    """The nonconformity as it stood at a past moment (its history row), or None before it existed."""
    row = nc.history.filter(history_date__lte=moment).order_by("-history_date", "-history_id").first()
    return None if row is None or row.history_type == "-" else row


# --- corrective actions --------------------------------------------------------------------


def action_queryset(*, user: AbstractBaseUser) -> QuerySet[CorrectiveAction]:
    """Corrective actions the user may read, with their nonconformity and owner."""
    return access.scope(user, CorrectiveAction.objects.select_related("nonconformity", "owner", "management_system"))


def action_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[CorrectiveAction]:
    """Corrective actions of a management system (``CorrectiveActionFilterSet`` filters them), soonest due first."""
    return (
        access.scope(user, CorrectiveAction.objects.select_related("nonconformity", "owner"))
        .filter(management_system=management_system)
        .order_by("status", "due_date", "reference")
    )


def review_in(nc: Nonconformity, review_id: Any) -> EffectivenessReview | None:
    """One effectiveness review of the nonconformity, or None."""
    try:
        return nc.reviews.select_related("reviewer", "nonconformity").get(pk=int(review_id))
    except (EffectivenessReview.DoesNotExist, TypeError, ValueError):
        return None


# --- the overview panel --------------------------------------------------------------------


def overview_summary(*, user: AbstractBaseUser, management_system: ManagementSystem) -> dict[str, Any]:
    """Open nonconformities by grade, and the overdue actions and reviews (three queries)."""
    grades = Counter(
        access.scope(user, Nonconformity.objects.filter(nc_is_open(), management_system=management_system)).values_list(
            "grade", flat=True
        )
    )
    overdue_actions = list(
        access.scope(user, CorrectiveAction.objects.filter(action_overdue(), management_system=management_system))
        .filter(nonconformity__retired_at__isnull=True)
        .select_related("nonconformity", "owner")
        .order_by("due_date", "reference")
    )
    overdue_reviews = (
        EffectivenessReview.objects.filter(review_overdue(), nonconformity__management_system=management_system)
        .filter(nonconformity__retired_at__isnull=True)
        .count()
    )
    return {
        "grades": [(value, label, grades.get(value, 0)) for value, label in Nonconformity.Grade.choices],
        "open": sum(grades.values()),
        "overdue_actions": overdue_actions[:5],
        "overdue_action_count": len(overdue_actions),
        "overdue_review_count": overdue_reviews,
    }
