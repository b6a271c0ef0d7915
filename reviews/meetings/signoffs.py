"""The chair signs the minutes of a management review (kind ``management_review_minutes``, see ``aims.ledger``).

What is signed: the review's own version (chair, attendees, dates, summary and the digest over
its frozen inputs), each input with its snapshot, digest, notes and "discussed" mark, each
decision, and each action as decided. Following an action up afterwards (done, cancelled) is a
workflow version that is not part of what was signed, and neither is the review becoming
"minutes signed": so the minutes do not show "changed since signed" for either.

Who signs: only the chair's own account (the ``Person`` the review names as chair), with the
sign-off right (leadership or an owner) and a second factor. Held is a step of its own: the
minutes are signed once the review was recorded as held.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from aims import access, ledger
from aims.access import Action
from governance.models import AimsRole, RoleAssignment
from reviews.meetings.inputs import KINDS
from reviews.models import ManagementReview, ReviewAction, ReviewDecision, ReviewInput

MINUTES = "management_review_minutes"


def _content_row(rows: list[Any], is_transition: Callable[[Any, Any], bool]) -> Any:
    """The newest of rows (oldest first) that is not a workflow transition."""
    for index in range(len(rows) - 1, 0, -1):
        if not is_transition(rows[index - 1], rows[index]):
            return rows[index]
    return rows[0] if rows else None


def _review_transition(before: Any, after: Any) -> bool:
    return after.status == ManagementReview.Status.MINUTES_SIGNED and before.status != after.status


def _action_transition(before: Any, after: Any) -> bool:
    return before.status != after.status


def _rows_by_record(model: type, ids: list[int]) -> dict[int, list[Any]]:
    by_record: dict[int, list[Any]] = defaultdict(list)
    if ids:
        for row in model.history.filter(id__in=ids).order_by("id", "history_id"):
            by_record[row.id].append(row)
    return by_record


def minutes_versions(review: ManagementReview) -> list[Any]:
    """The review as decided, its inputs and decisions as they stand, and its actions as decided."""
    own = _content_row(list(review.history.order_by("history_id")), _review_transition)
    rows = [own] if own is not None else []
    for model, related in ((ReviewInput, "inputs"), (ReviewDecision, "decisions")):
        ids = list(getattr(review, related).values_list("pk", flat=True))
        rows += [history[-1] for _pk, history in sorted(_rows_by_record(model, ids).items())]
    action_ids = list(review.actions.values_list("pk", flat=True))
    for _pk, history in sorted(_rows_by_record(ReviewAction, action_ids).items()):
        rows.append(_content_row(history, _action_transition))
    return rows


def top_management_ids(management_system_id: int, person_ids: list[int], on: date | None = None) -> set[int]:
    """Which of the people hold the top-management AIMS role on the day (today): one query."""
    day = on or timezone.localdate()
    return set(
        RoleAssignment.objects.filter(
            management_system_id=management_system_id, person_id__in=person_ids, role__key=AimsRole.TOP_MANAGEMENT,
            role__retired_at__isnull=True, person__retired_at__isnull=True, starts_on__lte=day,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .values_list("person_id", flat=True)
    )  # fmt: skip


def minutes_blockers(review: ManagementReview) -> list[str]:
    """Everything that stops the minutes from being signed, each in words."""
    missing = []
    if not review.is_frozen:
        missing.append("Freeze the inputs first: the minutes sign what the review was given.")
    else:
        undiscussed = [
            f"{KINDS[i.key].label} {KINDS[i.key].title}"
            for i in review.inputs.all()
            if i.key in KINDS and KINDS[i.key].required and not i.discussed
        ]
        if undiscussed:
            missing.append(f"Mark the required inputs as discussed: {'; '.join(undiscussed)}.")
    attendees = [p.pk for p in review.attendees.all()]
    if not top_management_ids(review.management_system_id, attendees, review.held_on):
        missing.append("No attendee holds the top-management AIMS role: top management takes part in the review (9.3).")
    if not review.decisions.exists():
        missing.append("Record at least one decision (9.3.3), if only that no change is needed.")
    if review.held_on is None or review.status not in (
        ManagementReview.Status.HELD,
        ManagementReview.Status.MINUTES_SIGNED,
    ):
        missing.append("Record the review as held, with its date.")
    return missing


def is_chair(user: Any, review: ManagementReview) -> bool:
    """Whether the user is the account of the review's chair."""
    return bool(getattr(user, "is_authenticated", False)) and review.chair.account_id == user.pk


def may_sign_minutes(user: Any, review: ManagementReview) -> bool:
    return is_chair(user, review) and access.can(user, Action.SIGN_OFF, review)


def minutes_refusal(review: ManagementReview) -> str:
    return (
        f"Only the chair of {review.reference}, {review.chair.name}, signs its minutes, from their own account "
        "with the sign-off right (leadership or an owner)."
    )


def review_url(ms_id: int, pk: int, name: str = "review_detail") -> str:
    return reverse(f"reviews:{name}", args=[ms_id, pk])


def register() -> None:
    """Declare the signature of the minutes as a kind of sign-off."""
    ledger.register_signable(
        MINUTES,
        label="Management review minutes",
        subject_model=ManagementReview,
        versions=minutes_versions,
        may_sign=may_sign_minutes,
        blockers=minutes_blockers,
        refusal=minutes_refusal,
        verb="Approve the minutes",
        done_label="Signed",
        rule=lambda review: (
            f"The chair, {review.chair.name}, signs the minutes once the inputs are frozen and the required ones "
            "discussed, top management attended, a decision is recorded and the review is held."
        ),
        diff_url=lambda review, signoff: review_url(review.management_system_id, review.pk, "review_history"),
        subject_url=lambda signoff: review_url(signoff.management_system_id, signoff.subject_id),
        statement="I sign these minutes of the management review: its inputs, decisions and actions as recorded.",
    )
