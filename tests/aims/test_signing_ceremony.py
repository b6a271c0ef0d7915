"""Signing is a ceremony: a second factor at the moment of signing, and four eyes (or a recorded override)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from aims import ledger, mfa
from aims.models import SignOff
from aims.services import membership_add
from assessments import services
from assessments.signoffs import ACCEPTANCE
from tests.assessments.helpers import make_risk
from tests.factories import UserFactory
from tests.kit import second_factor, sign_data

pytestmark = pytest.mark.django_db

WITHIN = {"residual_likelihood": 1, "residual_consequence": 2}


def current_code(user) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def _accept_url(world, risk) -> str:
    return reverse("assessments:risk_accept", args=[world.acme.pk, risk.pk])


def test_the_leader_signs_with_the_code_of_their_authenticator_and_it_is_recorded(world, client_as):
    risk = make_risk(world.acme, world.officer, **WITHIN)
    data = {**sign_data(ACCEPTANCE, risk, signer=world.leader), "second_factor": current_code(world.leader)}
    assert client_as("leader").post(_accept_url(world, risk), data).status_code == 302
    signoff = SignOff.objects.get()
    assert signoff.verification == mfa.TOTP
    assert ledger.verify(world.acme)["ok"] is True


@pytest.mark.parametrize("answer", ["", "123456", "correct-horse-battery-staple"])
def test_a_wrong_or_missing_code_signs_nothing(world, client_as, answer):
    risk = make_risk(world.acme, world.officer, **WITHIN)
    data = {**sign_data(ACCEPTANCE, risk, signer=world.leader), "second_factor": answer}
    response = client_as("leader").post(_accept_url(world, risk), data)
    assert response.status_code == 400 and not SignOff.objects.exists()


def test_a_recovery_code_works_once(world, client_as):
    first = make_risk(world.acme, world.officer, title="First", **WITHIN)
    second = make_risk(world.acme, world.officer, title="Second", **WITHIN)
    code = second_factor(world.leader)
    leader = client_as("leader")
    assert leader.post(_accept_url(world, first), {**sign_data(ACCEPTANCE, first, signer=world.leader), "second_factor": code}).status_code == 302  # fmt: skip
    again = leader.post(_accept_url(world, second), {**sign_data(ACCEPTANCE, second, signer=world.leader), "second_factor": code})  # fmt: skip
    assert again.status_code == 400 and "not valid" in again.content.decode()
    assert SignOff.objects.get().verification == mfa.RECOVERY_CODE


def test_a_member_whose_role_requires_no_second_factor_may_give_their_password(world):
    member = UserFactory(username="riskowner")
    membership_add(management_system=world.acme, actor=world.owner, user=member, role="contributor")
    assert mfa.verify_step_up(member, "correct-horse-battery-staple") == mfa.PASSWORD
    with pytest.raises(Exception, match="password is not right"):
        mfa.verify_step_up(member, "wrong")


def test_leadership_without_a_second_factor_cannot_sign_until_they_set_one_up(world):
    TOTPDevice.objects.filter(user=world.leader).delete()
    assert mfa.mfa_required(world.leader)
    with pytest.raises(Exception, match="Set up a second factor"):
        mfa.verify_step_up(world.leader, "correct-horse-battery-staple")


def test_whoever_last_changed_the_ratings_cannot_accept_without_an_override(world, client_as):
    risk = make_risk(world.acme, world.officer, owner=world.officer, **WITHIN)
    page = client_as("officer").get(reverse("assessments:risk_detail", args=[world.acme.pk, risk.pk]))
    assert page.context["signoff"].own_change and "override_reason" in page.context["signoff"].form.fields

    refused = client_as("officer").post(_accept_url(world, risk), sign_data(ACCEPTANCE, risk, signer=world.officer))
    assert refused.status_code == 400 and not SignOff.objects.exists()

    data = sign_data(ACCEPTANCE, risk, signer=world.officer, override_reason="The owner is on leave; agreed by email.")
    assert client_as("officer").post(_accept_url(world, risk), data).status_code == 302
    signoff = SignOff.objects.get()
    assert signoff.override_reason == "The owner is on leave; agreed by email."
    ledger_page = client_as("auditor").get(reverse("ledger:verify", args=[world.acme.pk])).content.decode()
    assert "Four-eyes override" in ledger_page and "agreed by email" in ledger_page
    assert ledger.verify(world.acme)["ok"] is True


def test_a_later_edit_of_other_fields_leaves_the_rating_editor_as_the_one_who_may_not_accept(world):
    risk = make_risk(world.acme, world.officer, owner=world.contributor, **WITHIN)
    risk = services.risk_update(risk, user=world.contributor, expected_version=risk.version, title="Clearer title")
    assert ledger.last_editor_id(ACCEPTANCE, risk) == world.officer.pk
    assert ledger.signs_own_change(ACCEPTANCE, world.officer, risk)
    assert not ledger.signs_own_change(ACCEPTANCE, world.contributor, risk)
    services.risk_accept(
        risk, user=world.contributor, expected_version=risk.version, statement="OK", verification="totp"
    )
    assert SignOff.objects.get().override_reason == ""


def test_the_override_and_the_verification_are_part_of_the_signed_payload(world):
    risk = make_risk(world.acme, world.officer, owner=world.officer, **WITHIN)
    signoff = services.risk_accept(
        risk, user=world.officer, expected_version=risk.version, statement="OK", verification="totp",
        override_reason="Urgent.",
    )  # fmt: skip
    versions = ledger.load_versions([tuple(key) for key in signoff.versions])
    payload = ledger.signed_payload(signoff, [versions[tuple(key)] for key in signoff.versions])
    assert payload["override_reason"] == "Urgent." and payload["verification"] == "totp"
    assert ledger.digest_of(payload) == signoff.digest
    for field, forged in (("override_reason", ""), ("verification", "password")):
        altered = SignOff.objects.get(pk=signoff.pk)
        setattr(altered, field, forged)
        assert (
            ledger.digest_of(ledger.signed_payload(altered, [versions[tuple(k)] for k in signoff.versions]))
            != signoff.digest
        )
