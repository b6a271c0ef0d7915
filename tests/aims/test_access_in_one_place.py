"""Access is decided in one place: has_perm agrees with access.can, owners may edit, role grants stay in sync."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from guardian.shortcuts import assign_perm, get_perms, remove_perm

from aims import access, services
from aims.access import Action
from aims.models import Role
from aims.selectors import active_members, owner_candidates
from controls.models import Applicability
from registers.models import AISystem
from tests.factories import make_ai_system
from tests.kit import PERSONAS, matrix

pytestmark = pytest.mark.django_db

PERMISSIONS = {
    Action.VIEW: "aims.view_registers",
    Action.EDIT: "aims.edit_registers",
    Action.MANAGE_MEMBERS: "aims.manage_members",
    Action.SIGN_OFF: "aims.sign_off",
    Action.REQUEST_PACK: "aims.request_pack",
}
RECORD_PERMISSIONS = {
    Action.VIEW: "registers.view_aisystem",
    Action.EDIT: "registers.change_aisystem",
    Action.DELETE: "registers.delete_aisystem",
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_has_perm_agrees_with_access_can_on_management_systems_and_records(world, persona):
    user = world.users[persona]
    mine = make_ai_system(world.acme, user=world.officer, name="Owned", owner=world.contributor)
    theirs = make_ai_system(world.northwind, user=world.outsider, name="Northwind system")
    for management_system in (world.acme, world.northwind):
        for action, perm in PERMISSIONS.items():
            assert user.has_perm(perm, management_system) == access.can(user, action, management_system), (
                perm,
                persona,
            )
    for record in (mine, theirs):
        for action, perm in RECORD_PERMISSIONS.items():
            assert user.has_perm(perm, record) == access.can(user, action, record), (perm, persona)


def test_an_expired_auditor_passes_no_has_perm_check(world):
    system = make_ai_system(world.acme, user=world.officer)
    expired = world.expired_auditor
    assert not expired.has_perm("aims.view_registers", world.acme)
    assert not expired.has_perm("registers.view_aisystem", system)
    assert world.auditor.has_perm("aims.view_registers", world.acme)


def test_a_grant_counts_only_for_a_role_that_may_hold_it(world):
    system = make_ai_system(world.acme, user=world.officer)
    for persona in ("auditor", "leader"):
        assign_perm("registers.change_aisystem", world.users[persona], system)
        access.forget_cached_access(world.users[persona])
        assert not access.can(world.users[persona], Action.EDIT, system)
        assert not world.users[persona].has_perm("registers.change_aisystem", system)
        assert access.editable_ids(world.users[persona], AISystem, world.acme) == set()


def test_owner_pickers_offer_only_active_members_who_may_edit(world):
    assert {u.username for u in owner_candidates(world.acme)} == {"owner", "officer", "contributor"}
    members = {u.username for u in active_members(world.acme)}
    assert members == {"owner", "officer", "leader", "contributor", "auditor"}  # never the expired auditor


MAY_OWN = {
    "owner": True,
    "officer": True,
    "leader": False,
    "contributor": True,
    "auditor": False,
    "expired_auditor": False,
    "outsider": False,
}


@matrix(MAY_OWN)
def test_services_refuse_an_owner_who_may_not_edit_and_grant_one_who_may(world, persona, expected):
    if expected:
        system = make_ai_system(world.acme, user=world.officer, owner=world.users[persona])
        assert access.can(world.users[persona], Action.EDIT, system)
        return
    with pytest.raises(ValidationError) as refused:
        make_ai_system(world.acme, user=world.officer, owner=world.users[persona])
    assert "owner" in refused.value.message_dict
    assert not AISystem.objects.filter(management_system=world.acme).exists()


def test_the_auditor_cannot_be_made_owner_in_the_browser(world, client_as):
    system = make_ai_system(world.acme, user=world.officer, name="Triage")
    url = reverse("registers:ai_system_edit", args=[world.acme.pk, system.pk])
    data = {
        "name": "Triage",
        "purpose": system.purpose,
        "owner": world.auditor.pk,
        "lifecycle_stage": "concept",
        "in_scope": "on",
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": "0",
        "eu_ai_act_risk_class": "unassessed",
        "human_oversight": "in_the_loop",
        "version": system.version,
    }
    response = client_as("officer").post(url, data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    system.refresh_from_db()
    assert system.owner is None and system.version == 1
    assert not access.can(world.auditor, Action.EDIT, system)


def test_the_auditor_cannot_be_made_owner_through_the_api(world, api_as):
    system = make_ai_system(world.acme, user=world.officer, name="Triage")
    client = api_as("officer")
    response = client.patch(
        f"/api/v1/ai-systems/{system.pk}/", {"owner": world.auditor.pk}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert "auditor role" in response.json()["owner"][0]
    system.refresh_from_db()
    assert system.owner is None and system.version == 1
    auditor = api_as("auditor")
    assert (
        auditor.patch(
            f"/api/v1/ai-systems/{system.pk}/", {"name": "Audited"}, format="json", HTTP_IF_MATCH='"1"'
        ).status_code
        == 403
    )


def test_the_soa_row_form_offers_no_expired_member(world, client_as):
    row = Applicability.objects.filter(management_system=world.acme).first()
    page = client_as("officer").get(reverse("controls:soa_row_edit", args=[world.acme.pk, row.pk]))
    owners = {label for _pk, label in page.context["form"].fields["owner"].choices}
    assert "expired_auditor" not in owners and "auditor" not in owners and "leader" not in owners
    assert {"owner", "officer", "contributor"} <= owners


def test_role_permissions_reach_existing_management_systems_on_migrate(world, monkeypatch):
    officers = Group.objects.get(name=access.role_group_name(world.acme, Role.OFFICER))
    remove_perm("aims.request_pack", officers, world.acme)
    assert "request_pack" not in get_perms(officers, world.acme)
    monkeypatch.setitem(access.ROLE_PERMISSIONS, Role.CONTRIBUTOR, {"view_registers", "request_pack"})

    call_command("migrate", verbosity=0)

    assert "request_pack" in get_perms(officers, world.acme)
    contributors = Group.objects.get(name=access.role_group_name(world.northwind, Role.CONTRIBUTOR))
    assert set(get_perms(contributors, world.northwind)) == {"view_registers", "request_pack"}
    monkeypatch.undo()
    assert access.sync_role_permissions() == 2  # taken back from both management systems' contributors
    access.forget_cached_access(world.contributor)
    assert not access.can(world.contributor, Action.REQUEST_PACK, world.acme)


def test_a_management_system_created_gets_role_groups_with_their_permissions(world):
    ms = services.management_system_create(user=world.owner, organisation="Acme", name="Second")
    for role, codenames in access.ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=access.role_group_name(ms, role))
        assert set(get_perms(group, ms)) == codenames
