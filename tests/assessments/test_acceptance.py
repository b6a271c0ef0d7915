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

# Default criteria: acceptable level medium; low and medium accepted by the risk owner, high by a
# compliance officer, critical by leadership. Residual 2 x 2 = low, 4 x 4 = high, 5 x 5 = critical.
WITHIN = {"residual_likelihood": 2, "residual_consequence": 2}
RATIONALE = "Further treatment is not proportionate before the next release."
ABOVE = {"residual_likelihood": 4, "residual_consequence": 4, "acceptance_rationale": RATIONALE}
CRITICAL = {"residual_likelihood": 5, "residual_consequence": 5, "acceptance_rationale": RATIONALE}


def accept(risk, user, statement="Residual risk accepted with the treatment plan."):
    return services.risk_accept(
        risk, verification="password", user=user, expected_version=risk.version, statement=statement
    )


@pytest.mark.parametrize("persona", ["leader", "owner"])
def test_leadership_accepts_a_critical_risk(world, persona):
    risk = make_risk(world.acme, world.officer, owner=world.officer, **CRITICAL)
    sign_off = accept(risk, world.users[persona])
    assert sign_off.signer == world.users[persona] and sign_off.kind == "risk_acceptance"


@pytest.mark.parametrize("persona", ["officer", "contributor"])
def test_nobody_below_leadership_accepts_a_critical_risk(world, persona):
    risk = make_risk(world.acme, world.owner, owner=world.users[persona], **CRITICAL)
    with pytest.raises(PermissionDenied, match="leadership"):
        accept(risk, world.users[persona])
    assert not SignOff.objects.exists()


def test_a_compliance_officer_accepts_a_high_risk_the_risk_owner_may_not(world):
    risk = make_risk(world.acme, world.owner, owner=world.contributor, **ABOVE)
    with pytest.raises(PermissionDenied, match="compliance officer"):
        accept(risk, world.contributor)
    assert accept(risk, world.officer).signer == world.officer


@pytest.mark.parametrize("persona", ["officer", "contributor"])
def test_risk_owner_accepts_a_risk_within_the_acceptable_level(world, persona):
    risk = make_risk(world.acme, world.owner, owner=world.users[persona], **WITHIN)  # recorded by someone else
    assert accept(risk, world.users[persona]).subject_id == risk.pk


@pytest.mark.parametrize("persona", ["contributor", "auditor"])
def test_members_who_neither_own_the_risk_nor_hold_an_authority_cannot_accept_it(world, persona):
    risk = make_risk(world.acme, world.officer, owner=world.owner, **WITHIN)
    with pytest.raises(PermissionDenied):
        accept(risk, world.users[persona])
    assert not SignOff.objects.exists()


def test_accepting_a_risk_above_the_acceptable_level_needs_a_rationale(world):
    risk = make_risk(world.acme, world.officer, residual_likelihood=4, residual_consequence=4)
    with pytest.raises(ValidationError, match="acceptance rationale"):
        accept(risk, world.leader)
    risk = services.risk_update(risk, user=world.officer, expected_version=risk.version, acceptance_rationale=RATIONALE)
    assert accept(risk, world.leader).kind == "risk_acceptance"


def test_every_acceptance_carries_a_review_date(world):
    risk = make_risk(world.acme, world.officer, acceptance_review_by=None, **WITHIN)
    with pytest.raises(ValidationError, match="reviewed"):
        accept(risk, world.leader)
    assert not SignOff.objects.exists()


def test_an_intolerable_risk_cannot_be_accepted_by_anyone(world):
    from assessments.services import risk_criteria_create

    risk_criteria_create(management_system=world.acme, user=world.officer, intolerable_level="critical")
    risk = make_risk(world.acme, world.officer, **CRITICAL)
    assert risk.residual_evaluation == "intolerable"
    with pytest.raises(ValidationError, match="cannot be accepted"):
        accept(risk, world.leader)
    assert not SignOff.objects.exists()


def test_the_residual_evaluation_is_stored_with_the_inherent_one(world):
    risk = make_risk(world.acme, world.officer, likelihood=4, consequence=4, **WITHIN)
    assert (risk.evaluation, risk.residual_evaluation) == ("above", "within")


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
    assert ledger.verify(world.acme) == {
        "ok": True, "checked": 2, "first_broken": None, "signed": 2, "unsigned": 0, "anchor": None,
    }  # fmt: skip


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
