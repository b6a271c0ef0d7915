"""What every page pays before its own work: the session, the user and their authenticator, then
one query for the user's memberships (with their management systems) and one for their
permissions on the page's management system; the navigation asks nothing more.

Access is still decided afresh on every request: a permission revoked, a membership ended or
an auditor's access running out is refused on the next one.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, set_script_prefix
from django.utils import timezone
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import assign_perm, remove_perm

from aims import access, context_processors, services
from aims.access import Action
from aims.models import Membership, Role
from tests.factories import UserFactory
from tests.kit import count_queries

pytestmark = pytest.mark.django_db

# session, user, authenticator (django-otp), memberships with their management systems, permissions
FIXED_QUERIES = 5


def fresh(user):
    """The user as a new request loads them: nothing cached from an earlier decision."""
    return get_user_model().objects.get(pk=user.pk)


def settings_page(ms) -> str:
    return reverse("aims:ms_edit", args=[ms.pk])


def test_a_page_that_asks_nothing_of_its_own_costs_the_fixed_queries_only(world, client_as):
    client = client_as("owner")
    url = settings_page(world.acme)
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert len(captured) == FIXED_QUERIES, [q["sql"][:120] for q in captured]
    sql = [q["sql"] for q in captured]
    assert sum('FROM "aims_membership"' in s for s in sql) == 1
    assert sum('FROM "auth_permission"' in s for s in sql) == 1
    # The management system comes with the membership, the navigation's list too: never on its own.
    assert not any(s.lstrip().startswith('SELECT "aims_managementsystem"') for s in sql)
    assert b"Acme AIMS" in response.content  # the navigation still lists the user's management system


def test_every_access_decision_on_a_management_system_costs_two_queries_in_all(world):
    user = fresh(world.leader)
    decisions = count_queries(lambda: [access.can(user, action, world.acme) for action in Action for _ in range(3)])
    assert decisions == 2  # the memberships, then the permissions on acme (one query, user's and groups')
    assert count_queries(lambda: access.get_management_system(user, world.acme.pk, Action.SIGN_OFF)) == 0


@pytest.mark.parametrize("persona", ["owner", "officer", "leader", "contributor", "auditor", "expired_auditor"])
def test_system_permissions_agree_with_guardian(world, persona):
    user = fresh(world.users[persona])
    member = access.membership_for(user, world.acme.pk) is not None
    guardian = ObjectPermissionChecker(fresh(world.users[persona]))
    for codename in access.ROLE_PERMISSIONS[Role.OWNER]:
        expected = member and guardian.has_perm(codename, world.acme)
        assert access._has_system_perm(user, world.acme, codename) is expected, codename


def test_a_permission_given_to_the_user_directly_counts_as_guardian_counts_it(world):
    assert not access.can(fresh(world.officer), Action.SIGN_OFF, world.acme)
    assign_perm("aims.sign_off", world.officer, world.acme)
    assert access.can(fresh(world.officer), Action.SIGN_OFF, world.acme)


def test_a_superuser_member_holds_every_permission_and_an_outsider_superuser_none(world):
    root = UserFactory(username="root", is_superuser=True)
    assert not access.can(fresh(root), Action.VIEW, world.acme)
    services.membership_add(management_system=world.acme, actor=world.owner, user=root, role=Role.AUDITOR)
    assert access.can(fresh(root), Action.MANAGE_MEMBERS, world.acme)  # as guardian answers a superuser


def test_a_permission_revoked_is_refused_on_the_next_request(world, client_as):
    client = client_as("owner")
    url = settings_page(world.acme)
    assert client.get(url).status_code == 200
    owners = Group.objects.get(name=access.role_group_name(world.acme, Role.OWNER))
    remove_perm("aims.manage_members", owners, world.acme)
    assert client.get(url).status_code == 403
    assign_perm("aims.manage_members", owners, world.acme)
    assert client.get(url).status_code == 200


def test_a_membership_ended_is_refused_on_the_next_request(world, client_as):
    client = client_as("officer")
    url = reverse("aims:ms_home", args=[world.acme.pk])
    assert client.get(url).status_code == 200
    services.membership_remove(Membership.objects.get(user=world.officer), actor=world.owner)
    assert client.get(url).status_code == 404


def test_an_auditors_access_that_runs_out_between_two_requests_ends_at_once(world, client_as, monkeypatch):
    client = client_as("auditor")
    url = reverse("aims:ms_home", args=[world.acme.pk])
    membership = Membership.objects.get(user=world.auditor, management_system=world.acme)
    services.membership_update(
        membership, actor=world.owner, role=Role.AUDITOR, expires_at=timezone.now() + timedelta(minutes=5)
    )
    assert client.get(url).status_code == 200
    later = timezone.now() + timedelta(minutes=6)
    monkeypatch.setattr(access.timezone, "now", lambda: later)
    assert client.get(url).status_code == 404


def test_a_role_changed_within_a_request_is_read_afresh(world):
    user = fresh(world.officer)
    assert access.can(user, Action.EDIT, world.acme)
    membership = Membership.objects.get(user=world.officer, management_system=world.acme)
    membership.user = user  # the service's user is the one whose access was read (as request.user)
    services.membership_update(membership, actor=world.owner, role=Role.AUDITOR, expires_at=None)
    # membership_update reloads the membership (and its user); the old user object is told too.
    access.forget_cached_access(user)
    assert not access.can(user, Action.EDIT, world.acme)
    assert access.can(user, Action.VIEW, world.acme)


def test_forgetting_cached_access_drops_the_permissions_read(world):
    user = fresh(world.leader)
    assert access.can(user, Action.SIGN_OFF, world.acme)
    leaders = Group.objects.get(name=access.role_group_name(world.acme, Role.LEADERSHIP))
    remove_perm("aims.sign_off", leaders, world.acme)
    assert access.can(user, Action.SIGN_OFF, world.acme)  # within one request, read once
    access.forget_cached_access(user)
    assert not access.can(user, Action.SIGN_OFF, world.acme)


def test_the_page_may_change_its_management_system_without_changing_the_navigation(world):
    user = fresh(world.owner)
    ms = access.get_management_system(user, world.acme.pk)
    ms.name = "Unsaved name"
    assert [m.name for m in access.member_management_systems(user)] == ["Acme AIMS"]


def test_the_navigation_lists_the_users_management_systems_by_organisation_and_name(world):
    for organisation, name in [("Zeta", "Z AIMS"), ("Acme Health", "Another AIMS"), ("Beta", "B AIMS")]:
        ms = services.management_system_create(
            organisation=organisation, name=name, user=world.outsider, owner=world.outsider
        )
        assert ms.memberships.filter(user=world.outsider).exists()
    listed = [(m.organisation, m.name) for m in access.member_management_systems(fresh(world.outsider))]
    assert listed == sorted(listed)
    assert len(listed) == 4


def test_menu_links_are_reversed_once_per_management_system(world, client_as):
    context_processors._menu_links.cache_clear()
    client = client_as("owner")
    url = reverse("aims:ms_home", args=[world.acme.pk])
    client.get(url)
    first = context_processors._menu_links.cache_info()
    html = client.get(url).content.decode()
    second = context_processors._menu_links.cache_info()
    assert first.misses > 0
    assert second.misses == first.misses and second.hits > first.hits
    assert reverse("governance:document_list", args=[world.acme.pk]) in html
    northwind = client_as("outsider").get(reverse("aims:ms_home", args=[world.northwind.pk])).content.decode()
    assert reverse("governance:document_list", args=[world.northwind.pk]) in northwind
    assert f"/ms/{world.acme.pk}/governance/" not in northwind


def test_menu_links_follow_the_script_prefix(world, rf):
    user = fresh(world.owner)

    def documents_link(prefix: str) -> str:
        set_script_prefix(prefix)
        try:
            request = rf.get("/")
            request.user, request.management_system = user, world.acme
            menus = context_processors.navigation(request)["nav_menus"]
        finally:
            set_script_prefix("/")
        return next(e["url"] for m in menus for e in m["entries"] if e["title"] == "Documents")

    documents = reverse("governance:document_list", args=[world.acme.pk])
    assert documents_link("/") == documents
    assert documents_link("/aims/") == f"/aims{documents}"
    assert documents_link("/") == documents


def test_a_record_opened_without_its_management_system_does_not_read_it_again(world):
    from registers.models import AISystem
    from tests.factories import AISystemFactory

    system = AISystemFactory(management_system=world.acme)
    user = fresh(world.officer)
    access.membership_for(user, world.acme.pk)
    access._system_permissions(user, world.acme.pk)

    def open_and_show():
        obj = access.get_record(user, AISystem.objects.all(), system.pk, Action.EDIT)
        return obj.management_system.name

    assert count_queries(open_and_show) == 1  # the record only
    assert access.get_record(user, AISystem.objects.all(), system.pk).management_system == world.acme
