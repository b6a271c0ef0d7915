"""Management systems and memberships through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from aims import access, services
from aims.access import Action
from aims.models import ManagementSystem, Membership, Role
from tests.factories import UserFactory
from tests.kit import assert_constant_queries, count_queries, get_ok, matrix

MS_URL = "/api/v1/management-systems/"
MEMBERS_URL = "/api/v1/memberships/"


def patch(client, url, payload, **headers):
    return client.patch(url, payload, content_type="application/json", **headers)


def post(client, url, payload):
    return client.post(url, payload, content_type="application/json")


# --- management systems ---


def test_staff_create_a_management_system_and_become_its_owner(db):
    founder = UserFactory(username="founder", is_staff=True)
    client = Client()
    client.force_login(founder)
    response = post(client, MS_URL, {"organisation": "Globex", "name": "Globex AIMS", "scope_statement": "All AI."})
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "owner"
    assert response["ETag"] == '"1"'
    ms = ManagementSystem.objects.get(pk=response.json()["id"])
    assert Membership.objects.get(management_system=ms).user == founder
    assert access.can(founder, Action.MANAGE_MEMBERS, ms)


def test_anonymous_cannot_create_a_management_system(db):
    response = post(Client(), MS_URL, {"organisation": "Globex", "name": "Globex AIMS"})
    assert response.status_code == 401
    assert not ManagementSystem.objects.exists()


def test_management_system_needs_organisation_and_name(world, client_as, settings):
    settings.AIMS_MS_CREATORS = "anyone"
    response = post(client_as("outsider"), MS_URL, {"organisation": "", "name": "x" * 201})
    assert response.status_code == 400
    assert set(response.json()) == {"organisation", "name"}
    assert ManagementSystem.objects.count() == 2


MEMBER, HIDDEN = (True, 200, 200), (False, 404, 404)  # (listed, detail, history)
SEES_ACME = {
    "owner": MEMBER,
    "officer": MEMBER,
    "leader": MEMBER,
    "contributor": MEMBER,
    "auditor": MEMBER,
    "expired_auditor": HIDDEN,
    "outsider": HIDDEN,
}
# Only owners change the management system and its members; to non-members it does not exist.
REFUSED = {"officer": 403, "leader": 403, "contributor": 403, "auditor": 403, "expired_auditor": 404, "outsider": 404}
SETTINGS_CHANGE = {"owner": 200, **REFUSED}
MEMBER_CHANGE = {"owner": (200, 204), **{persona: (status, status) for persona, status in REFUSED.items()}}


@matrix(SEES_ACME)
def test_members_see_their_management_system_and_others_do_not(world, client_as, persona, expected):
    client = client_as(persona)
    names = [ms["name"] for ms in client.get(MS_URL).json()["results"]]
    got = (
        "Acme AIMS" in names,
        client.get(f"{MS_URL}{world.acme.pk}/").status_code,
        client.get(f"{MS_URL}{world.acme.pk}/history/").status_code,
    )
    assert got == expected


def acme_settings(world) -> tuple:
    world.acme.refresh_from_db()
    return world.acme.name, world.acme.scope_statement, world.acme.status, world.acme.version


@matrix(SETTINGS_CHANGE)
def test_only_owners_change_name_scope_and_status(world, client_as, persona, expected):
    payload = {"name": "Acme AIMS 2027", "scope_statement": "Clinical AI.", "status": "operating"}
    url = f"{MS_URL}{world.acme.pk}/"
    response = patch(client_as(persona), url, payload, HTTP_IF_MATCH='"1"')
    assert response.status_code == expected
    if expected != 200:
        assert acme_settings(world) == ("Acme AIMS", "", "setting_up", 1)
        return
    assert response["ETag"] == '"2"'
    assert acme_settings(world) == ("Acme AIMS 2027", "Clinical AI.", "operating", 2)


def test_management_system_change_needs_current_version(world, client_as):
    client = client_as("owner")
    url = f"{MS_URL}{world.acme.pk}/"
    assert patch(client, url, {"name": "No precondition"}).status_code == 428
    assert patch(client, url, {"name": "Stale"}, HTTP_IF_MATCH='"9"').status_code == 412
    assert patch(client, url, {"status": "flying"}, HTTP_IF_MATCH='"1"').status_code == 400
    world.acme.refresh_from_db()
    assert (world.acme.name, world.acme.version) == ("Acme AIMS", 1)


def test_management_system_history_shows_who_changed_what_and_why(world, client_as):
    client = client_as("owner")
    url = f"{MS_URL}{world.acme.pk}/"
    payload = {"status": "operating", "change_reason": "Stage 1 audit passed"}
    assert patch(client, url, payload, HTTP_IF_MATCH='"1"').status_code == 200
    latest = client.get(url + "history/").json()["results"][0]
    assert (latest["user"], latest["change_reason"], latest["type"], latest["version"]) == (
        "owner",
        "Stage 1 audit passed",
        "changed",
        2,
    )
    assert latest["changes"] == [{"field": "status", "label": "status", "old": "Setting up", "new": "Operating"}]


def test_organisation_cannot_be_changed(world, client_as):
    response = patch(client_as("owner"), f"{MS_URL}{world.acme.pk}/", {"organisation": "Other"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 200
    world.acme.refresh_from_db()
    assert world.acme.organisation == "Acme Health"


def test_management_systems_cannot_be_deleted_through_the_api(world, client_as):
    response = client_as("owner").delete(f"{MS_URL}{world.acme.pk}/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 405
    assert ManagementSystem.objects.filter(pk=world.acme.pk).exists()


# --- memberships ---


def usernames(response) -> set[str]:
    assert response.status_code == 200
    return {m["username"] for m in response.json()["results"]}


def test_members_list_their_management_systems_members_without_expired_auditors(world, client_as):
    listed = usernames(client_as("officer").get(MEMBERS_URL))
    assert listed == {"owner", "officer", "leader", "contributor", "auditor"}


def test_owner_also_sees_expired_auditors_to_renew_them(world, client_as):
    rows = {m["username"]: m for m in client_as("owner").get(MEMBERS_URL).json()["results"]}
    assert rows["expired_auditor"]["is_expired"] is True
    assert rows["auditor"]["is_expired"] is False
    assert "outsider" not in rows


def test_outsiders_see_no_acme_members(world, client_as):
    membership = Membership.objects.get(user=world.officer)
    for persona in ("expired_auditor", "outsider"):
        assert not usernames(client_as(persona).get(MEMBERS_URL, {"management_system": world.acme.pk}))
        assert client_as(persona).get(f"{MEMBERS_URL}{membership.pk}/").status_code == 404


@pytest.mark.parametrize("payload", [{"username": "officer@example.org", "role": "auditor"}, {}])
def test_members_are_not_added_through_the_api_but_invited(world, client_as, payload):
    before = Membership.objects.count()
    response = post(client_as("owner"), MEMBERS_URL, {"management_system": world.acme.pk, **payload})
    assert response.status_code == 405
    assert "/api/v1/invitations/" in response.json()["detail"]
    assert Membership.objects.count() == before


def test_owner_changes_a_members_role_and_access_follows(world, client_as):
    membership = Membership.objects.get(user=world.contributor)
    response = patch(client_as("owner"), f"{MEMBERS_URL}{membership.pk}/", {"role": "officer"})
    assert response.status_code == 200
    assert response.json()["role"] == "officer"
    access.forget_cached_access(world.contributor)
    assert access.can(world.contributor, Action.CREATE, world.acme)
    history = client_as("owner").get(f"{MEMBERS_URL}{membership.pk}/history/").json()["results"]
    assert (history[0]["user"], history[0]["change_reason"]) == ("owner", "Role Compliance officer")


def test_owner_renews_an_expired_auditor(world, client_as):
    membership = Membership.objects.get(user=world.expired_auditor)
    expires = (timezone.now() + timedelta(days=5)).isoformat()
    response = patch(client_as("owner"), f"{MEMBERS_URL}{membership.pk}/", {"expires_at": expires})
    assert response.status_code == 200
    access.forget_cached_access(world.expired_auditor)
    assert access.can(world.expired_auditor, Action.VIEW, world.acme)
    history = client_as("owner").get(f"{MEMBERS_URL}{membership.pk}/history/").json()["results"]
    assert [c["field"] for c in history[0]["changes"]] == ["expires_at"]
    assert history[0]["changes"][0]["new"].startswith(expires[:16])


def test_owner_removes_a_member(world, client_as):
    membership = Membership.objects.get(user=world.leader)
    assert client_as("owner").delete(f"{MEMBERS_URL}{membership.pk}/").status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    access.forget_cached_access(world.leader)
    assert not access.can(world.leader, Action.VIEW, world.acme)


def test_last_owner_cannot_be_demoted_or_removed(world, client_as):
    membership = Membership.objects.get(user=world.owner)
    client = client_as("owner")
    demote = patch(client, f"{MEMBERS_URL}{membership.pk}/", {"role": "officer"})
    assert demote.status_code == 400
    assert "at least one owner" in demote.json()["role"][0]
    assert client.delete(f"{MEMBERS_URL}{membership.pk}/").status_code == 400
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


@matrix(MEMBER_CHANGE)
def test_only_owners_change_or_remove_members(world, client_as, persona, expected):
    membership = Membership.objects.get(user=world.leader)
    url = f"{MEMBERS_URL}{membership.pk}/"
    changed = patch(client_as(persona), url, {"role": "owner"})
    promoted = Membership.objects.get(pk=membership.pk).role == Role.OWNER
    removed = client_as(persona).delete(url)
    assert (changed.status_code, removed.status_code) == expected
    if expected != (200, 204):
        membership.refresh_from_db()
        assert membership.role == Role.LEADERSHIP and not promoted
        return
    assert promoted and not Membership.objects.filter(pk=membership.pk).exists()


def test_membership_list_query_count_does_not_grow_with_members(world, client_as):
    members = get_ok(client_as("owner"), MEMBERS_URL, {"page_size": 100})
    rows = members().json()["count"]

    def add_members():
        for i in range(20):
            services.membership_add(
                management_system=world.acme, actor=world.owner, user=UserFactory(username=f"m{i}"), role=Role.AUDITOR
            )

    assert_constant_queries(members, add_members)
    assert members().json()["count"] == rows + 20


def test_management_system_list_query_count_does_not_grow_with_systems(world, client_as):
    systems = get_ok(client_as("officer"), MS_URL, {"page_size": 100})
    few, rows = count_queries(systems), systems().json()["count"]
    for i in range(10):
        ms = services.management_system_create(user=world.outsider, organisation=f"Org {i}", name="AIMS")
        services.membership_add(management_system=ms, actor=world.outsider, user=world.officer, role=Role.AUDITOR)
    systems = get_ok(
        client_as("officer"), MS_URL, {"page_size": 100}
    )  # a new request: memberships are read once per request
    many, more_rows = count_queries(systems), systems().json()["count"]
    assert (rows, more_rows) == (1, 11)
    assert many == few
