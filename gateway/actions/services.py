"""Writes of connectors and gateway actions: proposal, a person's decision, the use of an approval, the outcome.

Every change of an action is one transaction that appends its ledger event first and then
records the event's sequence on the action (one history version per step):

- ``action_propose``: ``action_proposed`` (the policy's decision); a blocked action also gets
  ``denied``. The action is pending, denied, or approved and already claimed (allowed).
- ``action_approve`` / ``action_deny``: ``approved`` / ``denied`` with the approver and comment,
  by a member holding the role the policy named.
- ``action_redeem``: the AI system submits the approved call again; the approval is checked
  against it (same connector, tool and SHA-256 of the arguments, same policy version, not
  expired, not used) and claimed, or a ``refusal`` event says why not.
- ``action_complete``: ``performed`` or ``failed``, with latency and the response's digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from aims import access
from aims.models import ManagementSystem, Role
from aims.services import next_reference, register_create, register_retire, register_update
from gateway import ledger
from gateway.actions.toolcalls import arguments_sha256, canonical_arguments
from gateway.models import Connector, GatewayAction, GatewayEvent, GatewayKey, Outcome

PENDING_WINDOW = timedelta(hours=24)  # how long an action waits for a decision
APPROVAL_VALIDITY = timedelta(hours=1)  # how long an approval may be used, once given
MAX_RESULT_CHARS = 16_000  # a connector's answer kept on the action; longer ones are summarised
COMMENT_MAX = 500
APPROVER_ROLES = frozenset({Role.LEADERSHIP, Role.OFFICER, Role.OWNER})

State = GatewayAction.State
Type = GatewayEvent.Type


class ActionRefused(Exception):
    """A request about an action that the gateway refuses; a ``refusal`` event is on record."""

    def __init__(self, status: int, message: str, *, code: str, action: GatewayAction | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.action = action


class ActionNotPending(ValidationError):
    """A decision on an action that is no longer waiting for one."""


# --- connectors ------------------------------------------------------------------------------


def connector_create(
    *, management_system: ManagementSystem, user: AbstractBaseUser | None, reason: str = "Created", **fields: Any
) -> Connector:
    """Register a connector; its name is unique in the management system."""
    _check_name_free(management_system, fields.get("name", ""))
    return register_create(Connector, management_system=management_system, user=user, reason=reason, **fields)


def connector_update(
    connector: Connector,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> Connector:
    """Change a connector (a retired one stays retired)."""
    if connector.is_retired:
        raise ValidationError(f"{connector.reference} was retired: it cannot be changed.")
    if "name" in fields and fields["name"] != connector.name:
        _check_name_free(connector.management_system, fields["name"], exclude=connector.pk)
    return register_update(connector, user=user, expected_version=expected_version, reason=reason, **fields)


def connector_retire(
    connector: Connector, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> Connector:
    """Retire a connector with a reason: disabled for good, kept for the actions that name it."""
    return register_retire(connector, user=user, expected_version=expected_version, reason=reason, enabled=False)


def _check_name_free(management_system: ManagementSystem, name: str, exclude: int | None = None) -> None:
    taken = Connector.objects.filter(management_system=management_system, name=name).exclude(pk=exclude)
    if name and taken.exists():
        raise ValidationError({"name": f"A connector named {name!r} exists already (retired ones keep their name)."})


# --- proposal --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """What an AI system asked for: a tool of a connector with arguments, under a key."""

    key: GatewayKey
    connector: Connector
    tool: str
    arguments: Any
    entity_counts: dict[str, int]

    @property
    def sha256(self) -> str:
        return arguments_sha256(self.arguments)


def _event(call: Call, type: str, **values: Any) -> GatewayEvent:
    return ledger.event_append(ai_system=call.key.ai_system, type=type, **values)


def _retain_until(retention_days: int) -> Any:
    return timezone.now() + timedelta(days=retention_days) if retention_days else None


def action_propose(*, call: Call, decision: Any, retention_days: int = 30) -> GatewayAction:
    """Record a proposed action and the policy's decision: pending, denied, or approved and claimed (allowed)."""
    ai_system = call.key.ai_system
    ms = ai_system.management_system
    now = timezone.now()
    outcome = decision.outcome
    with transaction.atomic():
        # The reference is fixed before the event that names it: hold the register's lock throughout.
        ManagementSystem.objects.select_for_update().filter(pk=ms.pk).exists()
        reference = next_reference(GatewayAction, ms)
        body = canonical_arguments(call.arguments).decode("utf-8")
        digest = ledger.body_store(ai_system=ai_system, content=body, retain_until=_retain_until(retention_days))
        common = {"key_id": call.key.pk, "tool": call.tool, "connector": call.connector.name, "subject": reference,
                  "policy_version": decision.policy}  # fmt: skip
        proposed = _event(call, Type.ACTION_PROPOSED, decision=outcome, request_sha256=digest,
                          entity_counts=call.entity_counts, detail=decision.rule[:500], **common)  # fmt: skip
        fields: dict[str, Any] = {"state": State.PENDING, "expires_at": now + PENDING_WINDOW}
        if outcome == Outcome.ALLOW:
            fields = {"state": State.APPROVED, "decided_at": now, "used_at": now, "comment": "Allowed by the policy."}
        elif outcome != Outcome.REQUIRE_APPROVAL:
            why = f"Denied by {decision.policy}, {decision.rule}."
            if outcome == Outcome.REDACT:  # a rule written for calls: it allows no action
                why = f"{decision.policy}, {decision.rule}, redacts calls; no rule allows this action."
            denied = _event(call, Type.DENIED, refers_to_sequence=proposed.sequence, detail=why[:500], **common)
            fields = {"state": State.DENIED, "decided_at": now, "comment": why[:COMMENT_MAX],
                      "decided_sequence": denied.sequence}  # fmt: skip
        action = register_create(
            GatewayAction, management_system=ms, user=None,
            reason=f"Proposed by {ai_system.reference} with key {call.key.reference}",
            ai_system=ai_system, key=call.key, tool=call.tool, connector=call.connector, arguments=call.arguments,
            arguments_sha256=digest, entity_counts=call.entity_counts, decision=outcome,
            policy_version=decision.policy, policy_rule=decision.rule[:400],
            approver_role=decision.approver_role or (Role.LEADERSHIP if outcome == Outcome.REQUIRE_APPROVAL else ""),
            proposed_sequence=proposed.sequence, **fields,
        )  # fmt: skip
        assert action.reference == reference
    return action


# --- decisions -------------------------------------------------------------------------------


def may_decide(user: AbstractBaseUser, action: GatewayAction) -> bool:
    """Whether the user holds the role the policy named for this action (never an auditor or contributor)."""
    membership = access.membership_for(user, action.management_system_id)
    return (
        membership is not None
        and membership.role in APPROVER_ROLES
        and membership.role == (action.approver_role or Role.LEADERSHIP)
    )


def _lock_for_decision(action: GatewayAction, user: AbstractBaseUser) -> GatewayAction:
    current = (
        GatewayAction.objects.select_for_update(of=("self",))
        .select_related("ai_system", "connector", "key")
        .get(pk=action.pk)
    )
    if not may_decide(user, current):
        role = Role(current.approver_role or Role.LEADERSHIP).label.lower()
        raise PermissionDenied(f"Only a member with the {role} role decides {current.reference}.")
    if current.effective_state == State.EXPIRED and current.state == State.PENDING:
        raise ActionNotPending(
            f"{current.reference} waited too long: it expired on {current.expires_at:%d %b %Y %H:%M}."
        )
    if current.state != State.PENDING:
        raise ActionNotPending(
            f"{current.reference} is {current.get_state_display().lower()}, not waiting for a decision."
        )
    return current


def _decide(action: GatewayAction, *, user: AbstractBaseUser, comment: str, approve: bool) -> GatewayAction:
    comment = " ".join((comment or "").split())[:COMMENT_MAX]
    if not approve and not comment:
        raise ValidationError({"comment": "Say why the action is denied: the AI system and the log show it."})
    with transaction.atomic():
        current = _lock_for_decision(action, user)
        event = ledger.event_append(
            ai_system=current.ai_system,
            type=Type.APPROVED if approve else Type.DENIED,
            refers_to_sequence=current.proposed_sequence,
            key_id=current.key_id,
            tool=current.tool,
            connector=current.connector.name,
            subject=current.reference,
            policy_version=current.policy_version,
            request_sha256=current.arguments_sha256,
            approver=user,
            detail=comment,
        )
        now = timezone.now()
        verb = "Approved" if approve else "Denied"
        return register_update(
            current, user=user, expected_version=current.version,
            reason=f"{verb}: {comment}" if comment else verb,
            state=State.APPROVED if approve else State.DENIED, approver=user, comment=comment, decided_at=now,
            expires_at=now + APPROVAL_VALIDITY if approve else current.expires_at, decided_sequence=event.sequence,
        )  # fmt: skip


def action_approve(action: GatewayAction, *, user: AbstractBaseUser, comment: str = "") -> GatewayAction:
    """Approve a pending action: the AI system may then perform exactly this call, once, within the validity."""
    return _decide(action, user=user, comment=comment, approve=True)


def action_deny(action: GatewayAction, *, user: AbstractBaseUser, comment: str) -> GatewayAction:
    """Deny a pending action, saying why."""
    return _decide(action, user=user, comment=comment, approve=False)


def action_expire(action: GatewayAction) -> GatewayAction:
    """Record that a pending action or an unused approval passed its deadline (no-op otherwise)."""
    with transaction.atomic():
        current = GatewayAction.objects.select_for_update(of=("self",)).get(pk=action.pk)
        if current.effective_state != State.EXPIRED or current.state == State.EXPIRED:
            return current
        return register_update(current, user=None, expected_version=current.version,
                               reason="Expired: its deadline passed", state=State.EXPIRED)  # fmt: skip


# --- using an approval -----------------------------------------------------------------------


def _refuse(call: Call, status: int, message: str, code: str, action: GatewayAction | None = None) -> ActionRefused:
    _event(
        call,
        Type.REFUSAL,
        key_id=call.key.pk,
        tool=call.tool,
        connector=call.connector.name,
        subject=action.reference if action else "",
        refers_to_sequence=action.proposed_sequence if action else None,
        decision=code,
        policy_version=action.policy_version if action else "",
        request_sha256=call.sha256,
        entity_counts=call.entity_counts,
        detail=message[:500],
    )
    return ActionRefused(status, message, code=code, action=action)


def _approval_problem(action: GatewayAction, call: Call, policy_label: str) -> tuple[int, str, str] | None:
    """Why the approval does not cover this call, or None: (HTTP status, message, code)."""
    ref = action.reference
    if action.state == State.DENIED:
        return 403, f"{ref} was denied: {action.comment}", "action_denied"
    if action.state == State.PENDING and action.effective_state == State.PENDING:
        return (
            409,
            f"{ref} is still waiting for approval: poll GET /gateway/v1/actions/{ref}?wait=30.",
            "action_pending",
        )
    if action.used_at is not None or action.state in (State.PERFORMED, State.FAILED):
        return 409, f"The approval of {ref} was used already: an approval is good for one call.", "approval_used"
    if action.effective_state == State.EXPIRED:
        return 403, f"{ref} expired before it was used: propose the action again.", "approval_expired"
    if action.connector_id != call.connector.pk or action.tool != call.tool:
        return 409, f"{ref} approved {action.tool} through {action.connector.name}, not this call.", "approval_mismatch"
    if action.arguments_sha256 != call.sha256:
        return (
            409,
            f"The arguments differ from those approved in {ref}: refused. Propose the new ones.",
            "arguments_changed",
        )
    if action.policy_version != policy_label:
        return 409, (f"{ref} was approved under {action.policy_version}; {policy_label} is in force now. "
                     "Propose the action again."), "policy_changed"  # fmt: skip
    return None


def action_redeem(*, call: Call, reference: str, policy_label: str) -> GatewayAction:
    """Claim the approval ``reference`` for this exact call (single use), or raise ``ActionRefused`` (on record)."""
    with transaction.atomic():
        action = (
            GatewayAction.objects.select_for_update(of=("self",))
            .select_related("connector", "ai_system")
            .filter(ai_system=call.key.ai_system, reference=str(reference)[:20])
            .first()
        )
        if action is None:
            problem = (404, f"No action {str(reference)[:20]!r} of this AI system.", "action_not_found")
        else:
            problem = _approval_problem(action, call, policy_label)
        if problem is None:
            return register_update(action, user=None, expected_version=action.version,
                                   reason=f"Approval used by {call.key.reference}", used_at=timezone.now())  # fmt: skip
        if problem[2] == "approval_expired" and action.state != State.EXPIRED:
            register_update(action, user=None, expected_version=action.version,
                            reason="Expired: its approval was not used in time", state=State.EXPIRED)  # fmt: skip
    raise _refuse(call, *problem, action=action)


# --- outcome ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectorAnswer:
    """What the connector did: its answer (parsed, or text), or an error; the raw answer's digest."""

    ok: bool
    result: Any = None
    error: str = ""
    raw: str | None = None
    latency_ms: int | None = None


def kept_result(result: Any) -> Any:
    """The result as kept on the action: as is when small, else its beginning and size."""
    text = canonical_arguments(result).decode("utf-8")
    if len(text) <= MAX_RESULT_CHARS:
        return result
    return {"truncated": True, "size": len(text), "start": text[:1000]}


def action_complete(action: GatewayAction, *, outcome: ConnectorAnswer, retention_days: int = 30) -> GatewayAction:
    """Record what performing a claimed action gave: ``performed`` or ``failed``, latency and response digest."""
    with transaction.atomic():
        current = (
            GatewayAction.objects.select_for_update(of=("self",))
            .select_related("ai_system", "connector")
            .get(pk=action.pk)
        )
        digest = ""
        if outcome.raw is not None:
            digest = ledger.body_store(ai_system=current.ai_system, content=outcome.raw,
                                       retain_until=_retain_until(retention_days))  # fmt: skip
        event = ledger.event_append(
            ai_system=current.ai_system,
            type=Type.PERFORMED if outcome.ok else Type.FAILED,
            refers_to_sequence=current.proposed_sequence,
            key_id=current.key_id,
            tool=current.tool,
            connector=current.connector.name,
            subject=current.reference,
            policy_version=current.policy_version,
            latency_ms=outcome.latency_ms,
            response_sha256=digest,
            detail=outcome.error[:500],
        )
        return register_update(
            current, user=None, expected_version=current.version,
            reason="Performed" if outcome.ok else f"Failed: {outcome.error}",
            state=State.PERFORMED if outcome.ok else State.FAILED,
            result=kept_result(outcome.result) if outcome.ok else None, error=outcome.error[:500],
            latency_ms=outcome.latency_ms, outcome_sequence=event.sequence,
        )  # fmt: skip
