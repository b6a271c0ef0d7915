"""The pack section "Roles, responsibilities and competence" (5.3, 7.2), as of the pack's date.

The responsibility matrix from the role assignments current on that day, the roles with their
responsibilities and authorities, and the competence gaps on that day, read from the history
tables with a fixed number of queries.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from aims.history import links_as_of, rows_as_of
from aims.pack_sections import FULL, STAGE1, PackData, register_pack_section
from governance.models import AimsRole, Competence, CompetenceRecord, Person, RoleAssignment
from governance.people import matrix
from registers.pack import inventory_as_of


def roles_competence_as_of(data: PackData) -> dict[str, Any]:
    """Roles, people, assignments, competences and records as of the pack's date, with the matrix and gaps."""
    as_of, ms_id = data.as_of, data.management_system_id
    day = timezone.localdate(as_of)
    roles = rows_as_of(AimsRole, as_of, management_system_id=ms_id)
    people = {row.id: row for row in rows_as_of(Person, as_of, management_system_id=ms_id)}
    assignments = rows_as_of(RoleAssignment, as_of, management_system_id=ms_id)
    competences = {row.id: row for row in rows_as_of(Competence, as_of, management_system_id=ms_id)}
    records = rows_as_of(CompetenceRecord, as_of, management_system_id=ms_id)
    required = links_as_of(AimsRole, "required_competences", roles)
    system_links = links_as_of(RoleAssignment, "ai_systems", assignments)
    systems = inventory_as_of(data)["by_id"]
    role_by_id = {row.id: row for row in roles}
    for role in roles:
        role.reports_to_row = role_by_id.get(role.reports_to_id)
        role.competence_list = sorted(
            (competences[pk] for pk in required.get(role.id, []) if pk in competences), key=lambda c: c.name
        )
    grid = matrix.responsibility_matrix(
        assignments,
        people=people,
        roles=roles,
        systems_of={a.id: [systems[pk] for pk in system_links.get(a.id, []) if pk in systems] for a in assignments},
        day=day,
    )
    gaps = matrix.competence_gaps(
        assignments, people=people, roles=role_by_id, competences=competences, required=required, records=records,
        day=day,
    )  # fmt: skip
    return {"day": day, "roles": [r for r in roles if r.retired_at is None], "matrix": grid, "gaps": gaps}


def gather_roles_competence(data: PackData) -> None:
    data.parts["roles_competence"] = roles_competence_as_of(data)


def register() -> None:
    register_pack_section(
        "roles_competence",
        title="Roles, responsibilities and competence",
        clause="5.3, 7.2",
        kinds={STAGE1, FULL},
        order=15,
        gather=gather_roles_competence,
        template="governance/people/pack/section_roles_competence.html",
    )
