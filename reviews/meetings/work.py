"""What management reviews put in "my work" (``aims.work``): minutes to sign, actions I own, reviews I chair.

Three queries whatever the number of reviews, reading one management system only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from aims import access
from aims.access import Action
from aims.work import ACTION, REVIEW, SIGNATURE, WorkItem, register_work_provider
from reviews.models import ManagementReview, ReviewAction

Status = ManagementReview.Status


def _url(ms_id: int, pk: int, anchor: str = "") -> str:
    return reverse("reviews:review_detail", args=[ms_id, pk]) + (f"#{anchor}" if anchor else "")


def _chaired(user: Any, management_system: Any) -> list[ManagementReview]:
    return list(
        ManagementReview.objects.filter(management_system=management_system, chair__account=user)
        .exclude(status=Status.MINUTES_SIGNED)
        .order_by("planned_on", "pk")
    )


def review_work(user: Any, management_system: Any, today: date) -> list[WorkItem]:
    """Minutes waiting for my signature (I chair, inputs frozen or held, not signed) and reviews I chair that are planned."""
    items = []
    may_sign = access.can(user, Action.SIGN_OFF, management_system)
    for review in _chaired(user, management_system):
        if review.status == Status.PLANNED:
            items.append(WorkItem(
                key=f"management_review:{review.reference}", kind=REVIEW,
                title=f"Chair the management review {review.reference} {review.title}",
                url=_url(management_system.pk, review.pk), due=review.planned_on,
                detail="Freeze its inputs before the meeting.",
            ))  # fmt: skip
        elif may_sign:
            items.append(WorkItem(
                key=f"management_review_minutes:{review.reference}:{review.version}", kind=SIGNATURE,
                title=f"Sign the minutes of {review.reference} {review.title}",
                url=_url(management_system.pk, review.pk), due=review.held_on,
            ))  # fmt: skip
    return items


def action_work(user: Any, management_system: Any, today: date) -> list[WorkItem]:
    """Open actions of management reviews that I own."""
    actions = ReviewAction.objects.filter(
        management_system=management_system, owner=user, status=ReviewAction.Status.OPEN
    ).select_related("review")
    return [
        WorkItem(
            key=f"management_review_action:{a.reference}",
            kind=ACTION,
            title=f"{a.reference} {a.title}",
            url=_url(management_system.pk, a.review_id, "actions"),
            due=a.due_on,
            detail=f"Decided by the management review {a.review.reference}.",
        )  # fmt: skip
        for a in actions.order_by("due_on", "reference")
    ]


def register() -> None:
    register_work_provider("management_review", review_work, order=40)
    register_work_provider("management_review_action", action_work, order=41)
