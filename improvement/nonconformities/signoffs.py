"""Closing a nonconformity is a sign-off (kind ``nonconformity_closure``, see ``aims.ledger``).

The signature binds the NC as it stood when it was closed, with its corrective actions and
effectiveness reviews. Closing then records the state "closed" as a further version; that
version is the sign-off's consequence, not a change to what was signed, so the signed
versions of a closed NC are those before it (and a closed NC no longer changes).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from aims import access, ledger
from aims.access import Action
from aims.models import Role
from improvement.models import CorrectiveAction, EffectivenessReview, Nonconformity

CLOSURE = "nonconformity_closure"
State = Nonconformity.State


def closure_versions(nc: Nonconformity) -> list[Any]:
    """The NC's version before closure (its latest while open) and the latest of its actions and reviews."""
    rows = nc.history.order_by("-history_date", "-history_id")
    if nc.state == State.CLOSED:
        rows = rows.exclude(state=State.CLOSED)
    own = rows.first()
    actions = CorrectiveAction.history.filter(nonconformity_id=nc.pk).latest_of_each()
    reviews = EffectivenessReview.history.filter(nonconformity_id=nc.pk).latest_of_each()
    children = sorted([*actions, *reviews], key=lambda row: (row.instance_type._meta.label, row.id))
    return [row for row in [own, *children] if row is not None and row.history_type != "-"]


def latest_result(nc: Nonconformity) -> str:
    """The result of the NC's most recently performed effectiveness review ("" when none)."""
    performed = [review for review in nc.reviews.all() if review.result]
    performed.sort(key=lambda review: (review.performed_on, review.pk))
    return performed[-1].result if performed else ""


def closure_blockers(nc: Nonconformity) -> list[str]:
    """What stops the NC from being closed: what 10.2 asks to be recorded, every action ended, an effective review."""
    if nc.is_closed:
        return [f"{nc.reference} is already closed."]
    if nc.is_retired:
        return [f"{nc.reference} was withdrawn: a withdrawn nonconformity is not closed."]
    missing = []
    for name, text in (
        ("nature", "the nature of the nonconformity"),
        ("root_cause", "the root cause"),
        ("correction", "the correction"),
    ):
        if not getattr(nc, name).strip():
            missing.append(f"Record {text}.")
    actions = list(nc.actions.all())
    if not actions:
        missing.append("Record the corrective actions taken.")
    pending = [a.reference for a in actions if a.status in CorrectiveAction.OPEN]
    if pending:
        missing.append(f"Finish or cancel (with a reason) {', '.join(pending)}.")
    unexplained = [a.reference for a in actions if a.status == a.Status.CANCELLED and not a.cancel_reason.strip()]
    if unexplained:
        missing.append(f"Say why {', '.join(unexplained)} {'was' if len(unexplained) == 1 else 'were'} cancelled.")
    result = latest_result(nc)
    if result != EffectivenessReview.Result.EFFECTIVE:
        missing.append(
            "The latest effectiveness review found the actions not effective: analyse again and act."
            if result
            else "Review the effectiveness of the corrective actions (10.2 d): the result must be effective."
        )
    elif nc.state != State.EFFECTIVENESS_VERIFIED:
        missing.append(f"It is {nc.get_state_display().lower()}: it must be at “effectiveness verified”.")
    return missing


def may_close(user: Any, nc: Nonconformity) -> bool:
    """Leadership closes any nonconformity; a compliance officer (or an owner) also closes a minor one."""
    if access.can(user, Action.SIGN_OFF, nc):
        return True
    return nc.grade == Nonconformity.Grade.MINOR and access.role_of(user, nc.management_system) == Role.OFFICER


def closure_refusal(nc: Nonconformity) -> str:
    if nc.grade == Nonconformity.Grade.MAJOR:
        return f"{nc.reference} is a major nonconformity: leadership closes it."
    return f"{nc.reference} is closed by leadership or a compliance officer."


def closure_rule(nc: Nonconformity) -> str:
    if nc.grade == Nonconformity.Grade.MAJOR:
        return "A major nonconformity is closed by leadership, once its corrective actions are verified effective."
    return "A minor nonconformity is closed by leadership or a compliance officer, once its actions are verified effective."


def nc_url(ms_id: int, pk: int, name: str = "nc_detail") -> str:
    return reverse(f"improvement:{name}", args=[ms_id, pk])


def register() -> None:
    """Declare the closure of a nonconformity as a kind of sign-off."""
    ledger.register_signable(
        CLOSURE,
        label="Closure",
        subject_model=Nonconformity,
        versions=closure_versions,
        may_sign=may_close,
        blockers=closure_blockers,
        refusal=closure_refusal,
        rule=closure_rule,
        diff_url=lambda nc, signoff: nc_url(nc.management_system_id, nc.pk, "nc_history"),
        subject_url=lambda signoff: nc_url(signoff.management_system_id, signoff.subject_id),
        verb="Close",
        done_label="Closed",
        statement="The corrective actions were verified effective; I close this nonconformity.",
    )
