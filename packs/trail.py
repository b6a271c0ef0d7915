"""The AI system trails of Stage 2 and full packs (8, A.6): for each AI system, every record that names it.

A Stage 2 auditor samples AI systems and follows each one through the management system:
its impact assessments, the risks on it, the SoA rows that name it, its incidents and
nonconformities, and the evidence linked to it, each with its status on the pack's date.
Nothing is read twice: the trail reuses what the impact, risk, SoA, nonconformity and
incident sections gathered (run by then, being earlier in the pack), so its queries do not
grow with the number of systems or records.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aims.pack_sections import FULL, STAGE2, PackData, pack_section, register_pack_section
from registers.models import AISystem
from registers.pack import inventory_as_of

SECTION = "ai_system_trails"
LIVE_STAGES = {AISystem.LifecycleStage.DEPLOYMENT, AISystem.LifecycleStage.OPERATION}


_IN_A_SENTENCE = {"Statement of Applicability": "Statement of Applicability rows"}


@dataclass(frozen=True)
class Entry:
    """One record in a system's trail: what it is, and where it stood on the pack's date."""

    reference: str
    title: str
    status: str
    tag: str = ""  # "ok", "warn" or "bad": the status's colour
    tag_text: str = ""


@dataclass
class Trail:
    """One AI system and its records, grouped by kind in the order an auditor follows them."""

    system: Any
    groups: list[tuple[str, list[Entry]]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """The kinds of record that name the system nowhere, as a sentence names them."""
        return [_IN_A_SENTENCE.get(kind, kind.lower()) for kind, entries in self.groups if not entries]

    @property
    def found(self) -> list[tuple[str, list[Entry]]]:
        return [(kind, entries) for kind, entries in self.groups if entries]


def _gathered(data: PackData, section_key: str, *parts: str) -> list[Any]:
    """Rows a section put in the pack's parts, gathering the section first if the pack has not yet."""
    if parts[0] not in data.parts:
        pack_section(section_key).gather(data)
    return [row for part in parts for row in data.parts.get(part, [])]


def _sign_off(currency: Any, done: str) -> tuple[str, str, str]:
    """(what to add to the status, tag, tag text) for a sign-off's currency on the pack's date."""
    if currency is None or not currency.signed:
        return "", "warn", f"Not {done}"
    number = currency.signoff.sequence
    if currency.changed_since:
        noun = {"accepted": "acceptance", "approved": "approval"}[done]
        return f"sign-off #{number}", "warn", f"Changed since {noun}"
    return f"sign-off #{number}", "ok", done.capitalize()


def _joined(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _withdrawn(row: Any) -> Entry:
    return Entry(row.reference, row.title, f"Withdrawn on {row.retired_at:%d %b %Y}", "", "Withdrawn")


def _impact_entry(a: Any) -> Entry:
    if a.retired_at:
        return _withdrawn(a)
    signed, tag, tag_text = _sign_off(a.currency, "approved")
    return Entry(a.reference, a.title, _joined(f"Decision: {a.get_decision_display().lower()}", signed), tag, tag_text)


def _risk_entry(r: Any) -> Entry:
    if r.retired_at:
        return _withdrawn(r)
    level = r.get_residual_level_display() or r.get_inherent_level_display()
    which = "residual" if r.residual_level else "inherent"
    signed, tag, tag_text = _sign_off(r.currency, "accepted")
    return Entry(r.reference, r.title, _joined(f"{level} ({which})", signed), tag, tag_text)


_IMPLEMENTATION_ORDER = ("implemented", "partial", "planned", "not_started", "not_applicable")


def _soa_entries(rows: list[Any]) -> list[Entry]:
    """The SoA rows naming a system, one line per decision and implementation status (the controls by key)."""
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in rows:
        groups[(row.applicable, row.implementation_status)].append(row)
    entries = []
    for (_decision, status), group in sorted(groups.items(), key=lambda item: _soa_rank(*item[0])):
        first = group[0]
        count = f"{len(group)} control{'s' if len(group) != 1 else ''}"
        keys = ", ".join(row.control.key for row in sorted(group, key=lambda r: r.control.position))
        tag = "ok" if status == "implemented" else ""
        entries.append(
            Entry(count, keys, first.get_applicable_display(), tag, first.get_implementation_status_display())
        )
    return entries


def _soa_rank(decision: str, status: str) -> tuple[int, int]:
    rank = _IMPLEMENTATION_ORDER.index(status) if status in _IMPLEMENTATION_ORDER else len(_IMPLEMENTATION_ORDER)
    return (decision != "included", rank)


def _each(entry: Any) -> Any:
    return lambda rows: [entry(row) for row in rows]


def _incident_entry(i: Any) -> Entry:
    if i.retired_at:
        return _withdrawn(i)
    closed = i.status == "closed"
    return Entry(i.reference, i.title, f"{i.get_severity_display()} severity", "ok" if closed else "warn",
                 i.get_status_display())  # fmt: skip


def _nc_entry(nc: Any) -> Entry:
    if nc.retired_at:
        return _withdrawn(nc)
    return Entry(nc.reference, nc.title, nc.get_grade_display(), "ok" if nc.is_closed else "warn",
                 nc.get_state_display())  # fmt: skip


def _evidence_entry(e: Any) -> Entry:
    status = f"Dated {e.evidence_date:%d %b %Y}"
    if e.superseded_as_of:
        return Entry(e.reference, e.title, f"{status}; superseded by {e.superseded_as_of.reference}", "", "Superseded")
    if e.stale_as_of:
        return Entry(e.reference, e.title, status, "warn", "Stale")
    return Entry(e.reference, e.title, status, "ok", "Current")


def _by_system(rows: list[Any], systems_of: Any) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        for system_id in systems_of(row):
            found[system_id].append(row)
    return found


def _ids(systems: list[Any]) -> list[int]:
    return [s.id for s in systems]


def _order(system: Any) -> tuple:
    """Systems in scope first, then out of scope, then retired; by reference within each."""
    return (system.retired_at is not None, not system.in_scope, system.reference)


def _records_by_system(data: PackData) -> dict[str, dict[int, list[Any]]]:
    """The records of each kind that name each AI system, as the earlier sections gathered them."""
    gathered = {
        "impact": (_gathered(data, "impact", "impact_assessments", "closed_impact_assessments"),
                   lambda a: [a.ai_system_id]),
        "risks": (_gathered(data, "treatment", "risks", "closed_risks"), lambda r: _ids(r.linked_systems)),
        "soa": (_gathered(data, "soa", "soa_rows"), lambda row: _ids(row.linked_systems)),
        "incidents": (_gathered(data, "incidents", "incidents", "withdrawn_incidents"), lambda i: _ids(i.system_list)),
        "ncs": (_gathered(data, "nonconformities", "nonconformities", "withdrawn_nonconformities"),
                lambda nc: _ids(nc.system_list)),
    }  # fmt: skip
    return {kind: _by_system(rows, systems_of) for kind, (rows, systems_of) in gathered.items()}


KINDS = (
    ("impact", "Impact assessments", _each(_impact_entry)),
    ("risks", "Risks", _each(_risk_entry)),
    ("soa", "Statement of Applicability", _soa_entries),
    ("incidents", "Incidents and concerns", _each(_incident_entry)),
    ("ncs", "Nonconformities", _each(_nc_entry)),
)


def trails_as_of(data: PackData) -> list[Trail]:
    """Every AI system of the inventory on the pack's date with the records that name it then."""
    records = _records_by_system(data)
    trails = []
    systems = [s for s in inventory_as_of(data)["systems"] if data.pack_scope.concerns([s.id])]
    for system in sorted(systems, key=_order):
        trail = Trail(system)
        for kind, label, entries in KINDS:
            trail.groups.append((label, entries(records[kind].get(system.id, []))))
        trail.groups.append(("Evidence", [_evidence_entry(e) for e in system.pack_evidence]))
        trail.gaps = _gaps(system, records["impact"].get(system.id, []), records["risks"].get(system.id, []))
        trails.append(trail)
    return trails


def _gaps(system: Any, assessments: list[Any], risks: list[Any]) -> list[str]:
    """What an auditor asks about first: a system in use without an approved impact assessment, or without risks."""
    if system.retired_at or not system.in_scope:
        return []
    gaps = []
    approved = any(a.currency.signed for a in assessments if not a.retired_at)
    if system.lifecycle_stage in LIVE_STAGES and not approved:
        gaps.append("In use without an approved impact assessment on this date (6.1.4, 8.4).")
    if not any(not r.retired_at for r in risks):
        gaps.append("No open risk names this system on this date (6.1.2).")
    return gaps


def gather_trails(data: PackData) -> None:
    data.parts["ai_system_trails"] = trails_as_of(data)


def register() -> None:
    register_pack_section(
        SECTION,
        title="AI system trails",
        clause="8, A.6",
        kinds={STAGE2, FULL},
        order=95,
        gather=gather_trails,
        template="packs/section_trail.html",
    )
