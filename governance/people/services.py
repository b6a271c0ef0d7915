"""Writes of people, AIMS roles, role assignments, competences, competence records and communication (5.3, 7.2 to 7.4).

Every write goes through ``aims.services`` (one history version with the acting user and a
reason, optimistic ``version``). Links (a role's competences, an assignment's person, role and
AI systems, a record's person ...) must belong to the record's own management system.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from aims import access
from aims.models import ManagementSystem, RegisterModel
from aims.services import register_create, register_retire, register_update
from governance.models import (
    AimsRole,
    CommunicationPlanItem,
    CommunicationRecord,
    Competence,
    CompetenceRecord,
    Person,
    RoleAssignment,
)

User = AbstractBaseUser | None


# --- shared rules ------------------------------------------------------------------------------


def _split(model: type[RegisterModel], fields: dict[str, Any]) -> dict[str, list[Any]]:
    """Take the many-to-many links out of the fields (written with the row, in the same version)."""
    return {name: list(fields.pop(name)) for name in model.link_fields() if name in fields}


def _check_same_system(management_system: ManagementSystem, fields: dict[str, Any]) -> None:
    """Refuse a link (foreign key) to a record of another management system."""
    errors = {}
    for name, value in fields.items():
        if isinstance(value, RegisterModel) and value.management_system_id != management_system.pk:
            errors[name] = [f"{value} belongs to another management system."]
    if errors:
        raise ValidationError(errors)


def _create(model: type[RegisterModel], management_system: ManagementSystem, user: User, reason: str, **fields: Any):
    m2m = _split(model, fields)
    _check_same_system(management_system, fields)
    return register_create(model, management_system=management_system, user=user, reason=reason, m2m=m2m, **fields)


def _update(obj: RegisterModel, user: User, expected_version: int | None, reason: str, **fields: Any):
    m2m = _split(type(obj), fields)
    _check_same_system(obj.management_system, fields)
    return register_update(obj, user=user, expected_version=expected_version, reason=reason, m2m=m2m or None, **fields)


def _refuse_if_retired(obj: Any) -> None:
    if getattr(obj, "is_retired", False):
        raise ValidationError(f"{obj.reference} is {obj.retired_label.lower()}: it no longer changes.")


# --- people --------------------------------------------------------------------------------------


def _check_account(management_system: ManagementSystem, account: Any, person: Person | None = None) -> None:
    if account is None:
        return
    if access.membership_for(account, management_system.pk) is None:
        raise ValidationError({"account": f"{account.get_username()} is not a member of this management system."})
    others = Person.objects.filter(management_system=management_system, account=account)
    if person is not None:
        others = others.exclude(pk=person.pk)
    if others.exists():
        raise ValidationError({"account": f"{account.get_username()} is already linked to another person."})


def person_create(*, management_system: ManagementSystem, user: User, reason: str = "Created", **fields: Any) -> Person:
    """Record a person with a part in the AIMS (a board member need not have an account)."""
    _check_account(management_system, fields.get("account"))
    return _create(Person, management_system, user, reason, **fields)


def person_update(
    person: Person, *, user: User, expected_version: int | None, reason: str = "Updated", **fields: Any
) -> Person:
    """Change what is recorded about a person."""
    _refuse_if_retired(person)
    if "account" in fields:
        _check_account(person.management_system, fields["account"], person)
    return _update(person, user, expected_version, reason, **fields)


def person_mark_left(
    person: Person, *, user: User, expected_version: int | None, reason: str, on: date | None = None
) -> Person:
    """Mark a person as left: their current role assignments end on the day (today), then the person is retired."""
    day = on or timezone.localdate()
    with transaction.atomic():
        for assignment in RoleAssignment.objects.filter(person=person).filter(
            models.Q(ends_on__isnull=True) | models.Q(ends_on__gt=day)
        ):
            ends = max(day, assignment.starts_on)
            register_update(
                assignment, user=user, expected_version=assignment.version, reason=f"Ended: {person.name} left",
                ends_on=ends,
            )  # fmt: skip
        return register_retire(person, user=user, expected_version=expected_version, reason=reason)


# --- AIMS roles --------------------------------------------------------------------------------


def role_create(*, management_system: ManagementSystem, user: User, reason: str = "Created", **fields: Any) -> AimsRole:
    """Add an AIMS role with its responsibilities, authorities and required competences."""
    return _create(AimsRole, management_system, user, reason, **fields)


def _check_reports_to(role: AimsRole, fields: dict[str, Any]) -> None:
    boss = fields.get("reports_to")
    seen = {role.pk}
    while boss is not None:
        if boss.pk in seen:
            raise ValidationError({"reports_to": "A role cannot report to itself, even through other roles."})
        seen.add(boss.pk)
        boss = boss.reports_to


def role_update(
    role: AimsRole, *, user: User, expected_version: int | None, reason: str = "Updated", **fields: Any
) -> AimsRole:
    """Change a role's responsibilities, authorities, line of reporting or required competences."""
    _refuse_if_retired(role)
    _check_reports_to(role, fields)
    return _update(role, user, expected_version, reason, **fields)


def role_retire(role: AimsRole, *, user: User, expected_version: int | None, reason: str) -> AimsRole:
    """Retire a role nobody holds any more (end its assignments first)."""
    today = timezone.localdate()
    holders = [a for a in role.assignments.select_related("person") if a.ends_on is None or a.ends_on >= today]
    if holders:
        names = ", ".join(sorted({a.person.name for a in holders}))
        raise ValidationError(f"{role.name} is still held by {names}: end their assignments first.")
    return register_retire(role, user=user, expected_version=expected_version, reason=reason)


# --- role assignments ----------------------------------------------------------------------------


def _check_assignment(fields: dict[str, Any]) -> None:
    person, role = fields.get("person"), fields.get("role")
    # Read again: the caller's copy may predate a departure or a retirement.
    if person is not None and Person.objects.filter(pk=person.pk, retired_at__isnull=False).exists():
        raise ValidationError({"person": f"{person.name} has left: they cannot be given a role."})
    if role is not None and AimsRole.objects.filter(pk=role.pk, retired_at__isnull=False).exists():
        raise ValidationError({"role": f"{role.name} is retired: nobody can be given it."})


def assignment_create(
    *, management_system: ManagementSystem, user: User, reason: str = "Created", **fields: Any
) -> RoleAssignment:
    """Appoint a person to an AIMS role, for some AI systems (none: all of them), from a date."""
    _check_assignment(fields)
    return _create(RoleAssignment, management_system, user, reason, **fields)


def assignment_update(
    assignment: RoleAssignment, *, user: User, expected_version: int | None, reason: str = "Updated", **fields: Any
) -> RoleAssignment:
    """Change an assignment (its AI systems, dates, who appointed)."""
    changed = {k: v for k, v in fields.items() if k in ("person", "role") and v != getattr(assignment, k)}
    _check_assignment(changed)
    return _update(assignment, user, expected_version, reason, **fields)


def assignment_end(
    assignment: RoleAssignment, *, user: User, expected_version: int | None, reason: str, on: date | None = None
) -> RoleAssignment:
    """End an assignment on the day (today); the person no longer holds the role after it."""
    day = on or timezone.localdate()
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why the assignment ends."})
    if assignment.ends_on is not None and assignment.ends_on <= day:
        raise ValidationError(f"{assignment.reference} already ended on {assignment.ends_on:%d %b %Y}.")
    if day < assignment.starts_on:
        raise ValidationError({"on": "An assignment cannot end before it starts."})
    return register_update(
        assignment, user=user, expected_version=expected_version, reason=f"Ended: {reason}", ends_on=day
    )


# --- competences and competence records -------------------------------------------------------------


def competence_create(
    *, management_system: ManagementSystem, user: User, reason: str = "Created", **fields: Any
) -> Competence:
    """Add a competence a role may require."""
    return _create(Competence, management_system, user, reason, **fields)


def competence_update(
    competence: Competence, *, user: User, expected_version: int | None, reason: str = "Updated", **fields: Any
) -> Competence:
    """Change a competence (its validity applies to records made from now on)."""
    _refuse_if_retired(competence)
    return _update(competence, user, expected_version, reason, **fields)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _with_expiry(fields: dict[str, Any], current: CompetenceRecord | None = None) -> dict[str, Any]:
    """An expiry left empty is derived from the competence's validity, when it has one."""
    competence = fields.get("competence", getattr(current, "competence", None))
    achieved = fields.get("achieved_on", getattr(current, "achieved_on", None))
    if "expires_on" in fields and fields["expires_on"] is None and competence and achieved:
        if competence.validity_months:
            fields["expires_on"] = add_months(achieved, competence.validity_months)
    return fields


def _check_record(fields: dict[str, Any]) -> None:
    competence = fields.get("competence")
    if competence is not None and competence.is_retired:
        raise ValidationError({"competence": f"{competence.name} is retired."})


def competence_record_create(
    *, management_system: ManagementSystem, user: User, reason: str = "Created", **fields: Any
) -> CompetenceRecord:
    """Record that a person has a competence, on a basis, from a date (expiry derived when not given)."""
    fields.setdefault("expires_on", None)
    _check_record(fields)
    return _create(CompetenceRecord, management_system, user, reason, **_with_expiry(fields))


def competence_record_update(
    record: CompetenceRecord, *, user: User, expected_version: int | None, reason: str = "Updated", **fields: Any
) -> CompetenceRecord:
    """Change a competence record."""
    _refuse_if_retired(record)
    if "competence" in fields and fields["competence"] != record.competence:
        _check_record(fields)
    return _update(record, user, expected_version, reason, **_with_expiry(fields, record))


# --- communication ---------------------------------------------------------------------------------


def plan_item_create(
    *, management_system: ManagementSystem, user: User, reason: str = "Created", **fields: Any
) -> CommunicationPlanItem:
    """Add an item to the communication plan: what, when, with whom, how, who (7.4)."""
    return _create(CommunicationPlanItem, management_system, user, reason, **fields)


def plan_item_update(
    item: CommunicationPlanItem, *, user: User, expected_version: int | None, reason: str = "Updated", **fields: Any
) -> CommunicationPlanItem:
    """Change an item of the communication plan."""
    _refuse_if_retired(item)
    return _update(item, user, expected_version, reason, **fields)


def _record_defaults(fields: dict[str, Any]) -> dict[str, Any]:
    """A record of a plan item takes the item's AI literacy flag when it is not set."""
    item = fields.get("plan_item")
    if item is not None and item.ai_literacy and "ai_literacy" not in fields:
        fields["ai_literacy"] = True
    if item is not None and item.is_retired:
        raise ValidationError({"plan_item": f"{item.reference} is retired from the plan."})
    return fields


def communication_create(
    *, management_system: ManagementSystem, user: User, reason: str = "Created", **fields: Any
) -> CommunicationRecord:
    """Record a communication delivered (an AI literacy training session carries the AI literacy flag)."""
    return _create(CommunicationRecord, management_system, user, reason, **_record_defaults(fields))


def communication_update(
    record: CommunicationRecord, *, user: User, expected_version: int | None, reason: str = "Updated", **fields: Any
) -> CommunicationRecord:
    """Change a communication record (its acknowledgements, say)."""
    _refuse_if_retired(record)
    if "plan_item" in fields and fields["plan_item"] != record.plan_item:
        _record_defaults({"plan_item": fields["plan_item"], "ai_literacy": None})
    return _update(record, user, expected_version, reason, **fields)


def retire(obj: Any, *, user: User, expected_version: int | None, reason: str) -> Any:
    """Retire (withdraw) a competence, competence record, plan item or communication record with a reason."""
    return register_retire(obj, user=user, expected_version=expected_version, reason=reason)
