"""Helpers of the people family's tests (and of other families that need someone in an AIMS role)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from aims.models import ManagementSystem
from governance.models import AimsRole, Competence, CompetenceRecord, Person, RoleAssignment
from governance.people import services


def role(management_system: ManagementSystem, key: str) -> AimsRole:
    """One of the six seeded roles of a management system."""
    return AimsRole.objects.get(management_system=management_system, key=key)


def make_person(management_system: ManagementSystem, by: Any, name: str = "Ada Lovelace", **fields: Any) -> Person:
    return services.person_create(management_system=management_system, user=by, name=name, **fields)


def appoint(
    management_system: ManagementSystem,
    by: Any,
    person: Person,
    key: str,
    *,
    starts_on: date | None = None,
    **fields: Any,
) -> RoleAssignment:
    """Give a person a seeded role from ``starts_on`` (a year ago)."""
    return services.assignment_create(
        management_system=management_system,
        user=by,
        person=person,
        role=role(management_system, key),
        starts_on=starts_on or timezone.localdate() - timedelta(days=365),
        **fields,
    )


def appoint_user(management_system: ManagementSystem, by: Any, user: Any, key: str, **fields: Any) -> RoleAssignment:
    """Give a member's person (created if missing) a seeded role: ``appoint_user(acme, officer, leader, TOP)``."""
    person = Person.objects.filter(management_system=management_system, account=user).first() or make_person(
        management_system, by, name=user.get_full_name() or user.get_username(), account=user
    )
    return appoint(management_system, by, person, key, **fields)


def make_competence(management_system: ManagementSystem, by: Any, name: str = "AI risk assessment", **fields: Any):
    return services.competence_create(management_system=management_system, user=by, name=name, **fields)


def require(role_: AimsRole, by: Any, *competences: Competence) -> AimsRole:
    """Make the role require the competences (added to those it requires)."""
    current = list(role_.required_competences.all())
    return services.role_update(
        role_, user=by, expected_version=role_.version, required_competences=[*current, *competences]
    )


def make_record(
    person: Person, competence: Competence, by: Any, *, achieved_on: date | None = None, **fields: Any
) -> CompetenceRecord:
    return services.competence_record_create(
        management_system=person.management_system,
        user=by,
        person=person,
        competence=competence,
        basis=fields.pop("basis", CompetenceRecord.Basis.TRAINING),
        achieved_on=achieved_on or timezone.localdate() - timedelta(days=30),
        **fields,
    )


def api_rows(world: Any, *, account: Any = None) -> dict[str, Any]:
    """One row of each people endpoint in Acme, for the tests that walk every API resource.

    The person links ``account`` (the contributor's by default): a second call needs another member.
    """
    acme, officer = world.acme, world.officer
    person = make_person(acme, officer, name="Tom Reyes", account=account or world.contributor)
    literacy = make_competence(acme, officer, "AI literacy", validity_months=12)
    item = services.plan_item_create(
        management_system=acme, user=officer, subject="AI literacy induction", timing="At induction",
        audience="New staff", channel="E-learning", communicator=person, ai_literacy=True,
    )  # fmt: skip
    return {
        "people": person,
        "aims-roles": role(acme, AimsRole.AI_SYSTEM_OWNER),
        "role-assignments": appoint(acme, officer, person, AimsRole.AI_SYSTEM_OWNER),
        "competences": literacy,
        "competence-records": make_record(person, literacy, officer),
        "communication-plan": item,
        "communications": services.communication_create(
            management_system=acme,
            user=officer,
            plan_item=item,
            delivered_on=timezone.localdate(),
            audience="Ward 3",
            summary="AI literacy session",
            acknowledged_by=[person],
        ),  # fmt: skip
    }
