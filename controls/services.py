"""Writes for the Statement of Applicability: creating rows, deciding them, approving the whole."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aims import ledger
from aims.models import ManagementSystem, SignOff
from aims.services import check_assignee, register_update
from controls.catalog import ANNEX_A as DEFAULT_FRAMEWORK
from controls.catalog import catalog_ensure
from controls.models import Applicability, Control
from controls.signoffs import SOA

LINKS = ("ai_systems",)


def soa_reference(control: Control) -> str:
    return f"{Applicability.reference_prefix}-{control.key}"


def soa_rows_ensure(*, management_system: ManagementSystem, user: AbstractBaseUser | None) -> int:
    """Create the missing SoA rows (one per Annex A control), each with its first history row."""
    with transaction.atomic():
        ManagementSystem.objects.select_for_update().filter(pk=management_system.pk).exists()
        catalog_ensure()
        have = set(
            Applicability.objects.filter(management_system=management_system).values_list("control_id", flat=True)
        )
        controls = Control.objects.filter(framework__key=DEFAULT_FRAMEWORK).exclude(pk__in=have).order_by("position")
        rows = [
            Applicability(management_system=management_system, control=control, reference=soa_reference(control))
            for control in controls
        ]
        if not rows:
            return 0
        # One insert for all rows, then one history row each, as the services' single-row path would write.
        created = Applicability.objects.bulk_create(rows)
        if any(row.pk is None for row in created):
            created = list(
                Applicability.objects.filter(
                    management_system=management_system, reference__in=[r.reference for r in rows]
                )
            )
        Applicability.history.bulk_history_create(
            created,
            default_user=user,
            default_change_reason="Statement of Applicability row created",
            default_date=timezone.now(),
        )
    return len(rows)


def applicability_update(
    row: Applicability,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> Applicability:
    """Decide, justify or progress one SoA row, refusing a stale version."""
    if "owner" in fields:
        check_assignee(row.management_system, fields["owner"])
    m2m = {name: fields.pop(name) for name in LINKS if name in fields} or None
    return register_update(row, user=user, expected_version=expected_version, reason=reason, m2m=m2m, **fields)


def soa_approve(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser,
    statement: str,
    confirmed: bool,
    verification: str | Callable[[], str],
    expected_token: str | None = None,
    override_reason: str = "",
    job_title: str = "",
) -> SignOff:
    """Approve the whole Statement of Applicability as the signer read it (a chained sign-off).

    ``expected_token`` is ``ledger.version_token(SOA, management_system)`` as read with the
    SoA; if any row changed since, nothing is signed (``ledger.SignOffConflict``).
    """
    if not confirmed:
        raise ValidationError(
            {"confirmed": "Tick the box to confirm you approve the Statement of Applicability as shown."}
        )
    return ledger.sign_off(
        kind=SOA,
        subject=management_system,
        user=user,
        statement=statement,
        verification=verification,
        expected_token=expected_token,
        override_reason=override_reason,
        job_title=job_title,
    )
