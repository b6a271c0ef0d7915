"""Per-object edit grants belong to the role: only contributors hold them, a role change or a removal ends them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from guardian.shortcuts import assign_perm, get_perms

from aims import access, services
from aims.access import Action
from aims.models import Membership, Role
from registers import services as register_services
from registers.models import Supplier
from tests.assessments.helpers import make_risk
from tests.factories import UserFactory, make_ai_system, make_record

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user loaded again, as on their next request (no cached access)."""
    return get_user_model().objects.get(pk=user.pk)


def membership(world, persona: str, ms=None) -> Membership:
    return Membership.objects.get(user=world.users[persona], management_system=ms or world.acme)


def change_role(world, persona: str, role: str) -> Membership:
    return services.membership_update(membership(world, persona), actor=world.owner, role=role, expires_at=None)


@pytest.fixture
def owned(world):
    """An AI system and a risk the contributor owns, and so edits."""
    system = make_ai_system(world.acme, user=world.officer, name="Triage", owner=world.contributor)
    risk = make_risk(world.acme, world.officer, owner=world.contributor)
    assert access.can(fresh(world.contributor), Action.EDIT, system)
    assert access.can(fresh(world.contributor), Action.EDIT, risk)
    return system, risk


def test_a_contributor_demoted_to_auditor_edits_nothing_they_owned(world, owned):
    changed = change_role(world, "contributor", Role.AUDITOR)

    for record in owned:
        assert not access.can(fresh(world.contributor), Action.EDIT, record)
        assert get_perms(fresh(world.contributor), record) == []
    assert sorted(changed.revoked_grants) == sorted(record.reference for record in owned)
    row = changed.history.order_by("-history_id").first()
    assert (row.history_user, row.history_change_reason) == (
        world.owner,
        "Role Auditor; edit grants on 2 records revoked",
    )


def test_a_grant_does_not_come_back_with_the_contributor_role(world, owned):
    change_role(world, "contributor", Role.AUDITOR)
    change_role(world, "contributor", Role.CONTRIBUTOR)

    for record in owned:
        assert not access.can(fresh(world.contributor), Action.EDIT, record)


def test_assigning_the_record_again_grants_edit_again(world, owned):
    system, _risk = owned
    change_role(world, "contributor", Role.LEADERSHIP)
    change_role(world, "contributor", Role.CONTRIBUTOR)

    register_services.ai_system_update(
        system, user=world.officer, expected_version=system.version, owner=world.contributor, reason="Re-assigned"
    )

    assert access.can(fresh(world.contributor), Action.EDIT, system)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.CONTRIBUTOR])
def test_removed_and_added_again_keeps_no_grant(world, owned, role):
    revoked = services.membership_remove(membership(world, "contributor"), actor=world.owner)
    services.membership_add(management_system=world.acme, actor=world.owner, user=world.contributor, role=role)

    assert len(revoked) == 2
    for record in owned:
        assert not access.can(fresh(world.contributor), Action.EDIT, record)
    removal = Membership.history.filter(user=world.contributor, history_type="-").get()
    assert removal.history_change_reason == "Removed; edit grants on 2 records revoked"


def test_an_expiry_change_keeps_the_grants(world, owned):
    changed = services.membership_update(
        membership(world, "contributor"), actor=world.owner, role=Role.CONTRIBUTOR, expires_at=None
    )
    assert changed.revoked_grants == []
    assert all(access.can(fresh(world.contributor), Action.EDIT, record) for record in owned)


def test_grants_in_another_management_system_stay(world, owned):
    services.membership_add(
        management_system=world.northwind, actor=world.outsider, user=world.contributor, role=Role.CONTRIBUTOR
    )
    theirs = make_ai_system(world.northwind, user=world.outsider, name="Pricing", owner=world.contributor)

    change_role(world, "contributor", Role.AUDITOR)

    assert access.can(fresh(world.contributor), Action.EDIT, theirs)
    assert not access.can(fresh(world.contributor), Action.EDIT, owned[0])


def test_every_kind_of_grant_is_revoked(world):
    supplier = make_record(Supplier, world.acme, user=world.officer, name="Vendor")
    contributor = world.contributor
    # Grants kept in guardian's generic table (a model without its own) and on the management system itself.
    assign_perm("registers.change_supplier", contributor, supplier)
    assign_perm("aims.edit_registers", contributor, world.acme)
    assert get_perms(fresh(contributor), supplier) and get_perms(fresh(contributor), world.acme)

    changed = change_role(world, "contributor", Role.AUDITOR)

    assert get_perms(fresh(contributor), supplier) == []
    assert "edit_registers" not in get_perms(fresh(contributor), world.acme)
    assert set(changed.revoked_grants) == {supplier.reference, str(world.acme)}


@pytest.mark.parametrize("persona", ["owner", "officer"])
def test_roles_that_edit_everything_get_no_grant_to_keep(world, persona):
    system = make_ai_system(world.acme, user=world.officer, owner=world.users[persona])
    assert access.can(world.users[persona], Action.EDIT, system)
    assert get_perms(world.users[persona], system) == []


def test_an_officer_demoted_to_contributor_edits_only_what_is_assigned_to_them_afterwards(world):
    system = make_ai_system(world.acme, user=world.owner, owner=world.officer)

    change_role(world, "officer", Role.CONTRIBUTOR)

    assert not access.can(fresh(world.officer), Action.EDIT, system)
    register_services.ai_system_update(
        system, user=world.owner, expected_version=system.version, owner=world.officer, reason="Re-assigned"
    )
    assert access.can(fresh(world.officer), Action.EDIT, system)


def test_the_members_page_says_which_grants_ended(world, client_as, owned):
    member = membership(world, "contributor")
    prefix = f"m{member.pk}"

    response = client_as("owner").post(
        reverse("aims:member_change", args=[world.acme.pk, member.pk]),
        {f"{prefix}-role": "auditor", f"{prefix}-expires_at": ""},
        follow=True,
    )

    text = response.content.decode()
    assert "edit rights on" in text and all(record.reference in text for record in owned)
    assert not access.can(fresh(world.contributor), Action.EDIT, owned[0])


def test_the_api_role_change_lists_the_grants_it_ended(world, api_as, owned):
    member = membership(world, "contributor")

    response = api_as("owner").patch(f"/api/v1/memberships/{member.pk}/", {"role": "leadership"}, format="json")

    assert response.status_code == 200
    assert sorted(response.json()["revoked_grants"]) == sorted(record.reference for record in owned)
    history = api_as("owner").get(f"/api/v1/memberships/{member.pk}/history/").json()["results"]
    assert history[0]["change_reason"] == "Role Leadership; edit grants on 2 records revoked"


def test_grants_left_from_before_end_on_migrate_and_rightful_ones_stay(world, owned):
    system, _risk = owned
    former = UserFactory(username="former_contributor")  # removed before removals revoked grants
    elsewhere = make_ai_system(world.northwind, user=world.outsider, name="Pricing")
    supplier = make_record(Supplier, world.acme, user=world.officer, name="Vendor")
    for user, record in ((world.leader, system), (former, system), (world.contributor, elsewhere)):
        assign_perm("registers.change_aisystem", user, record)
    assign_perm("registers.change_supplier", world.auditor, supplier)  # guardian's generic table
    assign_perm("aims.edit_registers", world.contributor, world.acme)  # never a user's own: roles are groups

    call_command("migrate", verbosity=0)

    assert get_perms(fresh(world.leader), system) == [] and get_perms(fresh(former), system) == []
    assert get_perms(fresh(world.contributor), elsewhere) == []
    assert get_perms(fresh(world.auditor), supplier) == []
    assert "edit_registers" not in get_perms(fresh(world.contributor), world.acme)
    assert all(access.can(fresh(world.contributor), Action.EDIT, record) for record in owned)  # still theirs
    assert access.revoke_grants_outside_their_role() == 0
