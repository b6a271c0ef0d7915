"""The AI system inventory in audit packs, as of the pack's date."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aims.history import by_id, links_as_of, rows_as_of, split_closed
from aims.pack_sections import ALL_KINDS, PackData, register_pack_section
from evidence.pack import attach_pack_evidence
from registers.models import AISystem, AISystemRole, DatasetRecord, ModelRecord, Supplier

LINKED = {"model_records": ModelRecord, "dataset_records": DatasetRecord, "suppliers": Supplier}


def _read_inventory(data: PackData) -> dict[str, Any]:
    """AI systems with their model, dataset and supplier records as they stood at the date."""
    as_of, ms_id = data.as_of, data.management_system_id
    systems = rows_as_of(AISystem, as_of, management_system_id=ms_id)
    records = {name: by_id(rows_as_of(model, as_of, management_system_id=ms_id)) for name, model in LINKED.items()}
    for name, rows in records.items():
        links = links_as_of(AISystem, name, systems)
        for system in systems:
            setattr(system, f"linked_{name}", [rows[i] for i in sorted(links.get(system.id, [])) if i in rows])
    roles: dict[int, list[Any]] = {}
    for role in rows_as_of(AISystemRole, as_of, ai_system_id__in=[system.id for system in systems]):
        roles.setdefault(role.ai_system_id, []).append(role)
        if not data.pack_scope.concerns([role.ai_system_id]):
            data.leave_out(AISystemRole, [role.id])
    for system in systems:
        system.role_rows = sorted(roles.get(system.id, []), key=lambda r: (r.scheme, r.role))
        system.pack_evidence = []
    # Every system stays in the inventory that other sections look names up in; a scoped pack
    # shows (and gives evidence of) only the chosen ones.
    attach_pack_evidence(data, AISystem, data.only_concerning(AISystem, systems, lambda s: [s.id]))
    return {
        "systems": systems,
        "by_id": by_id(systems),
        **{name: list(rows.values()) for name, rows in records.items()},
    }


def inventory_as_of(data: PackData) -> dict[str, Any]:
    """The inventory as of the pack's date, read once for every section that names AI systems."""
    return data.once("inventory", _read_inventory)


def gather_inventory(data: PackData) -> None:
    """The inventory as of the date; systems and records retired by then are listed apart, as closed."""
    inventory = inventory_as_of(data)
    shown = data.only_concerning(AISystem, inventory["systems"], lambda s: [s.id])
    systems, closed = split_closed(shown)
    data.parts["ai_systems"] = systems
    data.parts["closed_ai_systems"] = closed
    for name, model in LINKED.items():
        users: dict[int, set[int]] = defaultdict(set)  # record id -> the systems that use it
        for system in inventory["systems"]:
            for record in getattr(system, f"linked_{name}"):
                users[record.id].add(system.id)
        records = data.only_concerning(model, inventory[name], lambda r, users=users: users.get(r.id, ()))
        current, retired = split_closed(records)
        data.parts[name] = current
        data.parts[f"closed_{name}"] = retired
    in_scope = sum(1 for s in systems if s.in_scope)
    data.scope_fact("AI systems in scope", f"{in_scope} of {len(systems)} in the inventory")
    if closed:
        data.scope_fact("AI systems retired", f"{len(closed)}, listed as closed in the inventory")


def register() -> None:
    register_pack_section(
        "inventory",
        title="AI system inventory",
        clause="4.1, 4.3, A.4",
        kinds=ALL_KINDS,
        order=12,
        gather=gather_inventory,
        template="registers/pack/section_inventory.html",
    )
