"""Writes of the gateway policy: drafts, their settings and rules, submission, withdrawal and approval.

A management system has at most one open version (a draft, or one awaiting approval) at a time.
A new draft copies the version in force (its personal data actions, flags and rules) or starts
empty. Only a draft is edited; a version awaiting approval is returned to draft to change it;
an approved or superseded version never changes. Approval is a sign-off
(``signoffs.APPROVAL``): the version comes into force, the one before is superseded, and a
``policy_approved`` event is appended to the ledger of every AI system of the management system
that is not retired, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from aims import ledger
from aims.models import ManagementSystem, SignOff
from aims.services import (
    StaleVersionError,
    approve_superseding,
    register_create,
    register_delete,
    register_update,
    return_to_draft,
)
from gateway import ledger as gateway_ledger
from gateway.models import GatewayEvent, Outcome, PolicyRule, PolicyVersion
from gateway.policy.signoffs import APPROVAL
from registers.models import AISystem

Status = PolicyVersion.Status
RULE_FIELDS = PolicyRule.editable_fields
COPIED = ("entity_actions", "default_entity_action", "require_impact_assessment", "body_retention_days")
ORDER_STEP = 10


def _locked(model: type, obj: Any) -> Any:
    return model.objects.select_for_update().get(pk=obj.pk)


def _check_version(obj: Any, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != obj.version:
        raise StaleVersionError(obj, expected_version)


def refuse_unless_draft(version: PolicyVersion) -> None:
    """Only a draft changes: say why anything else does not."""
    if version.status == Status.DRAFT:
        return
    if version.status == Status.IN_REVIEW:
        raise ValidationError(f"{version.label} awaits approval: return it to draft to change it.")
    if version.status == Status.WITHDRAWN:
        raise ValidationError(f"{version.label} was withdrawn: start a new draft.")
    raise ValidationError(
        f"{version.label} is {version.get_status_display().lower()}: an approved version never changes. "
        "Start a new draft to change the policy."
    )


# --- versions ----------------------------------------------------------------------------------


def open_version(management_system: ManagementSystem) -> PolicyVersion | None:
    """The draft or the version awaiting approval of the management system, if any."""
    return (
        PolicyVersion.objects.filter(management_system=management_system, status__in=[Status.DRAFT, Status.IN_REVIEW])
        .order_by("-number")
        .first()
    )


def version_in_force(management_system: ManagementSystem) -> PolicyVersion | None:
    return (
        PolicyVersion.objects.filter(management_system=management_system, status=Status.APPROVED)
        .order_by("-number")
        .first()
    )


def policy_draft_start(
    *, management_system: ManagementSystem, user: AbstractBaseUser | None, reason: str = "New draft started",
    change_summary: str = "",
) -> PolicyVersion:  # fmt: skip
    """Start the next version as a draft: a copy of the version in force (settings and rules), or empty."""
    with transaction.atomic():
        ManagementSystem.objects.select_for_update().filter(pk=management_system.pk).exists()
        current = open_version(management_system)
        if current is not None:
            raise ValidationError(
                f"{current.label} is still {current.get_status_display().lower()}: finish or withdraw it first."
            )
        in_force = version_in_force(management_system)
        copied = {name: getattr(in_force, name) for name in COPIED} if in_force else {}
        number = (
            PolicyVersion.objects.filter(management_system=management_system).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        draft = register_create(
            PolicyVersion, management_system=management_system, user=user, reason=reason, number=number,
            change_summary=(change_summary or "").strip()[:500], **copied,
        )  # fmt: skip
        if in_force is not None:
            for rule in in_force.rules.order_by("order", "pk"):
                register_create(
                    PolicyRule, management_system=management_system, user=user, policy=draft,
                    reason=f"Copied from {in_force.label}", **{name: getattr(rule, name) for name in RULE_FIELDS},
                )  # fmt: skip
    return draft


def policy_update(
    version: PolicyVersion,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> PolicyVersion:
    """Change a draft's settings: change summary, personal data actions, impact assessment, retention."""
    unknown = set(fields) - set(PolicyVersion.editable_fields)
    if unknown:
        raise ValidationError(f"Not a setting of the policy: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        current = _locked(PolicyVersion, version)
        _check_version(current, expected_version)
        refuse_unless_draft(current)
        return register_update(current, user=user, expected_version=None, reason=reason, **fields)


def policy_submit(
    version: PolicyVersion, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = ""
) -> PolicyVersion:
    """Submit a draft for approval: what the approver signs, settings and rules as they stand."""
    with transaction.atomic():
        current = _locked(PolicyVersion, version)
        _check_version(current, expected_version)
        if current.status != Status.DRAFT:
            raise ValidationError(
                f"Only a draft is submitted for approval; {current.label} is {current.get_status_display().lower()}."
            )
        if not current.change_summary.strip():
            raise ValidationError({"change_summary": "Say what this version changes, and why, before submitting it."})
        return register_update(
            current, user=user, expected_version=None, reason=reason or "Submitted for approval",
            status=Status.IN_REVIEW,
        )  # fmt: skip


def policy_return(
    version: PolicyVersion, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> PolicyVersion:
    """Return a version awaiting approval to draft, saying why (kept in history)."""
    return return_to_draft(
        version, user=user, expected_version=expected_version, reason=reason, waiting="awaiting approval"
    )


def policy_withdraw(
    version: PolicyVersion, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> PolicyVersion:
    """Give up a draft (or a version awaiting approval), with the reason; its number is not reused."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": f"Say why {version.label} is withdrawn."})
    with transaction.atomic():
        current = _locked(PolicyVersion, version)
        _check_version(current, expected_version)
        if not current.is_open:
            raise ValidationError(
                f"{current.label} is {current.get_status_display().lower()}: only a draft or a version awaiting "
                "approval is withdrawn."
            )
        return register_update(
            current, user=user, expected_version=None, reason=f"Withdrawn: {reason}", status=Status.WITHDRAWN,
            withdrawn_reason=reason[:300],
        )  # fmt: skip


# --- rules -------------------------------------------------------------------------------------


def _rule_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(f"Not a field of a rule: {', '.join(sorted(unknown))}.")
    fields = dict(fields)
    for name in ("model", "entity_type", "tool", "connector", "note", "approver_role"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if fields.get("outcome") not in (None, *Outcome.values):
        raise ValidationError({"outcome": f"Choose one of {', '.join(Outcome.values)}."})
    return fields


def _check_ai_system(management_system_id: int, ai_system: AISystem | None) -> None:
    if ai_system is not None and ai_system.management_system_id != management_system_id:
        raise ValidationError({"ai_system": "The AI system belongs to another management system."})


def rule_add(
    version: PolicyVersion, *, user: AbstractBaseUser | None, reason: str = "Rule added", **fields: Any
) -> PolicyRule:
    """Add a rule to a draft (last, unless ``order`` says where)."""
    fields = _rule_fields(fields)
    with transaction.atomic():
        current = _locked(PolicyVersion, version)
        refuse_unless_draft(current)
        _check_ai_system(current.management_system_id, fields.get("ai_system"))
        if fields.get("order") is None:
            last = current.rules.aggregate(n=Max("order"))["n"] or 0
            fields["order"] = last + ORDER_STEP
        return register_create(
            PolicyRule, management_system=current.management_system, user=user, reason=reason, policy=current,
            **fields,
        )  # fmt: skip


def rule_update(
    rule: PolicyRule, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Rule changed",
    **fields: Any,
) -> PolicyRule:  # fmt: skip
    """Change a rule of a draft."""
    fields = _rule_fields(fields)
    with transaction.atomic():
        policy = _locked(PolicyVersion, rule.policy)
        refuse_unless_draft(policy)
        _check_ai_system(policy.management_system_id, fields.get("ai_system"))
        return register_update(rule, user=user, expected_version=expected_version, reason=reason, **fields)


def rule_remove(
    rule: PolicyRule, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Rule removed"
) -> None:
    """Remove a rule from a draft (its history stays)."""
    with transaction.atomic():
        policy = _locked(PolicyVersion, rule.policy)
        refuse_unless_draft(policy)
        register_delete(rule, user=user, expected_version=expected_version, reason=reason)


def rule_move(
    rule: PolicyRule, *, user: AbstractBaseUser | None, expected_version: int | None, to: int
) -> list[PolicyRule]:
    """Move a rule of a draft to position ``to`` (from 1; clamped), renumbering the rules 10, 20, 30 ..."""
    with transaction.atomic():
        policy = _locked(PolicyVersion, rule.policy)
        refuse_unless_draft(policy)
        rules = list(policy.rules.select_for_update().order_by("order", "pk"))
        moving = next(r for r in rules if r.pk == rule.pk)
        _check_version(moving, expected_version)
        rules.remove(moving)
        rules.insert(max(0, min(int(to) - 1, len(rules))), moving)
        result = []
        for position, row in enumerate(rules, start=1):
            order = position * ORDER_STEP
            if row.order != order:
                why = f"Moved to position {position}" if row.pk == moving.pk else "Renumbered"
                row = register_update(row, user=user, expected_version=None, reason=why, order=order)
            result.append(row)
    return result


# --- approval ----------------------------------------------------------------------------------


def policy_approve(
    version: PolicyVersion,
    *,
    user: AbstractBaseUser,
    statement: str,
    verification: str | Callable[[], str],
    expected_version: int | None = None,
    expected_token: str | None = None,
    override_reason: str = "",
    job_title: str = "",
) -> SignOff:
    """Approve the version awaiting approval (a sign-off of it and its rules); it comes into force."""
    with transaction.atomic():
        current = _locked(PolicyVersion, version)
        _check_version(current, expected_version)
        signoff = ledger.sign_off(
            kind=APPROVAL, subject=current, user=user, statement=statement, verification=verification,
            expected_token=expected_token, override_reason=override_reason, job_title=job_title,
        )  # fmt: skip
        record_approval(current, user=user, signoff=signoff)
    return signoff


def record_approval(version: PolicyVersion, *, user: AbstractBaseUser, signoff: SignOff) -> PolicyVersion:
    """The consequences of an approval: in force, the version before superseded, an event in every system's ledger."""
    now = signoff.signed_at
    approved = approve_superseding(
        version, versions=PolicyVersion.objects.filter(management_system_id=version.management_system_id),
        user=user, signoff=signoff, superseded_reason=f"Superseded by {version.label}",
    )  # fmt: skip
    for system in systems_governed(version.management_system_id):
        gateway_ledger.event_append(
            ai_system=system, type=GatewayEvent.Type.POLICY_APPROVED, policy_version=approved.label,
            subject=approved.reference, approver=user, occurred_at=now,
            detail=f"{approved.label} in force (sign-off #{signoff.sequence}).",
        )  # fmt: skip
    return approved


def systems_governed(management_system_id: int) -> list[AISystem]:
    """The AI systems a policy of the management system governs: every one not retired."""
    return list(
        AISystem.objects.filter(management_system_id=management_system_id, retired_at__isnull=True)
        .exclude(lifecycle_stage=AISystem.LifecycleStage.RETIRED)
        .order_by("reference")
    )
