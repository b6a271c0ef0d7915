"""Risk acceptance: who may accept what, bound to the accepted version, visible when changed, verifiable."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from aims import ledger
from aims.models import SignOff
from aims.services import StaleVersionError
from assessments import selectors, services
from assessments.filters import RiskFilterSet
from tests.assessments.helpers import make_risk

# Residual 2 x 2 = low (within the default threshold, medium); 4 x 4 = high (above it).
WITHIN = {"residual_likelihood": 2, "residual_consequence": 2}
ABOVE = {"residual_likelihood": 4, "residual_consequence": 4}


def accept(risk, user, statement="Residual risk accepted with the treatment plan."):
    return services.risk_accept(
        risk, verification="password", user=user, expected_version=risk.version, statement=statement
    )


@pytest.mark.parametrize("persona", ["leader", "owner"])
def test_leadership_accepts_a_risk_above_the_threshold(world, persona):
    risk = make_risk(world.acme, world.officer, owner=world.officer, **ABOVE)
    sign_off = accept(risk, world.users[persona])
    assert sign_off.signer == world.users[persona] and sign_off.kind == "risk_acceptance"


@pytest.mark.parametrize("persona", ["officer", "contributor"])
def test_risk_owner_accepts_a_risk_within_the_threshold(world, persona):
    risk = make_risk(
        world.acme, world.owner, owner=world.users[persona], **WITHIN
    )  # recorded by someone else: four eyes
    assert accept(risk, world.users[persona]).subject_id == risk.pk


@pytest.mark.parametrize("persona", ["officer", "contributor"])
def test_risk_owner_cannot_accept_a_risk_above_the_threshold(world, persona):
    risk = make_risk(world.acme, world.officer, owner=world.users[persona], **ABOVE)
    with pytest.raises(PermissionDenied, match="only leadership"):
        accept(risk, world.users[persona])
    assert not SignOff.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "contributor", "auditor"])
def test_members_who_do_not_own_the_risk_cannot_accept_it(world, persona):
    risk = make_risk(world.acme, world.officer, owner=world.owner, **WITHIN)
    with pytest.raises(PermissionDenied):
        accept(risk, world.users[persona])
    assert not SignOff.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "expired_auditor"])
def test_outsiders_cannot_see_the_risk_to_accept_it(world, persona):
    risk = make_risk(world.acme, world.officer, **WITHIN)
    with pytest.raises(Http404):
        accept(risk, world.users[persona])


def test_risk_without_residual_assessment_cannot_be_accepted(world):
    risk = make_risk(world.acme, world.officer)
    with pytest.raises(ValidationError, match="residual"):
        accept(risk, world.leader)
    assert not SignOff.objects.exists()


def test_acceptance_is_bound_to_the_version_accepted(world):
    risk = make_risk(world.acme, world.officer, actions=[{"description": "Rebalance training data"}], **ABOVE)
    sign_off = accept(risk, world.leader)
    signed = {tuple(v) for v in sign_off.versions}
    risk_row = risk.history.order_by("-history_id").first()
    assert ("assessments.risk", risk_row.history_id) in signed
    assert any(label == "assessments.treatmentaction" for label, _ in signed)
    [annotated] = ledger.annotate_sign_offs([risk], "risk_acceptance")
    assert annotated.latest_sign_off == sign_off and annotated.signed_version == 1
    assert not annotated.changed_since_signed


def test_editing_an_accepted_risk_shows_changed_since_accepted_and_the_ledger_still_verifies(world):
    risk = make_risk(world.acme, world.officer, **ABOVE)
    sign_off = accept(risk, world.leader)
    risk = services.risk_update(risk, user=world.officer, expected_version=risk.version, residual_likelihood=5)
    [annotated] = ledger.annotate_sign_offs([risk], "risk_acceptance")
    assert annotated.changed_since_signed and annotated.signed_version == 1 and annotated.version == 2
    status = ledger.sign_off_status("risk_acceptance", risk)
    assert status.latest == sign_off and status.changed_since
    assert ledger.verify(world.acme)["ok"]
    again = accept(risk, world.leader, "Re-accepted after the residual changed.")
    assert again.sequence == sign_off.sequence + 1
    assert ledger.verify(world.acme) == {"ok": True, "checked": 2, "first_broken": None}


def test_accepting_a_stale_version_is_refused(world):
    risk = make_risk(world.acme, world.officer, **ABOVE)
    services.risk_update(risk, user=world.officer, expected_version=1, title="Changed meanwhile")
    with pytest.raises(StaleVersionError):
        services.risk_accept(risk, verification="password", user=world.leader, expected_version=1, statement="Accepted")
    assert not SignOff.objects.exists()


def test_accepted_filter_lists_only_accepted_risks(world):
    accepted = make_risk(world.acme, world.officer, **WITHIN)
    other = make_risk(world.acme, world.officer, title="Other", **WITHIN)
    accept(accepted, world.leader)
    risks = selectors.risk_list(user=world.auditor, management_system=world.acme)
    yes = RiskFilterSet({"accepted": "yes"}, risks, management_system=world.acme).qs
    no = RiskFilterSet({"accepted": "no"}, risks, management_system=world.acme).qs
    assert list(yes) == [accepted] and list(no) == [other]
