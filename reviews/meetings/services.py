"""Writes of management reviews: planning, freezing the inputs, holding, decisions, actions, signing the minutes.

Who runs a review (freezes its inputs, records it as held, writes notes, decisions and
actions): the officers and owners who edit the registers, and the chair (from their own
account, whatever their role), since the chair leads the meeting. Decided here once, in
``may_run``; pages and the API call ``require_may_run``.

After the minutes are signed, the review, its inputs and decisions are closed: only the
follow-up of its actions (done, cancelled) goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone

from aims import access, ledger
from aims.access import Action
from aims.history import record_version
from aims.models import ManagementSystem, SignOff
from aims.services import StaleVersionError, check_assignee, register_create, register_update
from governance.models import Person
from reviews.meetings.inputs import INPUT_KINDS, gather_all
from reviews.meetings.signoffs import MINUTES, is_chair, top_management_ids
from reviews.models import ManagementReview, ReviewAction, ReviewDecision, ReviewInput

Status = ManagementReview.Status


def may_run(user: AbstractBaseUser, review: ManagementReview) -> bool:
    """Editors of the registers and the review's chair run the review."""
    if not access.is_visible(user, review):
        return False
    return access.can(user, Action.EDIT, review) or is_chair(user, review)


def require_may_run(user: AbstractBaseUser, review: ManagementReview) -> None:
    """404 when the review is invisible to the user, 403 when they may not run it."""
    if not access.is_visible(user, review):
        raise Http404("Not found.")
    if not may_run(user, review):
        raise PermissionDenied("Only the compliance officers, owners and the chair run a management review.")


def _check_version(obj: Any, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != obj.version:
        raise StaleVersionError(obj, expected_version)


def _refuse_if_signed(review: ManagementReview) -> None:
    if review.is_signed:
        raise ValidationError(f"The minutes of {review.reference} are signed: the review is closed.")


def _check_people(management_system: ManagementSystem, chair: Person | None, attendees: Iterable[Person]) -> None:
    errors: dict[str, str] = {}
    people = [p for p in [chair, *attendees] if p is not None]
    if any(p.management_system_id != management_system.pk for p in people):
        errors["attendees"] = "Choose people of this management system."
    if chair is not None and not top_management_ids(management_system.pk, [chair.pk]):
        errors["chair"] = f"{chair.name} does not hold the top-management AIMS role: the chair is top management."
    if errors:
        raise ValidationError(errors)


def _write_child(child: models.Model, user: AbstractBaseUser | None, reason: str, *, created: bool) -> None:
    """Save an input or decision row and write exactly one history row for it."""
    child.full_clean(exclude=["review"])
    child.skip_history_when_saving = True
    try:
        child.save()
    finally:
        del child.skip_history_when_saving
    child._history_user = user
    child._change_reason = reason[:100]
    record_version(child, created=created)


# --- the review ---------------------------------------------------------------------------------


def review_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "Management review planned",
    chair: Person,
    attendees: Iterable[Person] = (),
    **fields: Any,
) -> ManagementReview:
    """Plan a management review and seed one input row per kind of input (9.3.2 and the recommended ones)."""
    attendees = list(attendees)
    _check_people(management_system, chair, attendees)
    with transaction.atomic():
        review = register_create(
            ManagementReview, management_system=management_system, user=user, reason=reason, chair=chair,
            m2m={"attendees": attendees}, **fields,
        )  # fmt: skip
        for position, kind in enumerate(INPUT_KINDS):
            _write_child(ReviewInput(review=review, key=kind.key, position=position), user, reason, created=True)
    return review


def review_update(
    review: ManagementReview, *, user: AbstractBaseUser | None, expected_version: int | None,
    reason: str = "Updated", **fields: Any,
) -> ManagementReview:  # fmt: skip
    """Change the review's title, dates, chair, attendees or summary (not once its minutes are signed)."""
    unknown = set(fields) - set(ManagementReview.editable_fields)
    if unknown:
        raise ValidationError(f"Not a field of a management review: {', '.join(sorted(unknown))}.")
    _refuse_if_signed(review)
    attendees = fields.pop("attendees", None)
    chair = fields.get("chair")
    _check_people(review.management_system, chair, attendees or [])
    m2m = {"attendees": list(attendees)} if attendees is not None else None
    return register_update(review, user=user, expected_version=expected_version, reason=reason, m2m=m2m, **fields)


def review_freeze_inputs(
    review: ManagementReview, *, user: AbstractBaseUser | None, expected_version: int | None
) -> ManagementReview:
    """Gather every input from the registers now and keep it: snapshot, SHA-256 each, one digest over all."""
    with transaction.atomic():
        current = ManagementReview.objects.select_for_update().get(pk=review.pk)
        _check_version(current, expected_version)
        if current.is_frozen:
            raise ValidationError(
                f"The inputs of {current.reference} were frozen on {current.inputs_frozen_at:%d %b %Y}."
            )
        since, gathered = gather_all(current)
        reason = "Inputs frozen"
        digests = {}
        for row in current.inputs.select_for_update():
            row.content = ledger.plain(gathered.get(row.key, {}))
            row.digest = ledger.digest_of(row.content)
            row.version += 1
            digests[row.key] = row.digest
            _write_child(row, user, reason, created=False)
        return register_update(
            current, user=user, expected_version=None, reason=reason, status=Status.INPUTS_FROZEN,
            inputs_frozen_at=timezone.now(), inputs_frozen_by=user, inputs_since=since,
            inputs_digest=ledger.digest_of(digests),
        )  # fmt: skip


def review_mark_held(
    review: ManagementReview,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    held_on: date | None = None,
) -> ManagementReview:
    """Record that the review was held (on ``held_on``, today by default), once its inputs are frozen."""
    _refuse_if_signed(review)
    if not review.is_frozen:
        raise ValidationError("Freeze the inputs before the review is held: the review discusses what it was given.")
    held_on = held_on or timezone.localdate()
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "A review is recorded as held on or after the day it took place."})
    return register_update(
        review, user=user, expected_version=expected_version, reason="Review held", status=Status.HELD, held_on=held_on
    )


def review_sign_minutes(
    review: ManagementReview,
    *,
    user: AbstractBaseUser,
    statement: str,
    verification: str | Callable[[], str],
    expected_version: int | None = None,
    expected_token: str | None = None,
    override_reason: str = "",
    job_title: str = "",
) -> SignOff:
    """The chair signs the minutes (see ``signoffs``); the review then reads "minutes signed"."""
    ledger.require_may_sign(MINUTES, user, review)
    with transaction.atomic():
        current = ManagementReview.objects.select_for_update().get(pk=review.pk)
        _check_version(current, expected_version)
        signoff = ledger.sign_off(
            kind=MINUTES, subject=current, user=user, statement=statement, verification=verification,
            expected_token=expected_token, override_reason=override_reason, job_title=job_title,
        )  # fmt: skip
        if current.status != Status.MINUTES_SIGNED:
            register_update(
                current, user=user, expected_version=None, status=Status.MINUTES_SIGNED,
                reason=f"Minutes signed (sign-off #{signoff.sequence})",
            )  # fmt: skip
    return signoff


# --- inputs and decisions ------------------------------------------------------------------------


def input_update(
    row: ReviewInput, *, user: AbstractBaseUser | None, expected_version: int | None, **fields: Any
) -> ReviewInput:
    """Write the discussion notes of an input or mark it discussed (until the minutes are signed)."""
    unknown = set(fields) - set(ReviewInput.editable_fields)
    if unknown:
        raise ValidationError(f"Not a field of an input: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        current = ReviewInput.objects.select_for_update().select_related("review").get(pk=row.pk)
        _check_version(current, expected_version)
        _refuse_if_signed(current.review)
        for name, value in fields.items():
            setattr(current, name, value)
        current.version += 1
        _write_child(current, user, "Input discussed" if fields.get("discussed") else "Input notes", created=False)
    return current


def decision_add(
    review: ManagementReview, *, user: AbstractBaseUser | None, decision_type: str, text: str
) -> ReviewDecision:
    """Record a decision of the review (9.3.3)."""
    _refuse_if_signed(review)
    decision = ReviewDecision(review=review, decision_type=decision_type, text=text)
    with transaction.atomic():
        _write_child(decision, user, "Decision recorded", created=True)
    return decision


def decision_update(
    decision: ReviewDecision, *, user: AbstractBaseUser | None, expected_version: int | None, **fields: Any
) -> ReviewDecision:
    """Change a decision's type or text (until the minutes are signed)."""
    unknown = set(fields) - set(ReviewDecision.editable_fields)
    if unknown:
        raise ValidationError(f"Not a field of a decision: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        current = ReviewDecision.objects.select_for_update().select_related("review").get(pk=decision.pk)
        _check_version(current, expected_version)
        _refuse_if_signed(current.review)
        for name, value in fields.items():
            setattr(current, name, value)
        current.version += 1
        _write_child(current, user, "Decision changed", created=False)
    return current


def decision_remove(decision: ReviewDecision, *, user: AbstractBaseUser | None, expected_version: int | None) -> None:
    """Take a decision out of the minutes before they are signed (its history stays)."""
    with transaction.atomic():
        current = ReviewDecision.objects.select_for_update().select_related("review").get(pk=decision.pk)
        _check_version(current, expected_version)
        _refuse_if_signed(current.review)
        current._history_user = user
        current._change_reason = "Decision removed"
        current.delete()


# --- actions -------------------------------------------------------------------------------------


def _check_links(management_system: ManagementSystem, fields: dict[str, Any]) -> None:
    for name in ("objective", "nonconformity", "document_version"):
        linked = fields.get(name)
        if linked is not None and linked.management_system_id != management_system.pk:
            raise ValidationError({name: f"{linked} belongs to another management system."})


def action_add(
    review: ManagementReview, *, user: AbstractBaseUser | None, title: str, owner: AbstractBaseUser,
    reason: str = "Action decided", **fields: Any,
) -> ReviewAction:  # fmt: skip
    """Record an action the review decided: its owner (a member who may own records), due date and links."""
    _refuse_if_signed(review)
    check_assignee(review.management_system, owner)
    _check_links(review.management_system, fields)
    return register_create(
        ReviewAction, management_system=review.management_system, user=user, reason=reason, review=review,
        title=title, owner=owner, **fields,
    )  # fmt: skip


def action_update(
    action: ReviewAction, *, user: AbstractBaseUser | None, expected_version: int | None,
    reason: str = "Action changed", **fields: Any,
) -> ReviewAction:  # fmt: skip
    """Change what an action is (until the minutes are signed): title, owner, due date, links."""
    unknown = set(fields) - set(ReviewAction.editable_fields)
    if unknown:
        raise ValidationError(f"Not a field of an action: {', '.join(sorted(unknown))}.")
    _refuse_if_signed(action.review)
    if "owner" in fields:
        check_assignee(action.management_system, fields["owner"])
    _check_links(action.management_system, fields)
    return register_update(action, user=user, expected_version=expected_version, reason=reason, **fields)


def action_set_status(
    action: ReviewAction, *, user: AbstractBaseUser | None, expected_version: int | None, status: str
) -> ReviewAction:
    """Follow an action up: done, cancelled or open again (also after the minutes are signed)."""
    if status not in ReviewAction.Status.values:
        raise ValidationError({"status": "Choose open, done or cancelled."})
    completed = timezone.localdate() if status == ReviewAction.Status.DONE else None
    label = ReviewAction.Status(status).label
    return register_update(
        action, user=user, expected_version=expected_version, reason=f"Action {label.lower()}", status=status,
        completed_on=completed,
    )  # fmt: skip
