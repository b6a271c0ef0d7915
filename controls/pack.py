"""The Statement of Applicability in audit packs: all rows as they stood at the pack's date."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aims.pack_sections import ALL_KINDS, PackData, register_pack_section
from controls.models import Applicability
from controls.selectors import soa_rows_as_of
from evidence.pack import attach_pack_evidence


def gather_soa(data: PackData) -> None:
    """All SoA rows as of the date, with evidence references and, where a risk section read them, linked risks.

    Risks belong to an app above this one: a risk section gathered earlier in the pack leaves
    ``risks_by_control`` (control id -> risks) in the pack's parts, and the SoA shows it.
    """
    rows = soa_rows_as_of(management_system=data.pack.management_system, when=data.as_of)
    by_control = data.parts.get("risks_by_control", {})
    for row in rows:
        row.linked_risks = by_control.get(row.control_id, [])
    attach_pack_evidence(data, Applicability, rows)
    data.parts["soa_rows"] = rows
    data.parts["soa_counts"] = _soa_counts(rows)


def _soa_counts(rows: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.applicable] += 1
        counts[f"status_{row.implementation_status}"] += 1
    return dict(counts)


def register() -> None:
    register_pack_section(
        "soa",
        title="Statement of Applicability",
        clause="6.1.3",
        kinds=ALL_KINDS,
        order=70,
        gather=gather_soa,
        template="controls/pack/section_soa.html",
    )
