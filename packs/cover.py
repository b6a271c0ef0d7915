"""The facts on a pack's cover that a certification body sizes an audit by, as of the pack's date.

AI systems in scope by the organisation's role (ISO/IEC 22989 and EU AI Act) and by EU AI Act
risk class, the sites and organisational units of the AIMS scope, and the people in the people
register and with access to the register. Read with a fixed number of queries: the inventory
and the scope come from the sections that already read them (``data.once``), the people
register and the memberships are one query each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aims.history import rows_as_of
from aims.models import Role
from aims.pack_gather import memberships_as_of
from aims.pack_sections import PackData
from governance.models import Person, Scope
from registers.models import AISystem, AISystemRole
from registers.pack import inventory_as_of


@dataclass
class CoverFacts:
    """What the audit covers on the pack's date."""

    systems_in_scope: int
    systems_in_inventory: int
    roles: list[tuple[str, list[tuple[str, int]]]]  # (scheme, [(role, systems)]), in the schemes' order
    systems_without_role: int
    risk_classes: list[tuple[str, int]]
    scope_recorded: bool
    sites: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    people: int = 0
    people_left: int = 0
    members: int = 0


def _in_scope(systems: list[Any]) -> list[Any]:
    return [s for s in systems if s.in_scope and s.retired_at is None]


def _roles(systems: list[Any]) -> tuple[list[tuple[str, list[tuple[str, int]]]], int]:
    """How many systems in scope the organisation holds each role for, by scheme; and how many have none."""
    counts = Counter(role.role for system in systems for role in system.role_rows)
    labels = dict(AISystemRole.Role.choices)
    schemes = []
    for scheme, codes in ((AISystemRole.Scheme.EU_AI_ACT, AISystemRole.EU_ROLES),
                          (AISystemRole.Scheme.ISO_22989, AISystemRole.ISO_ROLES)):  # fmt: skip
        found = [(labels[code], counts[code]) for code in codes if counts[code]]
        if found:
            schemes.append((scheme.label, found))
    return schemes, sum(1 for system in systems if not system.role_rows)


def _risk_classes(systems: list[Any]) -> list[tuple[str, int]]:
    counts = Counter(system.eu_ai_act_risk_class for system in systems)
    return [(label, counts[value]) for value, label in AISystem.RiskClass.choices if counts[value]]


def _scope(data: PackData) -> Any:
    """The structured scope on the date: the AIMS scope section's reading, or one query without it."""
    if "aims_scope" in data.parts:
        return data.parts["aims_scope"]
    rows = rows_as_of(Scope, data.as_of, management_system_id=data.management_system_id)
    return rows[0] if rows else None


def cover_facts(data: PackData) -> CoverFacts:
    """The sizing facts of the pack's cover, as of its date."""
    systems = inventory_as_of(data)["systems"]
    in_scope = _in_scope(systems)
    roles, without_role = _roles(in_scope)
    scope = _scope(data)
    people = rows_as_of(Person, data.as_of, management_system_id=data.management_system_id)
    members = [m for m in memberships_as_of(data) if m.role != Role.AUDITOR]
    return CoverFacts(
        systems_in_scope=len(in_scope),
        systems_in_inventory=sum(1 for s in systems if s.retired_at is None),
        roles=roles,
        systems_without_role=without_role,
        risk_classes=_risk_classes(in_scope),
        scope_recorded=scope is not None,
        sites=Scope.lines(scope.sites) if scope else [],  # a history row has no site_list of its own
        units=Scope.lines(scope.units) if scope else [],
        people=sum(1 for p in people if p.retired_at is None),
        people_left=sum(1 for p in people if p.retired_at is not None),
        members=len(members),
    )


def gather_cover(data: PackData) -> None:
    data.parts["cover"] = cover_facts(data)
