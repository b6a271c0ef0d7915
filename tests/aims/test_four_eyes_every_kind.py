"""Four eyes for every kind of sign-off: whoever last changed what is signed does not sign it without an override.

The owner both edits and signs off (they hold both rights), so each kind is checked with
the owner as the last editor and leadership as the second person.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from aims import ledger
from aims.models import SignOff
from assessments import services as assessment_services
from assessments.signoffs import ACCEPTANCE, APPROVAL, CRITERIA_APPROVAL, IMPACT_CRITERIA_APPROVAL
from controls.signoffs import SOA
from tests.assessments.helpers import make_assessment, make_criteria, make_risk
from tests.controls.helpers import decide_all
from tests.factories import decide_soa_row

pytestmark = pytest.mark.django_db


def risk_rated_by_owner(world):
    risk = make_risk(world.acme, world.officer, owner=world.contributor, residual_likelihood=2, residual_consequence=2)
    return assessment_services.risk_update(
        risk, user=world.owner, expected_version=risk.version, residual_likelihood=1, reason="Re-rated"
    )


def assessment_edited_by_owner(world):
    assessment = make_assessment(world.acme, world.officer)
    return assessment_services.impact_assessment_update(
        assessment, user=world.owner, expected_version=assessment.version, decision="proceed", reason="Decided"
    )


def criteria_by_owner(world):
    return make_criteria(world.acme, world.owner)


def impact_criteria_by_owner(world):
    return assessment_services.impact_criteria_create(management_system=world.acme, user=world.owner)


def soa_row_by_owner(world):
    decide_all(world.acme, world.officer)
    decide_soa_row(world.acme, "A.2.2", user=world.owner, reason="Justification reworded")
    return world.acme


KINDS = {
    ACCEPTANCE: risk_rated_by_owner,
    APPROVAL: assessment_edited_by_owner,
    CRITERIA_APPROVAL: criteria_by_owner,
    IMPACT_CRITERIA_APPROVAL: impact_criteria_by_owner,
    SOA: soa_row_by_owner,
}


def sign(kind, subject, user, **extra):
    return ledger.sign_off(kind=kind, subject=subject, user=user, statement="Reviewed.", verification="totp", **extra)


@pytest.mark.parametrize("kind", KINDS)
def test_the_last_editor_is_refused_without_an_override(world, kind):
    subject = KINDS[kind](world)
    assert ledger.last_editor_id(kind, subject) == world.owner.pk

    with pytest.raises(ValidationError) as refused:
        sign(kind, subject, world.owner)

    assert "override_reason" in refused.value.message_dict
    assert not SignOff.objects.filter(kind=kind).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_a_second_person_signs_without_an_override(world, kind):
    subject = KINDS[kind](world)

    signoff = sign(kind, subject, world.leader)

    assert (signoff.signer, signoff.override_reason) == (world.leader, "")


@pytest.mark.parametrize("kind", KINDS)
def test_the_last_editor_signs_with_an_override_that_the_ledger_page_shows(world, client_as, kind):
    subject = KINDS[kind](world)

    signoff = sign(kind, subject, world.owner, override_reason="Leadership is away until the audit.")

    assert signoff.override_reason == "Leadership is away until the audit."
    page = client_as("auditor").get(reverse("ledger:verify", args=[world.acme.pk])).content.decode()
    assert "Four-eyes override" in page and "Leadership is away until the audit." in page
    assert ledger.verify(world.acme)["ok"] is True


def test_an_override_given_by_someone_else_is_not_recorded(world):
    subject = assessment_edited_by_owner(world)

    signoff = sign(APPROVAL, subject, world.leader, override_reason="Not needed.")

    assert signoff.override_reason == ""
