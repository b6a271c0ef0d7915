"""The Statement of Applicability in audit packs: all rows as they stood at the pack's date."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from simple_history.models import SIMPLE_HISTORY_REVERSE_ATTR_NAME

from aims.pack_gather import latest_sign_offs_as_of
from aims.pack_sections import ALL_KINDS, PackData, register_pack_section
from aims.signoff_currency import currencies
from controls.justification import attach_justifications
from controls.models import Applicability
from controls.selectors import control_list, soa_rows_as_of
from controls.signoffs import SOA
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
    if data.pack_scope.by_systems:
        # Every row stays (the SoA is one document); a row names only the chosen systems it covers.
        data.note_concerning(Applicability, rows, lambda row: [s.id for s in row.linked_systems])
        for row in rows:
            row.linked_systems = [s for s in row.linked_systems if data.pack_scope.concerns([s.id])]
    attach_pack_evidence(data, Applicability, rows)
    attach_justifications(rows, data.pack.management_system, as_of=data.as_of)
    data.parts["soa_rows"] = rows
    approval = data.parts["soa_approval"] = _soa_approval(data, rows)
    data.document_control(
        "soa",
        identifier=f"AIMS{data.management_system_id}-SOA",
        version=_soa_version(approval),
        approval=approval,
    )
    data.parts["soa_counts"] = _soa_counts(rows)


def _soa_approval(data: PackData, rows: list[Any]) -> Any:
    """The SoA's latest approval on the pack's date and the rows changed since, each named by its control."""
    keys = {c.pk: c.key for c in control_list()}
    ms_id = data.management_system_id
    return currencies(
        SOA,
        latest_sign_offs_as_of(data, SOA),
        [(ms_id, None, [getattr(row, SIMPLE_HISTORY_REVERSE_ATTR_NAME) for row in rows])],
        name_of=lambda version: keys.get(version.get("control_id"), f"SoA row #{version['id']}"),
        own_row_first=False,
    )[ms_id]


def _soa_version(approval: Any) -> str:
    if not approval.signed:
        return "Draft: not approved by this date"
    number = approval.signoff.sequence
    if approval.changed_since:
        count = len(approval.changes)
        return f"Approved in sign-off #{number}; {count} row{'s' if count != 1 else ''} changed since"
    return f"As approved in sign-off #{number}"


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
