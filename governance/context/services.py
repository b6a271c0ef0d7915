"""Writes of the context of the organisation (4.1) and the interested parties' requirements (4.2).

Each write goes through ``aims.services``: one history version with the acting user and a
reason, refused on a stale version, links only to records of the same management system.
Records are retired with a reason, never deleted: the legal register is documented information.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from aims.models import ManagementSystem
from aims.services import register_create, register_retire, register_update
from governance.models import ContextIssue, InterestedParty, Requirement


def _links(model: type, fields: dict[str, Any]) -> dict[str, list[Any]] | None:
    m2m = {name: list(fields.pop(name)) for name in model.link_fields() if name in fields}
    return m2m or None


def _check_party(management_system: ManagementSystem, party: InterestedParty | None) -> None:
    if party is None:
        return
    if party.management_system_id != management_system.pk:
        raise ValidationError({"party": f"{party} belongs to another management system."})
    if party.is_retired:
        raise ValidationError({"party": f"{party.reference} is retired: choose a current interested party."})


def _check_addressed(fields: dict[str, Any], current: Requirement | None = None) -> None:
    """A requirement said to be addressed says how."""
    addressed = fields.get("addressed", getattr(current, "addressed", Requirement.Addressed.NO))
    how = fields.get("how_addressed", getattr(current, "how_addressed", ""))
    needs_how = (Requirement.Addressed.YES, Requirement.Addressed.PARTLY)
    if addressed in needs_how and not (how or "").strip():
        raise ValidationError({"how_addressed": "Say how the management system addresses this requirement."})


# --- context issues ------------------------------------------------------------------------------


def context_issue_create(
    *, management_system: ManagementSystem, user: AbstractBaseUser | None, reason: str = "Created", **fields: Any
) -> ContextIssue:
    """Record an internal or external issue of the organisation's context."""
    return register_create(
        ContextIssue,
        management_system=management_system,
        user=user,
        reason=reason,
        m2m=_links(ContextIssue, fields),
        **fields,
    )


def context_issue_update(
    issue: ContextIssue,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> ContextIssue:
    """Change a context issue, refusing a stale version."""
    return register_update(
        issue,
        user=user,
        expected_version=expected_version,
        reason=reason,
        m2m=_links(ContextIssue, fields),
        **fields,
    )


def context_issue_retire(
    issue: ContextIssue, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> ContextIssue:
    """Retire a context issue that no longer applies, with the reason; it stays readable."""
    return register_retire(issue, user=user, expected_version=expected_version, reason=reason)


# --- interested parties --------------------------------------------------------------------------


def interested_party_create(
    *, management_system: ManagementSystem, user: AbstractBaseUser | None, reason: str = "Created", **fields: Any
) -> InterestedParty:
    """Record an interested party (a regulator, patients, a supplier)."""
    return register_create(InterestedParty, management_system=management_system, user=user, reason=reason, **fields)


def interested_party_update(
    party: InterestedParty,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> InterestedParty:
    """Change an interested party, refusing a stale version."""
    return register_update(party, user=user, expected_version=expected_version, reason=reason, **fields)


def interested_party_retire(
    party: InterestedParty, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> InterestedParty:
    """Retire an interested party; its current requirements must be retired or moved first."""
    current = Requirement.objects.filter(party=party, retired_at__isnull=True).order_by("reference")
    refs = list(current.values_list("reference", flat=True)[:6])
    if refs:
        listed = ", ".join(refs[:5]) + (" and more" if len(refs) > 5 else "")
        raise ValidationError(
            f"{party.reference} still has current requirements ({listed}): retire them or give them "
            "to another party first."
        )
    return register_retire(party, user=user, expected_version=expected_version, reason=reason)


# --- requirements: the legal and regulatory register --------------------------------------------


def requirement_create(
    *, management_system: ManagementSystem, user: AbstractBaseUser | None, reason: str = "Created", **fields: Any
) -> Requirement:
    """Add a requirement of an interested party to the legal and regulatory register."""
    _check_party(management_system, fields.get("party"))
    _check_addressed(fields)
    with transaction.atomic():
        return register_create(
            Requirement,
            management_system=management_system,
            user=user,
            reason=reason,
            m2m=_links(Requirement, fields),
            **fields,
        )


def requirement_update(
    requirement: Requirement,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> Requirement:
    """Change a requirement (whether and how it is addressed, the AI systems it applies to), refusing a stale version."""
    if "party" in fields and fields["party"] is not None and fields["party"].pk != requirement.party_id:
        _check_party(requirement.management_system, fields["party"])
    _check_addressed(fields, requirement)
    return register_update(
        requirement,
        user=user,
        expected_version=expected_version,
        reason=reason,
        m2m=_links(Requirement, fields),
        **fields,
    )


def requirement_retire(
    requirement: Requirement, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> Requirement:
    """Retire a requirement that no longer applies (a law repealed, a contract ended), with the reason."""
    return register_retire(requirement, user=user, expected_version=expected_version, reason=reason)
