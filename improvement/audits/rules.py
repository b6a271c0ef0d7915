"""Who may do what in internal audits, in the terms of ``aims.access`` (which alone decides).

Each rule combines ``access.can`` with a role the record gives a person: the lead auditor
and the audit team (who hold an edit grant on their audit when they are contributors), the
programme's owner.
"""

from __future__ import annotations

from typing import Any

from aims import access
from aims.access import Action
from aims.models import ManagementSystem
from improvement.models import AuditProgramme, Finding, InternalAudit


def _may_own(user: Any, management_system_id: int) -> bool:
    membership = access.membership_for(user, management_system_id)
    return membership is not None and access.may_own(membership.role)


def may_override_independence(user: Any, management_system: ManagementSystem) -> bool:
    """An independence override is recorded by whoever edits every register (owner, compliance officer)."""
    return access.can(user, Action.CREATE, management_system)


def may_run_programme(user: Any, programme: AuditProgramme) -> bool:
    """Activate or close a programme: owners and compliance officers, and the programme's own owner."""
    if access.can(user, Action.EDIT, programme):
        return True
    return programme.owner_id == user.pk and _may_own(user, programme.management_system_id)


def may_record_finding(user: Any, management_system: ManagementSystem, audit: InternalAudit | None) -> bool:
    """Record a finding: whoever creates records, or a member of the audit team on their own audit."""
    if access.can(user, Action.CREATE, management_system):
        return True
    return audit is not None and access.can(user, Action.EDIT, audit)


def may_edit_finding(user: Any, finding: Finding) -> bool:
    """Change a finding: whoever may edit it, or a member of the team of its audit."""
    if access.can(user, Action.EDIT, finding):
        return True
    return finding.audit_id is not None and access.can(user, Action.EDIT, finding.audit)


def is_on_team(user: Any, audit: InternalAudit) -> bool:
    return any(member.pk == user.pk for member in audit.team.all())


def may_sign_report(user: Any, audit: InternalAudit) -> bool:
    """The lead auditor signs; for an external lead, a member of the audit team signs on their behalf."""
    if not _may_own(user, audit.management_system_id):
        return False
    if audit.lead_auditor_id is not None:
        return audit.lead_auditor_id == user.pk
    return audit.lead_is_external and is_on_team(user, audit)


def may_acknowledge_report(user: Any, audit: InternalAudit) -> bool:
    """Leadership (and owners) acknowledge the report, and so does the programme's owner."""
    if access.can(user, Action.SIGN_OFF, audit):
        return True
    return audit.programme.owner_id == user.pk and _may_own(user, audit.management_system_id)
