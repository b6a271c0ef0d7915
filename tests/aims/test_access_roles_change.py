"""The permission matrix, continued: role changes, removals, owner grants and the four-eyes rule, per persona.

Each case goes through the API as the persona would: what they may do with a record they own
(or were offered) before and after the owner changes their role and then removes them, and
whether they may accept a risk whose ratings they changed themselves.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from guardian.shortcuts import get_perms

from aims import access, services
from aims.models import Membership, Role, SignOff
from assessments.models import Risk
from registers.models import AISystem
from tests.assessments.helpers import make_risk
from tests.factories import UserFactory, make_ai_system
from tests.kit import matrix, otp_header

pytestmark = pytest.mark.django_db


def rename(client, system: AISystem, name: str) -> int:
    system.refresh_from_db()
    url = f"/api/v1/ai-systems/{system.pk}/"
    return client.patch(url, {"name": name}, format="json", HTTP_IF_MATCH=f'"{system.version}"').status_code


# (edits the AI system named after them before, after becoming an auditor, after removal)
OWNED_SYSTEM = {
    "owner": (200, 403, 404),
    "officer": (200, 403, 404),
    "leader": (403, 403, 404),  # leadership cannot be named owner: the system has none
    "contributor": (200, 403, 404),  # through the grant, which the role change ends
    "auditor": (403, 403, 404),
    "expired_auditor": (404, 404, 404),
    "outsider": (404, 404, 404),
}


@matrix(OWNED_SYSTEM)
def test_what_a_member_owns_they_edit_only_while_their_role_allows(world, api_as, persona, expected):
    user = world.users[persona]
    # A second owner, so that the owner persona may be demoted and removed too.
    services.membership_add(
        management_system=world.acme, actor=world.owner, user=UserFactory(username="second"), role=Role.OWNER
    )
    try:
        system = make_ai_system(world.acme, user=world.officer, name="Triage", owner=user)
    except ValidationError:
        system = make_ai_system(world.acme, user=world.officer, name="Triage")  # may not own it
    membership = Membership.objects.filter(user=user, management_system=world.acme).first()

    before = rename(api_as(persona), system, "Before")
    if membership is not None:
        services.membership_update(membership, actor=world.owner, role=Role.AUDITOR, expires_at=membership.expires_at)
    demoted = rename(api_as(persona), system, "Demoted")
    if membership is not None:
        services.membership_remove(Membership.objects.get(pk=membership.pk), actor=world.owner)
    removed = rename(api_as(persona), system, "Removed")

    assert (before, demoted, removed) == expected
    assert get_perms(user, system) == []  # no grant is left behind


# (a member re-added with each role: may they edit the AI system they owned as a contributor?)
READDED = {role: role in (Role.OWNER, Role.OFFICER) for role in Role.values}


@pytest.mark.parametrize(("role", "edits"), READDED.items())
def test_a_removed_contributor_added_again_edits_only_as_the_new_role_allows(world, api_as, role, edits):
    system = make_ai_system(world.acme, user=world.officer, name="Triage", owner=world.contributor)
    services.membership_remove(Membership.objects.get(user=world.contributor), actor=world.owner)
    services.membership_add(management_system=world.acme, actor=world.owner, user=world.contributor, role=role)

    assert rename(api_as("contributor"), system, "Again") == (200 if edits else 403)


# (changes the risk's residual rating, accepts it without an override, accepts it with one)
FOUR_EYES = {
    "owner": (200, 400, 201),
    "officer": (200, 400, 201),
    "leader": (403, 201, None),  # did not change it: accepts as the second person
    "contributor": (200, 400, 201),  # the risk owner, through the grant
    "auditor": (403, 403, 403),
    "expired_auditor": (404, 404, 404),
    "outsider": (404, 404, 404),
}


@matrix(FOUR_EYES)
def test_whoever_last_rated_a_risk_does_not_accept_it_without_an_override(world, api_as, persona, expected):
    analyst = UserFactory(username="risk_analyst")  # recorded the risk; none of the personas
    risk = make_risk(
        world.acme, analyst, owner=world.contributor, likelihood=4, consequence=5, residual_likelihood=2,
        residual_consequence=2,
    )  # fmt: skip
    client = api_as(persona)
    url = f"/api/v1/risks/{risk.pk}/"

    rated = client.patch(url, {"residual_likelihood": 1}, format="json", HTTP_IF_MATCH=f'"{risk.version}"')
    risk = Risk.objects.get(pk=risk.pk)

    def accept(**override):
        headers = {"HTTP_IF_MATCH": f'"{risk.version}"', **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in otp_header(world, persona).items()}}  # fmt: skip
        return client.post(url + "accept/", {"statement": "Accepted.", **override}, format="json", **headers)

    plain = accept()
    if plain.status_code == 400:
        assert "override_reason" in plain.json()
    overridden = accept(override_reason="The risk owner is away; agreed by e-mail.") if expected[2] else None

    got = (rated.status_code, plain.status_code, overridden.status_code if overridden is not None else None)
    assert got == expected
    signoffs = list(SignOff.objects.all())
    assert len(signoffs) == (1 if 201 in expected else 0)
    if expected[1] == 400 and expected[2] == 201:
        assert signoffs[0].override_reason == "The risk owner is away; agreed by e-mail."
    elif signoffs:
        assert signoffs[0].override_reason == ""


def test_an_officer_who_makes_themselves_owner_of_a_high_risk_and_lowers_it_needs_a_second_person(world, api_as):
    risk = make_risk(world.acme, world.owner, owner=world.contributor, likelihood=5, consequence=5)
    client = api_as("officer")
    url = f"/api/v1/risks/{risk.pk}/"
    body = {"owner": world.officer.pk, "residual_likelihood": 1, "residual_consequence": 2}
    assert client.patch(url, body, format="json", HTTP_IF_MATCH=f'"{risk.version}"').status_code == 200

    risk = Risk.objects.get(pk=risk.pk)
    headers = {"HTTP_IF_MATCH": f'"{risk.version}"', "HTTP_X_OTP": otp_header(world, "officer")["x-otp"]}
    refused = client.post(url + "accept/", {"statement": "Low now."}, format="json", **headers)

    assert refused.status_code == 400 and "last change" in refused.json()["override_reason"][0]
    assert not SignOff.objects.exists()
    assert access.can(world.officer, access.Action.EDIT, risk)  # still edits it; only the acceptance waits
