"""Reads of management reviews; selectors own the joins and prefetches (constant queries whatever the rows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import django_filters
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet

from aims import access
from aims.filters import ANY, RegisterFilterSet, SearchFilter
from aims.models import ManagementSystem
from reviews.meetings.inputs import KINDS, InputKind, gather_all
from reviews.models import ManagementReview, ReviewAction, ReviewDecision, ReviewInput


def _actions() -> Prefetch:
    return Prefetch(
        "actions",
        queryset=ReviewAction.objects.select_related(
            "owner", "objective", "nonconformity", "document_version__document"
        ).order_by("reference"),
    )


def review_queryset(*, user: AbstractBaseUser) -> QuerySet[ManagementReview]:
    """Reviews the user may read, with chair, attendees, inputs, decisions and actions."""
    base = ManagementReview.objects.select_related("management_system", "chair", "inputs_frozen_by")
    return access.scope(user, base).prefetch_related(
        "attendees",
        Prefetch("inputs", queryset=ReviewInput.objects.order_by("position", "pk")),
        Prefetch("decisions", queryset=ReviewDecision.objects.order_by("pk")),
        _actions(),
    )


def review_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[ManagementReview]:
    """Reviews of a management system, newest first (``ReviewFilterSet`` filters them)."""
    return (
        access.scope(user, ManagementReview.objects.select_related("management_system", "chair"))
        .filter(management_system=management_system)
        .annotate(open_actions=Count("actions", filter=Q(actions__status=ReviewAction.Status.OPEN)))
        .order_by("-planned_on", "-pk")
    )


class ReviewFilterSet(RegisterFilterSet):
    """Management reviews: search, status (the list page and the API list)."""

    q = SearchFilter("title", "reference", "summary")
    status = django_filters.ChoiceFilter(label="Status", choices=ManagementReview.Status.choices, empty_label=ANY)

    class Meta:
        model = ManagementReview
        fields: list[str] = []


def history_of(obj: Any) -> QuerySet:
    """Every version of a record, newest first, with who made it."""
    return obj.history.select_related("history_user").order_by("-history_date", "-history_id")


def children_history(review: ManagementReview) -> dict[str, QuerySet]:
    """The versions of the review's inputs, decisions and actions (decisions removed since included)."""
    return {
        "inputs": ReviewInput.history.filter(review_id=review.pk).select_related("history_user")
        .order_by("-history_date", "-history_id"),
        "decisions": ReviewDecision.history.filter(review_id=review.pk).select_related("history_user")
        .order_by("-history_date", "-history_id"),
        "actions": ReviewAction.history.filter(review_id=review.pk).select_related("history_user")
        .order_by("-history_date", "-history_id"),
    }  # fmt: skip


@dataclass
class InputView:
    """An input as the page shows it: its kind, and its frozen snapshot or the live gathering."""

    row: ReviewInput
    kind: InputKind | None
    content: dict[str, Any]
    frozen: bool

    @property
    def label(self) -> str:
        return self.kind.label if self.kind else self.row.key

    @property
    def title(self) -> str:
        return self.kind.title if self.kind else self.row.key

    @property
    def required(self) -> bool:
        return bool(self.kind and self.kind.required)


def inputs_of(review: ManagementReview) -> list[InputView]:
    """The review's inputs: frozen snapshots once frozen, else gathered from the registers now."""
    rows = list(review.inputs.all())
    if review.is_frozen:
        return [InputView(r, KINDS.get(r.key), r.content or {}, True) for r in rows]
    _since, live = gather_all(review)
    return [InputView(r, KINDS.get(r.key), live.get(r.key, {}), False) for r in rows]
