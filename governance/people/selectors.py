"""Reads of the people family."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from aims.models import ManagementSystem
from governance.models import RoleAssignment


def holds_aims_role(
    user: AbstractBaseUser, management_system: ManagementSystem, key: str, on: date | None = None
) -> bool:
    """Whether the user's person holds the AIMS role ``key`` in the management system on the day (today)."""
    if not getattr(user, "is_authenticated", False):
        return False
    day = on or timezone.localdate()
    return (
        RoleAssignment.objects.filter(
            management_system=management_system,
            role__key=key,
            role__retired_at__isnull=True,
            person__account=user,
            person__retired_at__isnull=True,
            starts_on__lte=day,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .exists()
    )
