"""Approving a gateway policy version is a sign-off (kind ``gateway_policy_approval``, see ``aims.ledger``).

What is signed is the version as it was submitted for approval (its settings) and every rule it
holds, so the signature is bound to the exact rules that will decide. Who approves (issue 14,
section 3: "leadership or the AIMS manager"): a member whose role is leadership, or an owner or
officer holding the AIMS manager role of the management system (``governance`` AIMS roles, key
``aims_manager``, the same role the people register names). Whoever last changed the settings or a
rule does not approve it (four eyes) unless they record why.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from aims import access, ledger
from aims.models import Role
from gateway.models import PolicyRule, PolicyVersion
from governance.models import AimsRole
from governance.people.selectors import holds_aims_role

APPROVAL = "gateway_policy_approval"
Status = PolicyVersion.Status
# The fields of a version that are its content (a status change is not a change of what is signed).
CONTENT = PolicyVersion.editable_fields
MANAGER_ROLES = (Role.OWNER, Role.OFFICER)


def approval_versions(version: PolicyVersion) -> list[Any]:
    """The version as submitted (its newest history row awaiting approval) and the current row of each rule."""
    row = version.history.filter(status=Status.IN_REVIEW).order_by("-history_date", "-history_id").first()
    if row is None:
        return []
    rules = PolicyRule.history.filter(id__in=version.rules.values("pk"))
    latest: dict[int, Any] = {}
    for rule_row in rules.order_by("history_date", "history_id"):
        latest[rule_row.id] = rule_row
    return [row, *latest.values()]


def last_content_editor(version: PolicyVersion) -> int | None:
    """Who last changed the settings or a rule (added, changed or removed): not the approver."""
    newest: tuple[Any, int | None] | None = None
    previous = None
    for row in version.history.order_by("history_date", "history_id"):
        if previous is None or any(getattr(row, name) != getattr(previous, name) for name in CONTENT):
            newest = ((row.history_date, 0, row.history_id), row.history_user_id)
        previous = row
    rule_row = (
        PolicyRule.history.filter(policy_id=version.pk)
        .order_by("-history_date", "-history_id")
        .values_list("history_date", "history_id", "history_user_id")
        .first()
    )
    if rule_row is not None and (newest is None or (rule_row[0], 1, rule_row[1]) > newest[0]):
        newest = ((rule_row[0], 1, rule_row[1]), rule_row[2])
    return newest[1] if newest else None


def may_approve(user: Any, version: PolicyVersion) -> bool:
    """Leadership, or an owner or officer who holds the AIMS manager role."""
    role = access.role_of(user, version.management_system)
    if role == Role.LEADERSHIP:
        return True
    return role in MANAGER_ROLES and holds_aims_role(user, version.management_system, AimsRole.AIMS_MANAGER)


def approval_refusal(version: PolicyVersion) -> str:
    return (
        "A gateway policy is approved by leadership or by the AIMS manager (an owner or officer holding the AIMS "
        "manager role under People and roles)."
    )


def approval_rule(version: PolicyVersion) -> str:
    return (
        "Leadership or the AIMS manager approves the version awaiting approval; it is then in force and the "
        "version in force before is superseded."
    )


def approval_blockers(version: PolicyVersion) -> list[str]:
    """What stops the version from being approved now."""
    if version.status == Status.APPROVED:
        return [f"{version.label} is already approved."]
    if version.status == Status.SUPERSEDED:
        return [f"{version.label} was superseded."]
    if version.status == Status.WITHDRAWN:
        return [f"{version.label} was withdrawn."]
    if version.status == Status.DRAFT:
        return [f"{version.label} is a draft: submit it for approval first."]
    return []


def annotate_approvals(records: list[Any], kind: str = APPROVAL) -> list[Any]:
    """``ledger.annotate_sign_offs``, where coming into force (a new record version) is not a change of what was signed.

    A version is signed as submitted and approved in the same transaction; from then on it never
    changes, so an approved or superseded version is never "changed since signed".
    """
    records = ledger.annotate_sign_offs(records, kind)
    for record in records:
        if record.status in (Status.APPROVED, Status.SUPERSEDED):
            record.changed_since_signed = False
    return records


def version_url(ms_id: int, pk: int, name: str = "policy_detail") -> str:
    return reverse(f"gateway:{name}", args=[ms_id, pk])


def register() -> None:
    """Declare the approval of a gateway policy version as a kind of sign-off."""
    ledger.register_signable(
        APPROVAL,
        label="Gateway policy approval",
        subject_model=PolicyVersion,
        versions=approval_versions,
        may_sign=may_approve,
        blockers=approval_blockers,
        refusal=approval_refusal,
        rule=approval_rule,
        diff_url=lambda version, signoff: version_url(version.management_system_id, version.pk, "policy_history"),
        subject_url=lambda signoff: version_url(signoff.management_system_id, signoff.subject_id),
        statement="I have reviewed this version of the gateway policy, its personal data actions and its rules, "
        "and approve it to be in force.",
        last_editor=last_content_editor,
    )
