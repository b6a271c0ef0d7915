"""Home, switcher, overview, settings and members pages of a management system."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aims import services
from aims.models import ManagementSystem, Membership, Role
from tests.factories import UserFactory, make_ai_system, make_management_system
from tests.kit import matrix

pytestmark = pytest.mark.django_db


def members_url(ms: ManagementSystem) -> str:
    return reverse("aims:members", args=[ms.pk])


# --- home and switcher -----------------------------------------------------------------------


def test_home_redirects_to_the_members_work_in_the_only_management_system(world, client_as):
    response = client_as("officer").get(reverse("aims:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:my_work", args=[world.acme.pk])


def test_home_lists_every_management_system_of_a_member_of_several(world, client_as):
    services.membership_add(
        management_system=world.northwind, actor=world.outsider, user=world.officer, role=Role.AUDITOR
    )

    response = client_as("officer").get(reverse("aims:home"))

    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("aims:ms_home", args=[world.acme.pk]) in page
    assert reverse("aims:ms_home", args=[world.northwind.pk]) in page


def test_home_of_a_user_without_membership_explains_what_to_do(world, client_as):
    response = client_as("expired_auditor").get(reverse("aims:home"))
    assert response.status_code == 200
    assert "not a member of any management system" in response.content.decode()


def test_switcher_goes_to_a_visible_management_system(world, client_as):
    response = client_as("outsider").get(reverse("aims:switch"), {"ms": world.northwind.pk})
    assert response["Location"] == reverse("aims:ms_home", args=[world.northwind.pk])


@pytest.mark.parametrize("value", ["acme", "", "nonsense"])
def test_switcher_refuses_invisible_or_bad_ids(world, client_as, value):
    ms = world.acme.pk if value == "acme" else value
    assert client_as("outsider").get(reverse("aims:switch"), {"ms": ms}).status_code == 404


def test_switcher_shows_in_the_header_for_members_of_several(world, client_as):
    services.membership_add(
        management_system=world.northwind, actor=world.outsider, user=world.officer, role=Role.AUDITOR
    )
    page = client_as("officer").get(reverse("aims:ms_home", args=[world.acme.pk])).content.decode()
    assert reverse("aims:switch") in page and "Northwind AIMS" in page


# --- overview ---------------------------------------------------------------------------------


def test_overview_counts_systems_by_stage_and_scope(world, client_as):
    make_ai_system(world.acme, user=world.owner, name="A", lifecycle_stage="operation")
    make_ai_system(world.acme, user=world.owner, name="B", lifecycle_stage="operation", in_scope=False)
    make_ai_system(world.acme, user=world.owner, name="C", lifecycle_stage="design")
    make_ai_system(world.northwind, user=world.outsider, name="Not counted", lifecycle_stage="operation")

    response = client_as("auditor").get(reverse("aims:ms_home", args=[world.acme.pk]))

    panels = {panel.key: context for panel, context in response.context["panels"]}
    summary = panels["inventory"]["summary"]
    assert summary.total == 3
    assert summary.in_scope == 2
    stages = {value: count for value, _label, count in summary.stages}
    assert stages["operation"] == 2 and stages["design"] == 1 and stages["concept"] == 0
    page = response.content.decode()
    assert "Auditor" in page and "AI system inventory" in page


def test_overview_is_404_for_outsiders(world, client_as):
    assert client_as("outsider").get(reverse("aims:ms_home", args=[world.acme.pk])).status_code == 404
    assert client_as("expired_auditor").get(reverse("aims:ms_home", args=[world.acme.pk])).status_code == 404


# --- settings ---------------------------------------------------------------------------------


def test_owner_edits_scope_statement_with_history(world, client_as):
    url = reverse("aims:ms_edit", args=[world.acme.pk])
    data = {
        "name": "Acme AIMS",
        "scope_statement": "All patient-facing AI.",
        "status": "operating",
        "version": world.acme.version,
    }

    response = client_as("owner").post(url, {**data, "change_reason": "Scope agreed"})

    assert response.status_code == 302
    world.acme.refresh_from_db()
    assert world.acme.scope_statement == "All patient-facing AI." and world.acme.version == 2
    latest = world.acme.history.order_by("-history_id").first()
    assert latest.history_user == world.owner and latest.history_change_reason == "Scope agreed"


def test_stale_settings_edit_is_refused(world, client_as):
    url = reverse("aims:ms_edit", args=[world.acme.pk])
    data = {"name": "Acme AIMS", "scope_statement": "First", "status": "operating", "version": 1}
    client_as("owner").post(url, data)

    response = client_as("owner").post(url, {**data, "scope_statement": "Second"})

    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    world.acme.refresh_from_db()
    assert world.acme.scope_statement == "First"


OWNERS_ONLY = {
    "owner": 302,
    "officer": 403,
    "leader": 403,
    "contributor": 403,
    "auditor": 403,
    "expired_auditor": 404,
    "outsider": 404,
}


@matrix(OWNERS_ONLY)
def test_only_owners_edit_settings(world, client_as, persona, expected):
    url = reverse("aims:ms_edit", args=[world.acme.pk])
    response = client_as(persona).post(url, {"name": "Taken over", "status": "operating", "version": 1})
    assert response.status_code == expected
    world.acme.refresh_from_db()
    assert world.acme.name == ("Taken over" if expected == 302 else "Acme AIMS")


# --- members ----------------------------------------------------------------------------------


def test_members_page_lists_role_granted_by_and_expiry(world, client_as):
    page = client_as("owner").get(members_url(world.acme)).content.decode()
    for name in ("officer", "leader", "contributor", "auditor", "expired_auditor"):
        assert name in page
    assert "Access ended" in page  # the expired auditor
    assert "by owner" in page


def test_owner_changes_role_and_expiry(world, client_as):
    membership = Membership.objects.get(user=world.officer, management_system=world.acme)
    prefix = f"m{membership.pk}"
    url = reverse("aims:member_change", args=[world.acme.pk, membership.pk])

    response = client_as("owner").post(
        url, {f"{prefix}-role": "leadership", f"{prefix}-expires_at": "2031-01-31T17:00"}
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.LEADERSHIP and membership.expires_at.year == 2031


def test_last_owner_cannot_be_demoted(world, client_as):
    membership = Membership.objects.get(user=world.owner, management_system=world.acme)
    prefix = f"m{membership.pk}"
    url = reverse("aims:member_change", args=[world.acme.pk, membership.pk])

    response = client_as("owner").post(url, {f"{prefix}-role": "auditor", f"{prefix}-expires_at": ""})

    assert response.status_code == 400
    assert "at least one owner" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_last_owner_cannot_be_removed(world, client_as):
    membership = Membership.objects.get(user=world.owner, management_system=world.acme)

    response = client_as("owner").post(reverse("aims:member_remove", args=[world.acme.pk, membership.pk]), follow=True)

    assert "at least one owner" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_owner_removes_a_member_who_then_sees_nothing(world, client_as):
    membership = Membership.objects.get(user=world.leader, management_system=world.acme)

    response = client_as("owner").post(reverse("aims:member_remove", args=[world.acme.pk, membership.pk]))

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert client_as("leader").get(reverse("aims:ms_home", args=[world.acme.pk])).status_code == 404


def test_membership_of_another_management_system_cannot_be_changed_through_this_one(world, client_as):
    other_owner = UserFactory(username="other-owner")
    other = make_management_system(owner=other_owner, organisation="Elsewhere", name="Other AIMS")
    services.membership_add(management_system=other, actor=other_owner, user=world.owner, role=Role.OWNER)
    foreign = Membership.objects.get(user=other_owner, management_system=other)

    response = client_as("owner").post(reverse("aims:member_remove", args=[world.acme.pk, foreign.pk]))

    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


@matrix(OWNERS_ONLY)
def test_only_owners_change_or_remove_members(world, client_as, persona, expected):
    membership = Membership.objects.get(user=world.contributor, management_system=world.acme)
    prefix = f"m{membership.pk}"
    client = client_as(persona)

    changed = client.post(
        reverse("aims:member_change", args=[world.acme.pk, membership.pk]), {f"{prefix}-role": "owner"}
    )
    promoted = Membership.objects.get(pk=membership.pk).role == Role.OWNER
    removed = client.post(reverse("aims:member_remove", args=[world.acme.pk, membership.pk]))

    assert changed.status_code == expected and removed.status_code == expected
    assert promoted is (expected == 302)
    assert Membership.objects.filter(pk=membership.pk).exists() is (expected != 302)
    if expected != 302:
        membership.refresh_from_db()
        assert membership.role == Role.CONTRIBUTOR


# --- login ------------------------------------------------------------------------------------


def test_login_page_logs_in_and_logout_logs_out(world, client):
    from tests.factories import PASSWORD
    from tests.kit import second_factor

    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert response.status_code == 302  # to the code step: the officer has an authenticator
    assert client.post(response["Location"], {"code": second_factor(world.officer)}).status_code == 302
    assert client.get(reverse("registers:ai_system_list", args=[world.acme.pk])).status_code == 200

    client.post(reverse("logout"))
    assert client.get(reverse("registers:ai_system_list", args=[world.acme.pk])).status_code == 302


def test_wrong_password_shows_an_error(world, client):
    response = client.post(reverse("login"), {"username": "officer", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
