"""Who signed, in what capacity: the job title (asked once) and app role at signing are in the signed payload."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aims import ledger
from aims.models import Membership, SignOff
from assessments import services
from assessments.signoffs import ACCEPTANCE
from tests.assessments.helpers import make_risk
from tests.kit import otp_header, sign_data

pytestmark = pytest.mark.django_db

WITHIN = {"residual_likelihood": 1, "residual_consequence": 2}


def _forget_title(world, persona):
    # A member who has not given a title yet (as every member starts).
    membership = Membership.objects.get(management_system=world.acme, user=world.users[persona])
    membership.job_title = ""
    membership.save()


def _payload(signoff):
    versions = ledger.load_versions([tuple(key) for key in signoff.versions])
    return ledger.signed_payload(signoff, [versions[tuple(key)] for key in signoff.versions])


def test_the_title_and_role_at_signing_are_in_the_signed_payload_and_change_nothing_later(world):
    risk = make_risk(world.acme, world.officer, **WITHIN)
    signoff = services.risk_accept(
        risk, user=world.leader, expected_version=risk.version, statement="OK", verification="totp"
    )
    assert signoff.canonical_format == ledger.CANONICAL_FORMAT >= 6
    payload = _payload(signoff)
    assert payload["signer"] == {"id": world.leader.pk, "role": "leadership", "title": "Leader lead"}
    assert ledger.digest_of(payload) == signoff.digest

    # A later change of title does not rewrite what was signed: the sign-off keeps the title it had.
    membership = Membership.objects.get(management_system=world.acme, user=world.leader)
    from aims.services import membership_set_job_title

    membership_set_job_title(membership, actor=world.leader, job_title="Chair of the board")
    assert SignOff.objects.get(pk=signoff.pk).signer_title == "Leader lead"
    assert ledger.verify(world.acme)["ok"] is True

    forged = SignOff.objects.get(pk=signoff.pk)
    forged.signer_title = "Chair of the board"
    assert ledger.digest_of(_payload(forged)) != signoff.digest


def test_a_sign_off_of_format_5_still_verifies_without_a_title(world, monkeypatch):
    risk = make_risk(world.acme, world.officer, **WITHIN)
    monkeypatch.setattr(ledger, "CANONICAL_FORMAT", 5)
    old = services.risk_accept(
        risk, user=world.leader, expected_version=risk.version, statement="OK", verification="totp"
    )
    monkeypatch.undo()
    assert "title" not in _payload(old)["signer"]
    assert ledger.verify(world.acme)["ok"] is True


def test_the_signing_form_asks_for_the_job_title_once(world, client_as):
    _forget_title(world, "leader")
    risk = make_risk(world.acme, world.officer, **WITHIN)
    url = reverse("assessments:risk_accept", args=[world.acme.pk, risk.pk])
    client = client_as("leader")
    assert b'name="job_title"' in client.get(reverse("assessments:risk_detail", args=[world.acme.pk, risk.pk])).content

    refused = client.post(url, sign_data(ACCEPTANCE, risk, signer=world.leader))
    assert refused.status_code == 400 and not SignOff.objects.exists()  # the form again, with the error
    assert "job title" in refused.content.decode().lower()

    assert (
        client.post(url, sign_data(ACCEPTANCE, risk, signer=world.leader, job_title="Chief Executive")).status_code
        == 302
    )
    signoff = SignOff.objects.get()
    assert signoff.signer_title == "Chief Executive"
    membership = Membership.objects.get(management_system=world.acme, user=world.leader)
    assert membership.job_title == "Chief Executive"
    assert membership.history.first().history_change_reason == "Job title"

    other = make_risk(world.acme, world.officer, title="Another", **WITHIN)
    page = client.get(reverse("assessments:risk_detail", args=[world.acme.pk, other.pk])).content
    assert b'name="job_title"' not in page  # asked once, then remembered
    assert b"Chief Executive" in client.get(reverse("ledger:verify", args=[world.acme.pk])).content


def test_the_api_refuses_a_first_signature_without_a_title_with_json(world, api_as):
    _forget_title(world, "leader")
    risk = make_risk(world.acme, world.officer, **WITHIN)
    url = f"/api/v1/risks/{risk.pk}/accept/"
    client = api_as("leader")
    refused = client.post(
        url,
        {"statement": "OK"},
        format="json",
        headers={"if-match": f'"{risk.version}"', **otp_header(world, "leader")},
    )
    assert refused.status_code == 400 and "job_title" in refused.json()
    done = client.post(
        url,
        {"statement": "OK", "job_title": "Chief Executive"},
        format="json",
        headers={"if-match": f'"{risk.version}"', **otp_header(world, "leader")},
    )
    assert done.status_code == 201 and done.json()["signer_title"] == "Chief Executive"
