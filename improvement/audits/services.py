"""Writes of the internal audit programme and internal audits with their checks (9.2); findings are in
``finding_services``.

Every write records the acting user and a reason; a programme's planned items and an audit's
checks are its child rows, saved with history in the same transaction as their parent, and
each change to them is a version of the parent. Workflow transitions (approved, active,
closed; in progress, reported, closed) are versions that change the status only, so that
what was signed stays recognisable (see ``improvement.audits.signoffs``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from aims import access, ledger
from aims.models import ManagementSystem, SignOff
from aims.services import (
    StaleVersionError,
    StillReferencedError,
    check_assignee,
    references_to,
    register_create,
    register_delete,
    register_retire,
    register_update,
)
from controls.catalog import ANNEX_A, CLAUSES
from improvement.audits import independence, rules, signoffs
from improvement.models import AuditCheck, AuditProgramme, InternalAudit, ProgrammeItem

AUDIT_LINKS = InternalAudit.link_fields()
REQUIREMENT_FRAMEWORKS = (CLAUSES, ANNEX_A)


class CheckChanged(StaleVersionError):
    """A check changed since the auditor opened it."""

    def __init__(self, check: AuditCheck, expected: int | None) -> None:
        self.obj, self.expected, self.current = check, expected, check.version
        Exception.__init__(
            self,
            f"The check of {check.requirement.key} was changed by someone else since you opened it (you had version "
            f"{expected}, it is now version {check.version}). Nothing was saved: reload it, then record your result "
            "again.",
        )


def split(fields: dict[str, Any], names: Iterable[str]) -> dict[str, list[Any]]:
    """Take the many-to-many links out of a service's fields."""
    return {name: list(fields.pop(name)) for name in names if name in fields}


def _save_child(child: Any, user: AbstractBaseUser | None, reason: str, *, delete: bool = False) -> None:
    """Write a child row (a planned item, a check) with the acting user and reason in its history."""
    child._history_user = user
    child._change_reason = reason[:100]
    child.delete() if delete else child.save()


def _one_line(reason: str) -> str:
    return " ".join((reason or "").split())


def check_requirements(requirements: Iterable[Any], field: str) -> None:
    """Refuse requirements outside the clauses 4 to 10 and Annex A."""
    foreign = [r for r in requirements if r.framework.key not in REQUIREMENT_FRAMEWORKS]
    if foreign:
        raise ValidationError(
            {field: f"{', '.join(r.key for r in foreign)}: choose clauses 4 to 10 or Annex A controls."}
        )


def check_systems(management_system: ManagementSystem, systems: Iterable[Any], field: str) -> None:
    """Refuse AI systems of another management system."""
    foreign = [s for s in systems if s is not None and s.management_system_id != management_system.pk]
    if foreign:
        raise ValidationError({field: f"{', '.join(str(s) for s in foreign)} belongs to another management system."})


# --- the audit programme ----------------------------------------------------------------------------


def _replace_items(
    programme: AuditProgramme, items: Iterable[Mapping[str, Any]], user: AbstractBaseUser | None, reason: str
) -> None:
    """Update items that keep their id, add new ones and delete those left out; unchanged ones are not touched."""
    existing = {item.pk: item for item in programme.items.all()}
    kept = set()
    for data in items:
        item = existing.get(data.get("id")) or ProgrammeItem(programme=programme)
        values = {name: data.get(name) or ("" if name == "process" else None) for name in ProgrammeItem.editable_fields}
        values["process"] = _one_line(values["process"])
        values["planned_quarter"] = (values["planned_quarter"] or "").strip().upper()
        if item.pk and all(getattr(item, k) == v for k, v in values.items()):
            kept.add(item.pk)
            continue
        for name, value in values.items():
            setattr(item, name, value)
        check_systems(programme.management_system, [item.ai_system], "items")
        if item.requirement is not None:
            check_requirements([item.requirement], "items")
        try:
            item.full_clean(exclude=["programme"])
        except ValidationError as exc:
            raise ValidationError(
                {"items": [f"{item.subject or 'A planned item'}: {m}" for m in exc.messages]}
            ) from exc
        _save_child(item, user, reason)
        kept.add(item.pk)
    for pk, item in existing.items():
        if pk not in kept:
            _save_child(item, user, reason, delete=True)


def programme_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "Created",
    items: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> AuditProgramme:
    """Record an internal audit programme (draft) with its planned items."""
    with transaction.atomic():
        check_assignee(management_system, fields.get("owner"))
        programme = register_create(
            AuditProgramme, management_system=management_system, user=user, reason=reason, **fields
        )
        _replace_items(programme, items, user, reason)
    return programme


def programme_update(
    programme: AuditProgramme,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    items: Iterable[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> AuditProgramme:
    """Change a programme and its planned items (one version); after approval it shows "changed since approved"."""
    with transaction.atomic():
        if "owner" in fields:
            check_assignee(programme.management_system, fields["owner"])
        updated = register_update(programme, user=user, expected_version=expected_version, reason=reason, **fields)
        if items is not None:
            _replace_items(updated, items, user, reason)
    return updated


def programme_delete(
    programme: AuditProgramme, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Deleted"
) -> None:
    """Delete a programme nothing refers to (no audit, no sign-off); its history stays."""
    with transaction.atomic():
        references = references_to(programme)
        if references:
            raise StillReferencedError(programme, references)
        _replace_items(programme, [], user, reason)
        register_delete(programme, user=user, expected_version=expected_version, reason=reason)


def programme_retire(
    programme: AuditProgramme, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> AuditProgramme:
    """Retire a programme that audits or sign-offs refer to (a superseded cycle); it stays readable."""
    return register_retire(programme, user=user, expected_version=expected_version, reason=reason)


def _transition(obj: Any, *, user: AbstractBaseUser | None, expected_version: int | None, to: str, reason: str) -> Any:
    """Move a record to another state: a version that changes the status only."""
    return register_update(obj, user=user, expected_version=expected_version, reason=reason, status=to)


def _required_reason(reason: str, what: str) -> str:
    reason = _one_line(reason)
    if not reason:
        raise ValidationError({"reason": f"Say why you {what}."})
    return reason


def check_version(obj: Any, expected_version: int | None) -> None:
    """Refuse a write based on a version that is no longer the record's."""
    if expected_version is not None and int(expected_version) != obj.version:
        raise StaleVersionError(obj, expected_version)


def programme_approve(
    programme: AuditProgramme,
    *,
    user: AbstractBaseUser,
    statement: str,
    verification: str | Callable[[], str],
    expected_version: int | None = None,
    expected_token: str | None = None,
    override_reason: str = "",
    job_title: str = "",
) -> SignOff:
    """Leadership approves the programme as it stands (9.2.2); a draft becomes approved."""
    with transaction.atomic():
        current = AuditProgramme.objects.select_for_update().get(pk=programme.pk)
        check_version(current, expected_version)
        signoff = ledger.sign_off(
            kind=signoffs.PROGRAMME_APPROVAL,
            subject=current,
            user=user,
            statement=statement,
            verification=verification,
            expected_token=expected_token,
            override_reason=override_reason,
            job_title=job_title,
        )
        if current.status == AuditProgramme.Status.DRAFT:
            _transition(
                current,
                user=user,
                expected_version=None,
                to=AuditProgramme.Status.APPROVED,
                reason=f"Approved by leadership (sign-off #{signoff.sequence})",
            )
    return signoff


def programme_activate(
    programme: AuditProgramme, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> AuditProgramme:
    """Put an approved programme into effect: its audits may start."""
    reason = _required_reason(reason, "activate the programme")
    with transaction.atomic():
        current = AuditProgramme.objects.select_for_update().get(pk=programme.pk)
        check_version(current, expected_version)
        if current.is_retired:
            raise ValidationError(f"{current.reference} is retired.")
        if current.status != AuditProgramme.Status.APPROVED:
            raise ValidationError(
                f"{current.reference} is {current.get_status_display().lower()}: only an approved programme is activated."
            )
        if not signoffs.is_signed_as_it_stands(signoffs.PROGRAMME_APPROVAL, current):
            raise ValidationError(
                f"{current.reference} changed since leadership approved it: leadership approves this version first."
            )
        return _transition(
            current, user=user, expected_version=None, to=AuditProgramme.Status.ACTIVE, reason=f"Activated: {reason}"
        )


def programme_close(
    programme: AuditProgramme, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> AuditProgramme:
    """Close an active programme at the end of its cycle, once none of its audits is planned or running."""
    reason = _required_reason(reason, "close the programme")
    with transaction.atomic():
        current = AuditProgramme.objects.select_for_update().get(pk=programme.pk)
        check_version(current, expected_version)
        if current.status != AuditProgramme.Status.ACTIVE:
            raise ValidationError(
                f"{current.reference} is {current.get_status_display().lower()}: only an active programme is closed."
            )
        open_audits = current.audits.filter(
            retired_at__isnull=True, status__in=[InternalAudit.Status.PLANNED, InternalAudit.Status.IN_PROGRESS]
        ).order_by("reference")
        if open_audits:
            names = ", ".join(f"{a.reference} ({a.get_status_display().lower()})" for a in open_audits)
            raise ValidationError(
                f"Audits of {current.reference} are not finished: {names}. Report them, or withdraw those that will "
                "not take place, before closing the programme."
            )
        return _transition(
            current, user=user, expected_version=None, to=AuditProgramme.Status.CLOSED, reason=f"Closed: {reason}"
        )


# --- internal audits ----------------------------------------------------------------------------------


def _people(audit: InternalAudit) -> set[Any]:
    people = set(audit.team.all())
    if audit.lead_auditor is not None:
        people.add(audit.lead_auditor)
    return people


def _check_auditors(management_system: ManagementSystem, lead: Any, team: list[Any]) -> None:
    """Auditors are members who may be assigned records (they record checks and findings)."""
    check_assignee(management_system, lead, "lead_auditor")
    for member in team:
        check_assignee(management_system, member, "team")


def _check_programme(management_system: ManagementSystem, programme: AuditProgramme | None) -> None:
    if programme is None:
        return
    if programme.management_system_id != management_system.pk:
        raise ValidationError({"programme": "This programme belongs to another management system."})
    if programme.is_retired or programme.status == AuditProgramme.Status.CLOSED:
        raise ValidationError({"programme": f"{programme.reference} is closed: choose the programme of the cycle."})


def _check_independence(
    management_system: ManagementSystem,
    *,
    lead: Any,
    team: list[Any],
    requirements: list[Any],
    systems: list[Any],
    override: str,
) -> None:
    """Refuse auditors who own something in scope, unless an independence override says why they audit it."""
    owned = independence.ownership_in_scope(
        management_system=management_system,
        users=[lead, *team],
        requirement_ids=[r.pk for r in requirements],
        system_ids=[s.pk for s in systems],
    )
    if not owned or override.strip():
        return
    advice = (
        ": an auditor does not audit their own work (9.2.2 c). Choose another auditor, or record why they audit "
        "it anyway (independence override)."
    )
    errors = {}
    if lead is not None and lead.pk in owned:
        errors["lead_auditor"] = independence.describe([lead], owned) + advice
    conflicted = [member for member in team if member.pk in owned and member != lead]
    if conflicted:
        errors["team"] = independence.describe(conflicted, owned) + advice
    raise ValidationError(errors)


def _check_override_allowed(
    user: AbstractBaseUser | None, management_system: ManagementSystem, before: str, after: str
) -> None:
    if (
        user is not None
        and _one_line(before) != _one_line(after)
        and not rules.may_override_independence(user, management_system)
    ):
        raise PermissionDenied("Only an owner or a compliance officer records an independence override.")


def _sync_checks(audit: InternalAudit, user: AbstractBaseUser | None, reason: str) -> None:
    """One check per requirement in scope: add the missing ones; drop those out of scope with nothing recorded."""
    scope = set(audit.scope_requirements.values_list("pk", flat=True))
    existing = {check.requirement_id: check for check in audit.checks.all()}
    for requirement_id in sorted(scope - set(existing)):
        _save_child(AuditCheck(audit=audit, requirement_id=requirement_id), user, reason)
    for requirement_id, check in existing.items():
        if requirement_id not in scope and not check.is_recorded:
            _save_child(check, user, reason, delete=True)


def _sync_grants(audit: InternalAudit, previous: set[Any]) -> None:
    """The lead auditor and the team edit their audit (contributors through a grant); those who left lose it."""
    now = _people(audit)
    for person in previous - now:
        access.revoke_object_edit(person, audit)
    for person in now:
        access.grant_object_edit(person, audit)


def internal_audit_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "Created",
    independence_override: str = "",
    **fields: Any,
) -> InternalAudit:
    """Plan an internal audit: its scope, criteria and auditors, one check per requirement in scope."""
    with transaction.atomic():
        m2m = split(fields, AUDIT_LINKS)
        lead, team = fields.get("lead_auditor"), m2m.get("team", [])
        _check_auditors(management_system, lead, team)
        _check_programme(management_system, fields.get("programme"))
        check_requirements(m2m.get("scope_requirements", []), "scope_requirements")
        _check_override_allowed(user, management_system, "", independence_override)
        _check_independence(
            management_system,
            lead=lead,
            team=team,
            requirements=m2m.get("scope_requirements", []),
            systems=m2m.get("scope_ai_systems", []),
            override=independence_override,
        )
        audit = register_create(
            InternalAudit,
            management_system=management_system,
            user=user,
            reason=reason,
            m2m=m2m,
            independence_override=_one_line(independence_override),
            **fields,
        )
        _sync_checks(audit, user, reason)
        _sync_grants(audit, set())
    return audit


def internal_audit_update(
    audit: InternalAudit,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    independence_override: str | None = None,
    **fields: Any,
) -> InternalAudit:
    """Change an audit (scope, auditors, dates, conclusion); checks follow the scope, grants follow the team."""
    with transaction.atomic():
        current = InternalAudit.objects.select_for_update().get(pk=audit.pk)
        check_version(current, expected_version)
        m2m = split(fields, AUDIT_LINKS)
        lead = fields["lead_auditor"] if "lead_auditor" in fields else current.lead_auditor
        team = m2m["team"] if "team" in m2m else list(current.team.all())
        requirements = m2m.get("scope_requirements", list(current.scope_requirements.all()))
        systems = m2m.get("scope_ai_systems", list(current.scope_ai_systems.all()))
        if "lead_auditor" in fields or "team" in m2m:
            _check_auditors(current.management_system, fields.get("lead_auditor"), m2m.get("team", []))
        _check_programme(current.management_system, fields.get("programme"))
        check_requirements(requirements, "scope_requirements")
        override = current.independence_override if independence_override is None else independence_override
        _check_override_allowed(user, current.management_system, current.independence_override, override)
        _check_independence(
            current.management_system,
            lead=lead,
            team=team,
            requirements=requirements,
            systems=systems,
            override=override,
        )
        previous = _people(current)
        updated = register_update(
            current,
            user=user,
            expected_version=expected_version,
            reason=reason,
            m2m=m2m,
            independence_override=_one_line(override),
            **fields,
        )
        _sync_checks(updated, user, reason)
        _sync_grants(updated, previous)
    return updated


def internal_audit_start(
    audit: InternalAudit, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = ""
) -> InternalAudit:
    """Start a planned audit: it needs a lead auditor, a scope and an approved (or active) programme."""
    with transaction.atomic():
        current = InternalAudit.objects.select_for_update(of=("self",)).select_related("programme").get(pk=audit.pk)
        check_version(current, expected_version)
        problems = []
        if current.is_retired:
            problems.append(f"{current.reference} is withdrawn.")
        if current.status != InternalAudit.Status.PLANNED:
            problems.append(f"{current.reference} is already {current.get_status_display().lower()}.")
        if not current.has_lead:
            problems.append("Name the lead auditor first.")
        if not current.scope_requirements.exists():
            problems.append("Put at least one clause or control in scope first.")
        programme = current.programme
        if programme.status not in (AuditProgramme.Status.APPROVED, AuditProgramme.Status.ACTIVE):
            problems.append(
                f"The programme {programme.reference} is {programme.get_status_display().lower()}: audits start "
                "once leadership has approved it."
            )
        if problems:
            raise ValidationError(problems)
        note = _one_line(reason)
        return _transition(
            current,
            user=user,
            expected_version=None,
            to=InternalAudit.Status.IN_PROGRESS,
            reason=f"Started{': ' + note if note else ''}",
        )


def _sign(kind: str, audit: InternalAudit, *, then: tuple[str, str] | None, **signing: Any) -> SignOff:
    """Sign the audit as it stands, then move it along (from, to) when it is in the first state."""
    expected_version = signing.pop("expected_version", None)
    with transaction.atomic():
        current = InternalAudit.objects.select_for_update().get(pk=audit.pk)
        check_version(current, expected_version)
        signoff = ledger.sign_off(kind=kind, subject=current, **signing)
        if then is not None and current.status == then[0]:
            label = ledger.signable(kind).label
            _transition(
                current,
                user=signing["user"],
                expected_version=None,
                to=then[1],
                reason=f"{label}: {ledger.signable(kind).done_label.lower()} (sign-off #{signoff.sequence})",
            )
    return signoff


def audit_report_sign(audit: InternalAudit, **signing: Any) -> SignOff:
    """The lead auditor signs the report (once every check in scope has a result); the audit is reported."""
    return _sign(
        signoffs.REPORT, audit, then=(InternalAudit.Status.IN_PROGRESS, InternalAudit.Status.REPORTED), **signing
    )


def audit_report_acknowledge(audit: InternalAudit, **signing: Any) -> SignOff:
    """Leadership or the programme's owner acknowledges the signed report; the audit is closed."""
    return _sign(
        signoffs.REPORT_ACKNOWLEDGEMENT,
        audit,
        then=(InternalAudit.Status.REPORTED, InternalAudit.Status.CLOSED),
        **signing,
    )


def internal_audit_delete(
    audit: InternalAudit, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Deleted"
) -> None:
    """Delete an audit nothing refers to (no finding, no sign-off, no evidence); its history stays."""
    with transaction.atomic():
        references = references_to(audit)
        if references:
            raise StillReferencedError(audit, references)
        for check in audit.checks.all():
            _save_child(check, user, reason, delete=True)
        register_delete(audit, user=user, expected_version=expected_version, reason=reason)


def internal_audit_withdraw(
    audit: InternalAudit, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> InternalAudit:
    """Withdraw an audit that will not take place (or was recorded by mistake); it stays readable."""
    return register_retire(audit, user=user, expected_version=expected_version, reason=reason)


def touch_audit(audit: InternalAudit | None, user: AbstractBaseUser | None, reason: str) -> None:
    """A change to an audit's checks or findings is a version of the audit (its report changes)."""
    if audit is not None:
        register_update(audit, user=user, expected_version=None, reason=reason)


def check_record(
    check: AuditCheck,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "",
    **fields: Any,
) -> AuditCheck:
    """Record what was tested for one requirement, on which sample, and the result."""
    with transaction.atomic():
        audit = InternalAudit.objects.select_for_update().get(pk=check.audit_id)
        current = AuditCheck.objects.select_for_update(of=("self",)).select_related("requirement").get(pk=check.pk)
        if expected_version is not None and int(expected_version) != current.version:
            raise CheckChanged(current, expected_version)
        if audit.status == InternalAudit.Status.PLANNED:
            raise ValidationError(f"{audit.reference} is still planned: start the audit before recording its checks.")
        for name in AuditCheck.editable_fields:
            if name in fields and name != "requirement":
                setattr(current, name, fields[name])
        current.version += 1
        current.full_clean(exclude=["audit"])
        note = _one_line(reason) or f"result {current.get_result_display().lower()}"
        _save_child(current, user, f"Check {current.requirement.key}: {note}")
        touch_audit(audit, user, f"Check {current.requirement.key}: {note}")
    return current
