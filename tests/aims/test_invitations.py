"""Memberships need consent: owners invite an address, the invitee accepts with the account of that address."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aims import access, invitations
from aims.access import Action
from aims.models import Invitation, ManagementSystem, Membership, Role
from tests.factories import UserFactory
from tests.kit import assert_constant_queries, enrol_authenticator, get_ok, log_in, matrix

pytestmark = pytest.mark.django_db

INVITATIONS_URL = "/api/v1/invitations/"


@pytest.fixture(autouse=True)
def _mail_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def members_url(ms: ManagementSystem) -> str:
    return reverse("aims:members", args=[ms.pk])


def invite(client: Client, ms: ManagementSystem, email: str, role: str = "auditor", **extra: str):
    data = {"invite-email": email, "invite-role": role, **{f"invite-{k}": v for k, v in extra.items()}}
    return client.post(members_url(ms), data)


def link_in(message) -> str:
    """The one-time link of an invitation e-mail, as a path."""
    found = re.search(r"https?://[^/\s]+(/invitations/[A-Za-z0-9_-]+/)", message.body)
    assert found, message.body
    return found.group(1)


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def login(user) -> Client:
    """Log in with the user's authenticator (owners must have one: creating a system makes them an owner)."""
    enrol_authenticator(user)
    return log_in(Client(), user)


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def newcomer(db):
    """Someone with an account and no membership: the usual invitee."""
    return UserFactory(username="newcomer", email="newcomer@certbody.example")


# --- inviting -----------------------------------------------------------------------------------


def test_the_owner_invites_an_address_which_receives_a_one_time_link(world, client_as, newcomer):
    response = invite(client_as("owner"), world.acme, "Newcomer@Certbody.example", "auditor")

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["newcomer@certbody.example"]
    assert "Acme AIMS" in message.subject and "auditor" in message.subject
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "newcomer@certbody.example",
        Role.AUDITOR,
        world.owner,
    )
    token = token_of(link_in(message))
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Invitation.objects.values().get()) and token not in str(list(Invitation.history.values()))
    assert not Membership.objects.filter(user=newcomer).exists()  # nobody joins without consent


@pytest.mark.parametrize("address", ["newcomer@certbody.example", "nobody@nowhere.example", "officer@example.org"])
def test_the_answer_is_the_same_whatever_the_address(world, client_as, newcomer, address):
    response = invite(client_as("owner"), world.acme, address, "officer")

    assert response.status_code == 302
    [message] = flash(response)
    assert message.replace(address, "ADDRESS") == (
        "If ADDRESS is a working e-mail address, an invitation to join Acme AIMS as compliance officer is on its "
        f"way to it. It can be accepted until {message.rsplit('until ', 1)[1]}"
    )
    assert "account" not in message.split("until")[0]  # says nothing about accounts
    assert [m.to for m in mail.outbox] == [[address]]
    assert Invitation.objects.get().email == address


def test_a_bad_address_or_role_is_refused_next_to_the_field(world, client_as):
    response = invite(client_as("owner"), world.acme, "not-an-address", "emperor")
    assert response.status_code == 400
    form = response.context["invite_form"]
    assert "email" in form.errors and "role" in form.errors
    assert not Invitation.objects.exists() and not mail.outbox


def test_a_new_invitation_of_the_same_address_replaces_the_pending_one(world, client_as, newcomer):
    owner = client_as("owner")
    invite(owner, world.acme, newcomer.email, "auditor")
    invite(owner, world.acme, newcomer.email, "contributor")
    first, second = (link_in(m) for m in mail.outbox)

    assert login(newcomer).get(first).status_code == 410
    assert login(newcomer).post(second, {"answer": "accept"}).status_code == 302
    assert Membership.objects.get(user=newcomer).role == Role.CONTRIBUTOR


INVITES = {
    "owner": 302,
    "officer": 403,
    "leader": 403,
    "contributor": 403,
    "auditor": 403,
    "expired_auditor": 404,
    "outsider": 404,
}


@matrix(INVITES)
def test_only_owners_invite(world, client_as, persona, expected):
    assert invite(client_as(persona), world.acme, "someone@example.net").status_code == expected
    assert Invitation.objects.exists() is (expected == 302)
    assert len(mail.outbox) == (1 if expected == 302 else 0)


def test_an_invitation_the_mail_server_refuses_is_withdrawn_and_said_so(world, client_as, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens there

    response = invite(client_as("owner"), world.acme, "someone@example.net")

    assert response.status_code == 400
    assert "could not be sent" in response.content.decode()
    assert Invitation.objects.get().state == Invitation.State.REVOKED


# --- accepting through the link -----------------------------------------------------------------


def test_the_invitee_accepts_through_the_link_and_joins_with_history(world, client_as, newcomer):
    ends = (timezone.now() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    invite(client_as("owner"), world.acme, newcomer.email, "auditor", access_ends_at=ends)
    link = link_in(mail.outbox[0])
    client = login(newcomer)

    page = client.get(link)
    assert page.status_code == 200 and "Accept and join" in page.content.decode()
    response = client.post(link, {"answer": "accept"})

    assert response["Location"] == reverse("aims:ms_home", args=[world.acme.pk])
    membership = Membership.objects.get(user=newcomer, management_system=world.acme)
    assert (membership.role, membership.granted_by) == (Role.AUDITOR, world.owner)
    assert membership.expires_at is not None and membership.expires_at.strftime("%Y-%m-%dT%H:%M") == ends
    row = membership.history.get()
    assert (row.history_user, row.history_change_reason) == (newcomer, "Accepted the invitation of owner as Auditor")
    invitation = Invitation.objects.get()
    assert (invitation.state, invitation.accepted_by) == (Invitation.State.ACCEPTED, newcomer)
    assert client.get(reverse("aims:ms_home", args=[world.acme.pk])).status_code == 200
    assert client.get(link).status_code == 410  # the link works once


def test_the_link_asks_a_visitor_to_log_in_first(world, client_as, newcomer):
    invite(client_as("owner"), world.acme, newcomer.email)
    link = link_in(mail.outbox[0])

    page = Client().get(link)
    assert page.status_code == 200
    assert f"{reverse('login')}?next={link}" in page.content.decode().replace("%2F", "/")
    response = Client().post(link, {"answer": "accept"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Membership.objects.filter(user=newcomer).exists()


def test_a_link_opened_by_another_logged_in_account_is_refused(world, client_as, newcomer):
    invite(client_as("owner"), world.acme, newcomer.email, "officer")
    link = link_in(mail.outbox[0])
    intruder = client_as("outsider")

    page = intruder.get(link)
    assert page.status_code == 403
    text = page.content.decode()
    assert "This invitation is for someone else" in text and "n…@certbody.example" in text
    assert newcomer.email not in text
    assert intruder.post(link, {"answer": "accept"}).status_code == 403
    assert not Membership.objects.filter(management_system=world.acme, user=world.outsider).exists()
    assert Invitation.objects.get().state == Invitation.State.PENDING


def test_unknown_expired_and_withdrawn_links_open_nothing(world, client_as, newcomer, settings):
    owner = client_as("owner")
    settings.AIMS_INVITATION_DAYS = 0  # the link expires at once
    invite(owner, world.acme, newcomer.email)
    settings.AIMS_INVITATION_DAYS = 7
    invite(owner, world.acme, "other@example.net")
    withdrawn = Invitation.objects.get(email="other@example.net")
    owner.post(reverse("aims:invitation_revoke", args=[world.acme.pk, withdrawn.pk]))
    client = login(newcomer)

    assert client.get("/invitations/not-a-token/").status_code == 404
    gone = client.get(link_in(mail.outbox[0]))
    assert gone.status_code == 410 and "expired" in gone.content.decode()
    assert client.post(link_in(mail.outbox[0]), {"answer": "accept"}).status_code == 410
    assert (
        login(UserFactory(username="other", email="other@example.net")).get(link_in(mail.outbox[1])).status_code == 410
    )
    assert not Membership.objects.filter(user=newcomer).exists()


def test_the_invitee_may_decline(world, client_as, newcomer):
    invite(client_as("owner"), world.acme, newcomer.email)
    link = link_in(mail.outbox[0])

    response = login(newcomer).post(link, {"answer": "decline"})

    assert response["Location"] == reverse("aims:home")
    assert Invitation.objects.get().state == Invitation.State.DECLINED
    assert not Membership.objects.filter(user=newcomer).exists()
    assert login(newcomer).get(link).status_code == 410


def test_a_member_already_there_is_told_and_keeps_their_role(world, client_as):
    invite(client_as("owner"), world.acme, world.officer.email, "auditor")

    response = client_as("officer").post(link_in(mail.outbox[0]), {"answer": "accept"})

    assert response.status_code == 400 and "already have a membership" in response.content.decode()
    assert Membership.objects.get(user=world.officer, management_system=world.acme).role == Role.OFFICER


# --- pending invitations on the home page -------------------------------------------------------


def test_pending_invitations_show_on_the_invitees_home_page_and_are_answered_there(world, client_as):
    invite(client_as("outsider"), world.northwind, world.officer.email, "auditor")
    invitation = Invitation.objects.get()

    home = client_as("officer").get(reverse("aims:home"))  # no redirect to Acme while an invitation waits
    assert home.status_code == 200
    assert "Northwind AIMS" in home.content.decode()
    assert home.context["invitations"] == [invitation]

    response = client_as("officer").post(reverse("aims:invitation_respond", args=[invitation.pk]), {"answer": "accept"})

    assert response["Location"] == reverse("aims:ms_home", args=[world.northwind.pk])
    assert Membership.objects.get(user=world.officer, management_system=world.northwind).role == Role.AUDITOR
    assert client_as("officer").get(reverse("aims:home")).context["invitations"] == []  # nothing pending any more


def test_nobody_else_answers_an_invitation_from_their_home_page(world, client_as):
    invite(client_as("outsider"), world.northwind, world.officer.email, "owner")
    invitation = Invitation.objects.get()

    for persona in ("leader", "contributor", "owner"):
        url = reverse("aims:invitation_respond", args=[invitation.pk])
        assert client_as(persona).post(url, {"answer": "accept"}).status_code == 404
        assert invitation not in invitations.pending_invitations_for(world.users[persona])
    assert Membership.objects.filter(management_system=world.northwind).count() == 1


def test_the_owner_sees_pending_invitations_and_withdraws_one(world, client_as):
    owner = client_as("owner")
    invite(owner, world.acme, "pending@example.net")
    invitation = Invitation.objects.get()
    assert "pending@example.net" in owner.get(members_url(world.acme)).content.decode()

    assert (
        client_as("officer").post(reverse("aims:invitation_revoke", args=[world.acme.pk, invitation.pk])).status_code
        == 403
    )
    response = owner.post(reverse("aims:invitation_revoke", args=[world.acme.pk, invitation.pk]))

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.REVOKED
    assert invitation.history.first().history_user == world.owner
    assert list(owner.get(members_url(world.acme)).context["invitations"]) == []


# --- the API ------------------------------------------------------------------------------------


def test_the_api_invites_with_the_same_answer_and_lists_invitations_to_owners(world, api_as):
    response = api_as("owner").post(
        INVITATIONS_URL,
        {"management_system": world.acme.pk, "email": "ext@certbody.example", "role": "auditor"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "pending" and body["invited_by"] == "owner"
    assert body["detail"].startswith("If ext@certbody.example is a working e-mail address")
    assert "token_hash" not in body
    assert mail.outbox[0].to == ["ext@certbody.example"]
    listed = api_as("owner").get(INVITATIONS_URL, {"management_system": world.acme.pk}).json()
    assert [row["email"] for row in listed["results"]] == ["ext@certbody.example"]
    assert api_as("officer").get(INVITATIONS_URL).json()["count"] == 0
    assert api_as("officer").get(f"{INVITATIONS_URL}{body['id']}/").status_code == 403
    assert api_as("outsider").get(f"{INVITATIONS_URL}{body['id']}/").status_code == 404


API_INVITES = {
    "owner": 201,
    "officer": 403,
    "leader": 403,
    "contributor": 403,
    "auditor": 403,
    "expired_auditor": 400,  # the management system does not exist for them
    "outsider": 400,
}


@matrix(API_INVITES)
def test_only_owners_invite_through_the_api(world, api_as, persona, expected):
    payload = {"management_system": world.acme.pk, "email": "ext@certbody.example", "role": "owner"}
    assert api_as(persona).post(INVITATIONS_URL, payload, format="json").status_code == expected
    assert Invitation.objects.exists() is (expected == 201)


def test_the_api_refuses_a_bad_address_and_withdraws_an_invitation(world, api_as):
    bad = api_as("owner").post(
        INVITATIONS_URL, {"management_system": world.acme.pk, "email": "nope", "role": "auditor"}, format="json"
    )
    assert bad.status_code == 400 and "email" in bad.json()
    created = api_as("owner").post(
        INVITATIONS_URL, {"management_system": world.acme.pk, "email": "a@b.example", "role": "auditor"}, format="json"
    )
    url = f"{INVITATIONS_URL}{created.json()['id']}/revoke/"

    assert api_as("officer").post(url).status_code == 403
    assert api_as("owner").post(url).json()["state"] == "revoked"
    again = api_as("owner").post(url)
    assert again.status_code == 400 and "withdrawn" in str(again.json())


# --- who may create a management system ---------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "staff", "superuser", "expected"),
    [
        ("staff", False, False, False),
        ("staff", True, False, True),
        ("superusers", True, False, False),
        ("superusers", True, True, True),
        ("anyone", False, False, True),
    ],
)
def test_the_setting_decides_who_creates_a_management_system(db, settings, rule, staff, superuser, expected):
    settings.AIMS_MS_CREATORS = rule
    founder = UserFactory(username="founder", is_staff=staff, is_superuser=superuser)
    client = login(founder)

    home = client.get(reverse("aims:home")).content.decode()
    page = client.post(reverse("aims:ms_create"), {"organisation": "Globex", "name": "Globex AIMS"})
    api = client.post(
        "/api/v1/management-systems/",
        {"organisation": "Initech", "name": "Initech AIMS"},
        content_type="application/json",
    )

    assert (reverse("aims:ms_create") in home) is expected
    assert (page.status_code, api.status_code) == ((302, 201) if expected else (403, 403))
    created = ManagementSystem.objects.filter(organisation__in=["Globex", "Initech"])
    assert created.count() == (2 if expected else 0)
    for ms in created:
        assert access.role_of(founder, ms) == Role.OWNER and ms.history.get().history_user == founder


def test_staff_with_one_management_system_stay_on_the_home_page_to_create_another(world, client_as):
    world.owner.is_staff = True
    world.owner.save(update_fields=["is_staff"])
    page = client_as("owner").get(reverse("aims:home"))
    assert page.status_code == 200 and reverse("aims:ms_create") in page.content.decode()
    assert client_as("officer").get(reverse("aims:home")).status_code == 302


def test_the_create_page_shows_errors_and_creates_nothing(db, settings):
    client = login(UserFactory(username="founder", is_staff=True))
    response = client.post(reverse("aims:ms_create"), {"organisation": "", "name": "x" * 201})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"organisation", "name"}
    assert not ManagementSystem.objects.exists()


# --- services -----------------------------------------------------------------------------------


def test_only_owners_may_invite_or_withdraw_even_through_the_services(world):
    with pytest.raises(Exception, match="Only the management system's owners"):
        invitations.invitation_create(
            management_system=world.acme,
            actor=world.officer,
            email="x@example.net",
            role=Role.OWNER,
            absolute_url=lambda path: path,
        )
    invitation = invitations.invitation_create(
        management_system=world.acme, actor=world.owner, email="x@example.net", role=Role.OWNER, absolute_url=str
    )
    with pytest.raises(Exception, match="Only the management system's owners"):
        invitations.invitation_revoke(invitation, actor=world.officer)
    assert access.can(world.owner, Action.MANAGE_MEMBERS, world.acme)


def test_an_account_without_an_address_is_told_how_to_be_invited(db):
    client = login(UserFactory(username="noaddress", email=""))
    text = client.get(reverse("aims:home")).content.decode()
    assert "has no e-mail address" in text


# --- query counts -------------------------------------------------------------------------------


def test_invitation_lists_do_not_grow_in_queries_with_invitations(world, client_as, api_as):
    number = iter(range(100))

    def grow():
        for _ in range(3):
            n = next(number)
            invitations.invitation_create(
                management_system=world.acme, actor=world.owner, email=f"p{n}@example.net", role=Role.AUDITOR,
                absolute_url=str,
            )  # fmt: skip
            invitations.invitation_create(
                management_system=world.northwind, actor=world.outsider, email=world.officer.email,
                role=Role.AUDITOR, absolute_url=str,
            )  # fmt: skip

    grow()
    assert_constant_queries(
        {
            "members page": get_ok(client_as("owner"), members_url(world.acme)),
            "api list": get_ok(api_as("owner"), INVITATIONS_URL, {"page_size": 100}),
            "invitee's home": get_ok(client_as("officer"), reverse("aims:home")),
        },
        grow,
    )
