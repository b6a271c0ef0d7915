"""Writes of nonconformities, corrective actions and effectiveness reviews (10.2).

``nonconformity_create`` is the one way an NC comes into being: from the NC form, from a major
or minor finding (audits) and from an incident's triage (incidents), each in its caller's
transaction. Every other write here locks the NC, checks the rules of ``workflow`` (the
transition table) and saves through ``aims.services``: one history version with the acting
user and a reason, nothing saved when a rule refuses (a ``ValidationError`` saying why).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aims import access, ledger
from aims.access import Action
from aims.models import ManagementSystem, SignOff
from aims.services import StaleVersionError, check_assignee, register_create, register_retire, register_update
from improvement.models import CorrectiveAction, EffectivenessReview, Nonconformity
from improvement.nonconformities import workflow
from improvement.nonconformities.signoffs import CLOSURE

NC_LINKS = Nonconformity.link_fields()
State = Nonconformity.State
Status = CorrectiveAction.Status
Result = EffectivenessReview.Result
# States in which corrective actions are added and changed (later, they are what the review looked at).
ACTIONABLE = (State.OPEN, State.CONTAINED, State.ANALYSED, State.ACTIONS_PLANNED)
# States in which an effectiveness review may be planned.
REVIEWABLE = (State.ANALYSED, State.ACTIONS_PLANNED, State.ACTIONS_DONE)
# A transition's reason is kept in history after the new state's name (history keeps 100 characters).
TRANSITION_REASON_MAX = 75


def nonconformity_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "Created",
    **fields: Any,
) -> Nonconformity:
    """Record a nonconformity (state open); it names at least one requirement not met."""
    m2m = {name: list(fields.pop(name)) for name in NC_LINKS if name in fields}
    if not m2m.get("requirements"):
        raise ValidationError({"requirements": "Name at least one clause or control that is not met."})
    with transaction.atomic():
        check_assignee(management_system, fields.get("owner"))
        return register_create(
            Nonconformity, management_system=management_system, user=user, reason=reason, m2m=m2m, **fields
        )


# --- the nonconformity ---------------------------------------------------------------------


def _locked(nc: Nonconformity) -> Nonconformity:
    return Nonconformity.objects.select_for_update(of=("self",)).select_related("management_system").get(pk=nc.pk)


def _check_version(obj: Any, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != obj.version:
        raise StaleVersionError(obj, expected_version)


def refuse_if_frozen(nc: Nonconformity) -> None:
    """A closed or withdrawn nonconformity no longer changes."""
    if nc.is_closed:
        raise ValidationError(
            f"{nc.reference} was closed on {nc.closed_at:%d %b %Y}: a closed nonconformity is frozen."
        )
    if nc.is_retired:
        raise ValidationError(f"{nc.reference} was withdrawn on {nc.retired_at:%d %b %Y}: it no longer changes.")


def nonconformity_update(
    nc: Nonconformity,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> Nonconformity:
    """Change what is recorded about a nonconformity (never its state: that is ``nonconformity_transition``)."""
    with transaction.atomic():
        current = _locked(nc)
        _check_version(current, expected_version)
        refuse_if_frozen(current)
        m2m = {name: list(fields.pop(name)) for name in NC_LINKS if name in fields}
        if "requirements" in m2m and not m2m["requirements"]:
            raise ValidationError({"requirements": "Name at least one clause or control that is not met."})
        analysed = current.state not in (State.OPEN, State.CONTAINED)
        if analysed and "root_cause" in fields and not (fields["root_cause"] or "").strip():
            raise ValidationError(
                {"root_cause": "The root cause was analysed and actions address it: revise it, do not remove it."}
            )
        if "owner" in fields:
            check_assignee(current.management_system, fields["owner"])
        return register_update(
            current, user=user, expected_version=expected_version, reason=reason, m2m=m2m or None, **fields
        )


def nonconformity_withdraw(
    nc: Nonconformity, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> Nonconformity:
    """Withdraw a nonconformity recorded in error, with the reason; it stays readable with its history."""
    with transaction.atomic():
        current = _locked(nc)
        if current.is_closed:
            raise ValidationError(f"{current.reference} was closed by a sign-off: it is not withdrawn.")
        return register_retire(current, user=user, expected_version=expected_version, reason=reason)


def _reason(reason: str, *, required: bool = True) -> str:
    text = " ".join((reason or "").split())
    if required and not text:
        raise ValidationError({"reason": "Say why (it is kept in the history with the new state)."})
    if len(text) > TRANSITION_REASON_MAX:
        raise ValidationError({"reason": f"At most {TRANSITION_REASON_MAX} characters."})
    return text


def _move(
    nc: Nonconformity, step: workflow.Step, *, user: Any, expected_version: int | None, reason: str, **fields: Any
) -> Nonconformity:
    return register_update(
        nc, user=user, expected_version=expected_version, reason=f"{step.label}: {reason}", state=step.target, **fields
    )


def nonconformity_transition(
    nc: Nonconformity, *, user: AbstractBaseUser | None, to: str, reason: str, expected_version: int | None = None
) -> Nonconformity:
    """Move a nonconformity to the next state by hand, with the reason, if the transition table allows it now."""
    reason = _reason(reason)
    with transaction.atomic():
        current = _locked(nc)
        _check_version(current, expected_version)
        step = workflow.check(current, to, by=workflow.By.HAND)
        return _move(current, step, user=user, expected_version=expected_version, reason=reason)


# --- corrective actions ----------------------------------------------------------------------


def _refuse_new_actions(nc: Nonconformity) -> None:
    refuse_if_frozen(nc)
    if not nc.root_cause.strip():
        raise ValidationError(
            "Record the root cause before planning corrective actions (10.2 b): the actions must address it."
        )
    if nc.state == State.ACTIONS_DONE:
        raise ValidationError(
            f"{nc.reference} is at “actions done”: move it back to “actions planned” (more actions needed) first."
        )
    if nc.state == State.EFFECTIVENESS_VERIFIED:
        raise ValidationError(f"{nc.reference}'s actions were verified effective: it takes no more actions.")


def _refuse_action_change(nc: Nonconformity, action: CorrectiveAction) -> None:
    refuse_if_frozen(nc)
    if action.iteration != nc.iteration:
        raise ValidationError(
            f"{action.reference} answered analysis {action.iteration}, whose effectiveness was already reviewed: "
            "it is kept as it was."
        )
    if nc.state in (State.ACTIONS_DONE, State.EFFECTIVENESS_VERIFIED):
        raise ValidationError(
            f"{nc.reference} is {nc.get_state_display().lower()}: its actions are what the effectiveness review "
            "looks at. Move it back to “actions planned” to change them."
        )


def _ended(fields: dict[str, Any], current: CorrectiveAction | None) -> dict[str, Any]:
    """A completion date only for a done action, a reason only for a cancelled one."""
    status = fields.get("status", getattr(current, "status", Status.PLANNED))
    if status != Status.DONE:
        fields["completed_on"] = None
    if status != Status.CANCELLED:
        fields["cancel_reason"] = ""
    return fields


def _sync_owner_grant(action: CorrectiveAction, previous_owner: AbstractBaseUser | None) -> None:
    """The action's owner, even a contributor, may update it; a previous owner loses that grant."""
    if previous_owner is not None and previous_owner != action.owner:
        access.revoke_object_edit(previous_owner, action)
    if action.owner is not None:
        access.grant_object_edit(action.owner, action)


def corrective_action_create(
    nonconformity: Nonconformity, *, user: AbstractBaseUser | None, reason: str = "Created", **fields: Any
) -> CorrectiveAction:
    """Plan a corrective action of a nonconformity whose root cause is recorded; its owner may then update it."""
    with transaction.atomic():
        nc = _locked(nonconformity)
        _refuse_new_actions(nc)
        check_assignee(nc.management_system, fields.get("owner"))
        action = register_create(
            CorrectiveAction,
            management_system=nc.management_system,
            user=user,
            reason=reason,
            nonconformity=nc,
            iteration=nc.iteration,
            **_ended(fields, None),
        )
        _sync_owner_grant(action, None)
    return action


def corrective_action_update(
    action: CorrectiveAction,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> CorrectiveAction:
    """Change a corrective action (its status, completion, owner...) while its analysis is open."""
    with transaction.atomic():
        nc = _locked(action.nonconformity)
        current = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
        _check_version(current, expected_version)
        _refuse_action_change(nc, current)
        if "owner" in fields:
            check_assignee(nc.management_system, fields["owner"])
        previous_owner = current.owner
        updated = register_update(
            current, user=user, expected_version=expected_version, reason=reason, **_ended(fields, current)
        )
        if "owner" in fields:
            _sync_owner_grant(updated, previous_owner)
    return updated


# --- effectiveness reviews -------------------------------------------------------------------


def _save_child(child: Any, user: AbstractBaseUser | None, reason: str) -> None:
    """Write an effectiveness review with the acting user and reason in its history."""
    child.full_clean(exclude=["nonconformity"])
    child._history_user = user
    child._change_reason = reason[:100]
    child.save()


def _action_owners(nc: Nonconformity) -> dict[int, list[str]]:
    owners: dict[int, list[str]] = {}
    for action in nc.actions.all():
        if action.owner_id is not None:
            owners.setdefault(action.owner_id, []).append(action.reference)
    return owners


def _check_reviewer(nc: Nonconformity, reviewer: AbstractBaseUser | None, *, field: str = "reviewer") -> None:
    if reviewer is None:
        return
    owned = _action_owners(nc).get(reviewer.pk)
    if owned:
        raise ValidationError(
            {
                field: f"{reviewer.get_username()} owns {', '.join(owned)}: the effectiveness of the actions is reviewed "
                "by someone who owns none of them."
            }
        )


def may_perform_review(user: Any, review: EffectivenessReview) -> bool:
    """Whoever may edit the nonconformity, or the reviewer it was planned for, records the review's result."""
    nc = review.nonconformity
    if access.can(user, Action.EDIT, nc):
        return True
    return review.reviewer_id == getattr(user, "pk", None) and access.may_own(
        access.role_of(user, nc.management_system)
    )


def review_plan(
    nonconformity: Nonconformity,
    *,
    user: AbstractBaseUser | None,
    method: str,
    planned_on: date | None,
    reviewer: AbstractBaseUser | None = None,
    reason: str = "Effectiveness review planned",
) -> EffectivenessReview:
    """Plan how and when the effectiveness of the current analysis' actions will be reviewed (10.2 d)."""
    with transaction.atomic():
        nc = _locked(nonconformity)
        refuse_if_frozen(nc)
        if nc.state not in REVIEWABLE:
            raise ValidationError(
                f"{nc.reference} is {nc.get_state_display().lower()}: plan its effectiveness review once it is analysed."
            )
        pending = nc.reviews.filter(iteration=nc.iteration, result=Result.PENDING).first()
        if pending is not None:
            raise ValidationError(f"A review of analysis {nc.iteration} is already planned: change that one.")
        check_assignee(nc.management_system, reviewer, "reviewer")
        _check_reviewer(nc, reviewer)
        review = EffectivenessReview(
            nonconformity=nc, iteration=nc.iteration, method=method, planned_on=planned_on, reviewer=reviewer
        )
        _save_child(review, user, reason)
    return review


def review_replan(
    review: EffectivenessReview,
    *,
    user: AbstractBaseUser | None,
    reason: str = "Effectiveness review plan changed",
    **fields: Any,
) -> EffectivenessReview:
    """Change the method, date or reviewer of a review not yet performed."""
    with transaction.atomic():
        nc = _locked(review.nonconformity)
        current = EffectivenessReview.objects.select_for_update().get(pk=review.pk)
        refuse_if_frozen(nc)
        if current.result:
            raise ValidationError("This review was performed: its plan is kept as it was.")
        unknown = set(fields) - {"method", "planned_on", "reviewer"}
        if unknown:
            raise ValidationError(
                f"Only the method, date and reviewer of a planned review change ({', '.join(unknown)})."
            )
        if "reviewer" in fields:
            check_assignee(nc.management_system, fields["reviewer"], "reviewer")
            _check_reviewer(nc, fields["reviewer"])
        for name, value in fields.items():
            setattr(current, name, value)
        _save_child(current, user, reason)
    return current


def _check_performed_on(nc: Nonconformity, performed_on: date | None) -> None:
    if performed_on is None:
        raise ValidationError({"performed_on": "Give the date the review was performed."})
    if performed_on > timezone.localdate():
        raise ValidationError({"performed_on": "The review cannot be performed in the future."})
    done = [a for a in nc.actions.all() if a.iteration == nc.iteration and a.status == Status.DONE and a.completed_on]
    last = max(done, key=lambda a: (a.completed_on, a.pk), default=None)
    if last is not None and performed_on <= last.completed_on:
        raise ValidationError(
            {
                "performed_on": f"The review must be performed after the last action was completed ({last.reference}, "
                f"{last.completed_on:%d %b %Y}): only then can it show whether the actions worked."
            }
        )


def review_perform(
    review: EffectivenessReview,
    *,
    user: AbstractBaseUser,
    result: str,
    performed_on: date | None,
    notes: str = "",
    expected_version: int | None = None,
) -> Nonconformity:
    """Record the review's result: effective verifies the NC, not effective sends it back to analysis (iteration + 1).

    The reviewer is whoever records it, someone who owns none of the actions; ``expected_version``
    is the NC's (its state changes with the result).
    """
    if result not in (Result.EFFECTIVE, Result.NOT_EFFECTIVE):
        raise ValidationError({"result": "Say whether the actions were effective or not effective."})
    with transaction.atomic():
        nc = _locked(review.nonconformity)
        current = EffectivenessReview.objects.select_for_update().get(pk=review.pk)
        _check_version(nc, expected_version)
        refuse_if_frozen(nc)
        if current.result:
            raise ValidationError(f"This review was performed on {current.performed_on:%d %b %Y}: its result stands.")
        if current.iteration != nc.iteration:
            raise ValidationError("This review belongs to an earlier analysis: plan one for the current analysis.")
        if nc.state != State.ACTIONS_DONE:
            raise ValidationError(
                f"{nc.reference} is {nc.get_state_display().lower()}: review the effectiveness once every corrective "
                "action is done (state “actions done”)."
            )
        _check_performed_on(nc, performed_on)
        _check_reviewer(nc, user, field="reviewer")
        current.result, current.performed_on, current.notes, current.reviewer = result, performed_on, notes, user
        label = current.get_result_display().lower()
        _save_child(current, user, f"Effectiveness review: {label}")
        if result == Result.EFFECTIVE:
            step = workflow.check(nc, State.EFFECTIVENESS_VERIFIED, by=workflow.By.REVIEW)
            return _move(
                nc, step, user=user, expected_version=expected_version, reason=f"review of {performed_on:%d %b %Y}"
            )
        step = workflow.check(nc, State.ANALYSED, by=workflow.By.REVIEW)
        return _move(
            nc,
            step,
            user=user,
            expected_version=expected_version,
            reason=f"review of {performed_on:%d %b %Y}, analysis {nc.iteration + 1}",
            iteration=nc.iteration + 1,
        )


# --- closure ------------------------------------------------------------------------------------


def nonconformity_record_closure(nc: Nonconformity, *, user: AbstractBaseUser, signoff: SignOff) -> Nonconformity:
    """Set the NC closed after its closure sign-off (call it in the signing transaction)."""
    current = _locked(nc)
    step = workflow.check(current, State.CLOSED, by=workflow.By.SIGN_OFF)
    return _move(
        current,
        step,
        user=user,
        expected_version=None,
        reason=f"sign-off #{signoff.sequence}",
        closed_at=signoff.signed_at,
    )


def nonconformity_close(
    nc: Nonconformity,
    *,
    user: AbstractBaseUser,
    expected_version: int | None,
    statement: str,
    verification: str | Callable[[], str],
    override_reason: str = "",
    job_title: str = "",
) -> SignOff:
    """Close a nonconformity by signing the version the user saw (10.2): the sign-off, then the state closed."""
    with transaction.atomic():
        current = _locked(nc)
        _check_version(current, expected_version)
        signoff = ledger.sign_off(
            kind=CLOSURE,
            subject=current,
            user=user,
            statement=statement,
            verification=verification,
            override_reason=override_reason,
            job_title=job_title,
        )
        nonconformity_record_closure(current, user=user, signoff=signoff)
    return signoff
