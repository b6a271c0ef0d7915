"""Writes of findings (9.2, 10.2): a major or minor finding creates its nonconformity in the same
transaction, linked both ways; a change to an audit's findings is a version of the audit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from aims.models import ManagementSystem
from aims.services import next_reference, register_create, register_delete, register_retire, register_update
from improvement.audits.services import check_requirements, check_systems, check_version, split, touch_audit
from improvement.models import Finding, Nonconformity
from improvement.nonconformities.services import nonconformity_create

FINDING_LINKS = Finding.link_fields()

GRADE_OF = {Finding.Type.MAJOR: Nonconformity.Grade.MAJOR, Finding.Type.MINOR: Nonconformity.Grade.MINOR}


def _statement(fields: Mapping[str, Any]) -> str:
    return (
        f"Requirement: {fields.get('requirement_statement', '')}\n\n"
        f"Evidence: {fields.get('evidence_statement', '')}\n\n"
        f"Found: {fields.get('found_statement', '')}"
    )


def _raise_nonconformity(
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reference: str,
    fields: Mapping[str, Any],
    m2m: Mapping[str, list[Any]],
) -> Nonconformity:
    """The nonconformity a major or minor finding is: source finding, graded by the finding's type."""
    audit = fields.get("audit")
    detail = f"Finding {reference}" + (f" of internal audit {audit.reference}" if audit is not None else "")
    return nonconformity_create(
        management_system=management_system,
        user=user,
        reason=f"Raised by finding {reference}",
        title=fields["title"],
        source=Nonconformity.Source.FINDING,
        source_detail=detail[:300],
        grade=GRADE_OF[fields["finding_type"]],
        requirements=m2m.get("requirements", []),
        ai_systems=m2m.get("ai_systems", []),
        nature=_statement(fields),
    )


def _check_finding(
    management_system: ManagementSystem, fields: Mapping[str, Any], m2m: Mapping[str, list[Any]]
) -> None:
    audit = fields.get("audit")
    if audit is not None and audit.management_system_id != management_system.pk:
        raise ValidationError({"audit": "This audit belongs to another management system."})
    check_requirements(m2m.get("requirements", []), "requirements")
    check_systems(management_system, m2m.get("ai_systems", []), "ai_systems")
    candidate = Finding(management_system=management_system, **fields)
    candidate.full_clean(exclude=["reference", "nonconformity"])


def finding_create(
    *, management_system: ManagementSystem, user: AbstractBaseUser | None, reason: str = "Created", **fields: Any
) -> Finding:
    """Record a finding; a major or minor one creates its nonconformity in the same transaction, linked both ways."""
    with transaction.atomic():
        ManagementSystem.objects.select_for_update().filter(pk=management_system.pk).exists()
        m2m = split(fields, FINDING_LINKS)
        _check_finding(management_system, fields, m2m)
        if fields["finding_type"] in Finding.NONCONFORMING:
            # The management system is locked: the finding gets the reference the nonconformity names.
            reference = next_reference(Finding, management_system)
            fields["nonconformity"] = _raise_nonconformity(management_system, user, reference, fields, m2m)
        finding = register_create(
            Finding, management_system=management_system, user=user, reason=reason, m2m=m2m, **fields
        )
        touch_audit(finding.audit, user, f"Finding {finding.reference} recorded")
    return finding


def finding_update(
    finding: Finding,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> Finding:
    """Change a finding; one that becomes major or minor raises its nonconformity then. A raised one keeps its type."""
    with transaction.atomic():
        current = (
            Finding.objects.select_for_update(of=("self",)).select_related("nonconformity", "audit").get(pk=finding.pk)
        )
        check_version(current, expected_version)
        new_type = fields.get("finding_type", current.finding_type)
        if current.nonconformity_id and new_type != current.finding_type:
            raise ValidationError(
                {
                    "finding_type": f"{current.reference} raised {current.nonconformity.reference}: its grade is "
                    "managed on the nonconformity now, so the finding's type stays. Withdraw the finding if it was "
                    "wrong."
                }
            )
        m2m = split(fields, FINDING_LINKS)
        merged = {name: getattr(current, name) for name in Finding.editable_fields if name not in FINDING_LINKS}
        merged.update(fields)
        links = {name: m2m.get(name, list(getattr(current, name).all())) for name in FINDING_LINKS}
        _check_finding(current.management_system, merged, links)
        if new_type in Finding.NONCONFORMING and not current.nonconformity_id:
            fields["nonconformity"] = _raise_nonconformity(
                current.management_system, user, current.reference, merged, links
            )
        previous_audit = current.audit
        updated = register_update(
            current, user=user, expected_version=expected_version, reason=reason, m2m=m2m, **fields
        )
        touch_audit(updated.audit, user, f"Finding {updated.reference} changed")
        if previous_audit is not None and previous_audit != updated.audit:
            touch_audit(previous_audit, user, f"Finding {updated.reference} moved to another audit")
    return updated


def finding_withdraw(
    finding: Finding, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> Finding:
    """Withdraw a finding recorded in error; a nonconformity it raised is withdrawn on its own page."""
    with transaction.atomic():
        withdrawn = register_retire(finding, user=user, expected_version=expected_version, reason=reason)
        touch_audit(withdrawn.audit, user, f"Finding {withdrawn.reference} withdrawn")
    return withdrawn


def finding_references(record: Any) -> list[str]:
    """A finding that raised a nonconformity is referred to by it (it is withdrawn, never deleted)."""
    if isinstance(record, Finding) and record.nonconformity_id:
        return [f"nonconformity {record.nonconformity.reference} (raised by it)"]
    return []


def finding_is_referenced(record: Any) -> bool:
    """Whether ``finding_references`` names anything, without reading the nonconformity."""
    return isinstance(record, Finding) and bool(record.nonconformity_id)


def finding_delete(
    finding: Finding, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Deleted"
) -> None:
    """Delete a finding that raised no nonconformity and nothing refers to; its history stays."""
    with transaction.atomic():
        current = Finding.objects.select_related("audit").get(pk=finding.pk)
        audit = current.audit
        register_delete(current, user=user, expected_version=expected_version, reason=reason)
        touch_audit(audit, user, f"Finding {current.reference} deleted")
