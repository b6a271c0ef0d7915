"""Shared steps for SoA tests: deciding every row through the service, as an officer would."""

from __future__ import annotations

from controls.models import Applicability
from tests.factories import decide_soa_row

INCLUDED = Applicability.Decision.INCLUDED
EXCLUDED = Applicability.Decision.EXCLUDED
Status = Applicability.ImplementationStatus


def soa_rows(management_system) -> list[Applicability]:
    return list(
        Applicability.objects.filter(management_system=management_system)
        .select_related("control")
        .order_by("control__position")
    )


def decide_all(management_system, user, *, exclude: tuple[str, ...] = ("A.10.4",)) -> None:
    """Include every control (excluding the given ones), each with a justification."""
    for row in soa_rows(management_system):
        decide_soa_row(
            management_system, row, user=user, applicable=EXCLUDED if row.control.key in exclude else INCLUDED
        )


def row_of(management_system, key: str) -> Applicability:
    return Applicability.objects.select_related("control").get(management_system=management_system, control__key=key)
