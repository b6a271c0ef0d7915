"""Writes of SoA citations: cite a requirement, risk, impact assessment or document in an SoA row's justification.

A citation is a link, not a signed record: adding one is a version with the acting user and a
reason; removing one is a tracked delete (``aims.services.register_delete``): its history keeps
who removed it and why, so the SoA as of an earlier date still shows it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from aims.models import ManagementSystem
from aims.services import register_create, register_delete
from controls.models import Applicability
from governance.models import SoaCitation
from governance.models.citations import CITATION_TARGETS


def _check_target(applicability: Applicability, targets: dict[str, Any]) -> tuple[str, Any]:
    chosen = [(name, value) for name, value in targets.items() if value is not None]
    if len(chosen) != 1:
        field = chosen[1][0] if chosen else "requirement"
        raise ValidationError(
            {field: "Cite exactly one record: a requirement, a risk, an impact assessment or a document."}
        )
    name, target = chosen[0]
    if target.management_system_id != applicability.management_system_id:
        raise ValidationError({name: f"{target} belongs to another management system."})
    if getattr(target, "is_retired", False):
        raise ValidationError({name: f"{target.reference} is {target.retired_label.lower()}: cite a current record."})
    if SoaCitation.objects.filter(applicability=applicability, **{name: target}).exists():
        raise ValidationError({name: f"{applicability.control.key} already cites {target.reference}."})
    return name, target


def citation_add(
    *,
    applicability: Applicability,
    user: AbstractBaseUser | None,
    reason_type: str,
    management_system: ManagementSystem | None = None,
    note: str = "",
    reason: str = "Cited",
    **targets: Any,
) -> SoaCitation:
    """Cite one record of the row's management system in the row's justification, with a reason type."""
    unknown = set(targets) - set(CITATION_TARGETS)
    if unknown:
        raise ValidationError(f"Unknown citation target: {', '.join(sorted(unknown))}.")
    if management_system is not None and applicability.management_system_id != management_system.pk:
        raise ValidationError({"applicability": f"{applicability} belongs to another management system."})
    with transaction.atomic():
        name, target = _check_target(applicability, {n: targets.get(n) for n in CITATION_TARGETS})
        return register_create(
            SoaCitation,
            management_system=applicability.management_system,
            user=user,
            reason=reason,
            applicability=applicability,
            reason_type=reason_type,
            note=note,
            **{name: target},
        )


def citation_remove(
    citation: SoaCitation, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Removed"
) -> None:
    """Remove a citation; its history stays, with who removed it and why."""
    register_delete(citation, user=user, expected_version=expected_version, reason=reason)
