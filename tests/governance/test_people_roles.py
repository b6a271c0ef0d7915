"""The six seeded AIMS roles, ``holds_aims_role``, ``person_for_user`` and the rules of the people services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aims import hooks
from aims.services import StaleVersionError
from governance.models import AimsRole, RoleAssignment
from governance.people import seed, services
from governance.people.selectors import holds_aims_role, person_for_user
from tests.factories import UserFactory, make_ai_system, make_management_system
from tests.governance.people_helpers import appoint, appoint_user, make_person, role

TOP = AimsRole.TOP_MANAGEMENT
SEEDED = {
    AimsRole.TOP_MANAGEMENT, AimsRole.AIMS_MANAGER, AimsRole.INTERNAL_AUDITOR, AimsRole.RISK_OWNER,
    AimsRole.AI_SYSTEM_OWNER, AimsRole.HUMAN_OVERSIGHT_OPERATOR,
}  # fmt: skip


def _without_seeding(monkeypatch) -> None:
    monkeypatch.setattr(hooks, "_CREATED", [fn for fn in hooks._CREATED if fn is not seed.on_management_system_created])


def test_every_new_management_system_gets_the_six_roles_cheaply(db, monkeypatch):
    owner = UserFactory()
    ms = make_management_system(owner=owner)
    with monkeypatch.context() as patch:
        _without_seeding(patch)
        bare = make_management_system(owner=owner, name="Bare")
    with CaptureQueriesContext(connection) as queries:
        seed.on_management_system_created(bare, owner)
    assert len(queries) <= 10  # every test creating a management system pays for this
    assert AimsRole.objects.filter(management_system=bare).count() == 6
    roles = {r.key: r for r in AimsRole.objects.filter(management_system=ms).select_related("reports_to")}
    assert set(roles) == SEEDED
    assert sorted(r.reference for r in roles.values()) == [f"ROLE-00{i}" for i in range(1, 7)]
    assert all(r.responsibilities and r.authorities for r in roles.values())
    assert roles[TOP].reports_to is None and roles[TOP].mandatory
    assert roles[AimsRole.AIMS_MANAGER].reports_to == roles[TOP]
    assert roles[AimsRole.HUMAN_OVERSIGHT_OPERATOR].reports_to == roles[AimsRole.AI_SYSTEM_OWNER]
    first = roles[TOP].history.get()
    assert first.history_user == owner and first.history_change_reason == seed.SEED_REASON


def test_seed_command_fills_older_management_systems_and_is_idempotent(db, monkeypatch, capsys):
    _without_seeding(monkeypatch)
    owner = UserFactory()
    ms = make_management_system(owner=owner)
    assert not AimsRole.objects.filter(management_system=ms).exists()
    services.role_create(management_system=ms, user=owner, name="Data protection officer")
    call_command("seed_aims_roles")
    keys = list(AimsRole.objects.filter(management_system=ms).order_by("reference").values_list("reference", "key"))
    assert keys[0] == ("ROLE-001", "") and len(keys) == 7
    assert {key for _ref, key in keys[1:]} == SEEDED
    call_command("seed_aims_roles")
    assert AimsRole.objects.filter(management_system=ms).count() == 7
    assert "0 roles created" in capsys.readouterr().out


def test_holds_aims_role_follows_dates_departures_and_ended_assignments(world):
    acme, officer, leader = world.acme, world.officer, world.leader
    today = timezone.localdate()
    assert not holds_aims_role(leader, acme, TOP)
    assignment = appoint_user(acme, officer, leader, TOP, starts_on=today + timedelta(days=5))
    assert not holds_aims_role(leader, acme, TOP)  # not yet
    assert holds_aims_role(leader, acme, TOP, on=today + timedelta(days=5))
    assignment = services.assignment_update(
        assignment, user=officer, expected_version=assignment.version, starts_on=today - timedelta(days=10)
    )
    assert holds_aims_role(leader, acme, TOP)
    assert not holds_aims_role(leader, world.northwind, TOP)  # another management system
    assert not holds_aims_role(leader, acme, AimsRole.AIMS_MANAGER)
    assert not holds_aims_role(world.contributor, acme, TOP)
    ended = services.assignment_end(assignment, user=officer, expected_version=assignment.version, reason="Moved on")
    assert ended.ends_on == today
    assert holds_aims_role(leader, acme, TOP)  # the last day counts
    assert not holds_aims_role(leader, acme, TOP, on=today + timedelta(days=1))
    assert ended.history.first().history_change_reason == "Ended: Moved on"


def test_a_person_who_left_holds_no_role_and_their_assignments_end(world):
    acme, officer = world.acme, world.officer
    assignment = appoint_user(acme, officer, world.leader, TOP)
    person = assignment.person
    assert person_for_user(world.leader, acme) == person
    services.person_mark_left(person, user=officer, expected_version=person.version, reason="Retired from the board")
    assert not holds_aims_role(world.leader, acme, TOP)
    assert person_for_user(world.leader, acme) is None
    assert RoleAssignment.objects.get(pk=assignment.pk).ends_on == timezone.localdate()
    with pytest.raises(ValidationError):
        appoint(acme, officer, person, TOP)


def test_links_must_stay_in_the_management_system(world):
    acme, northwind, officer = world.acme, world.northwind, world.officer
    person = make_person(acme, officer)
    theirs = make_person(northwind, world.outsider, name="Nora North")
    with pytest.raises(ValidationError) as refused:
        services.assignment_create(
            management_system=acme, user=officer, person=theirs, role=role(acme, TOP), starts_on=timezone.localdate()
        )
    assert "person" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        appoint(acme, officer, person, TOP, ai_systems=[make_ai_system(northwind, user=world.outsider)])
    assert "ai_systems" in refused.value.message_dict
    with pytest.raises(ValidationError):  # an account that is not a member of Acme
        make_person(acme, officer, name="Outsider", account=world.outsider)
    assert not RoleAssignment.objects.exists()


def test_role_rules_stale_versions_and_retiring(world):
    acme, officer = world.acme, world.officer
    aims_manager = role(acme, AimsRole.AIMS_MANAGER)
    with pytest.raises(ValidationError):  # a loop in the line of reporting
        services.role_update(role(acme, TOP), user=officer, expected_version=1, reports_to=aims_manager)
    with pytest.raises(StaleVersionError):
        services.role_update(aims_manager, user=officer, expected_version=7, name="AIMS lead")
    appoint_user(acme, officer, world.officer, AimsRole.AIMS_MANAGER)
    with pytest.raises(ValidationError, match="still held"):
        services.role_retire(aims_manager, user=officer, expected_version=aims_manager.version, reason="Merged")
    spare = services.role_create(management_system=acme, user=officer, name="Ethics lead")
    retired = services.role_retire(spare, user=officer, expected_version=1, reason="Merged into the AIMS manager")
    assert retired.is_retired
