"""The "Context and legal register" section of Stage 1 and full packs (4.1, 4.2), as of the pack's date.

Read in a constant number of queries: the three registers' history as of the date, their links
as of the date, and the names of what they link to.
"""

from __future__ import annotations

from typing import Any

from aims.history import by_id, links_as_of, rows_as_of, split_closed
from aims.pack_sections import FULL, STAGE1, PackData, register_pack_section
from assessments.models import Risk
from controls.models import Control
from governance.models import ContextIssue, Document, InterestedParty, Requirement
from registers.pack import inventory_as_of

REQUIREMENT_LINKS = ("ai_systems", "controls", "documents", "risks")


def _labels(model: type, ids: set[int], field: str) -> dict[int, str]:
    if not ids:
        return {}
    return dict(model._default_manager.filter(pk__in=ids).values_list("pk", field))


def _attach(rows: list[Any], links: dict[str, dict[int, list[int]]], names: dict[str, dict[int, str]]) -> None:
    for row in rows:
        for field, per_row in links.items():
            ids = sorted(per_row.get(row.id, []))
            setattr(row, f"pack_{field}", [names[field][i] for i in ids if i in names[field]])


def gather_context_legal(data: PackData) -> None:
    """Context issues, interested parties and the legal and regulatory register as they stood at the date."""
    as_of, ms_id = data.as_of, data.management_system_id
    issues, _ = split_closed(rows_as_of(ContextIssue, as_of, management_system_id=ms_id))
    parties, _ = split_closed(rows_as_of(InterestedParty, as_of, management_system_id=ms_id))
    requirements, _ = split_closed(rows_as_of(Requirement, as_of, management_system_id=ms_id))
    issue_links = {"risks": links_as_of(ContextIssue, "risks", issues)}
    req_links = {name: links_as_of(Requirement, name, requirements) for name in REQUIREMENT_LINKS}
    wanted = {name: set() for name in REQUIREMENT_LINKS}
    for links in (*req_links.items(), *issue_links.items()):
        for ids in links[1].values():
            wanted[links[0]].update(ids)
    systems = {system.id: system.name for system in inventory_as_of(data)["systems"]}
    names = {
        "ai_systems": systems,
        "controls": _labels(Control, wanted["controls"], "key"),
        "documents": _labels(Document, wanted["documents"], "identifier"),
        "risks": _labels(Risk, wanted["risks"], "reference"),
    }
    _attach(issues, issue_links, names)
    _attach(requirements, req_links, names)
    party_rows = by_id(parties)
    for requirement in requirements:
        party = party_rows.get(requirement.party_id)
        requirement.party_name = party.name if party else ""
    addressed = {value: 0 for value in Requirement.Addressed.values}
    for requirement in requirements:
        addressed[requirement.addressed] = addressed.get(requirement.addressed, 0) + 1
    data.parts["context_legal"] = {
        "external": [i for i in issues if i.origin == ContextIssue.Origin.EXTERNAL],
        "internal": [i for i in issues if i.origin == ContextIssue.Origin.INTERNAL],
        "parties": parties,
        "requirements": requirements,
        "addressed": [(label, addressed.get(value, 0)) for value, label in Requirement.Addressed.choices],
    }
    data.scope_fact("Legal and regulatory requirements", f"{len(requirements)}, {addressed['no']} not addressed")


def register() -> None:
    register_pack_section(
        "context_legal",
        title="Context and legal register",
        clause="4.1, 4.2",
        kinds={STAGE1, FULL},
        order=13,
        gather=gather_context_legal,
        template="governance/context/pack/section_context_legal.html",
    )
