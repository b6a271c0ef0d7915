"""Writes of nonconformities, corrective actions and effectiveness reviews (10.2).

``nonconformity_create`` is the one way an NC comes into being: from the NC form, from a major
or minor finding (audits) and from an incident's triage (incidents), each in its caller's
transaction.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from aims.models import ManagementSystem
from aims.services import check_assignee, register_create
from improvement.models import Nonconformity

NC_LINKS = Nonconformity.link_fields()


def nonconformity_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "Created",
    **fields: Any,
) -> Nonconformity:
    """Record a nonconformity (state open); it names at least one requirement not met."""
    m2m = {name: list(fields.pop(name)) for name in NC_LINKS if name in fields}
    if not m2m.get("requirements"):
        raise ValidationError({"requirements": "Name at least one clause or control that is not met."})
    with transaction.atomic():
        check_assignee(management_system, fields.get("owner"))
        return register_create(
            Nonconformity, management_system=management_system, user=user, reason=reason, m2m=m2m, **fields
        )
