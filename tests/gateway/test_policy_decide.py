"""The policy in force and its first-match decisions (``gateway.policy.decide``)."""

from __future__ import annotations

import pytest

from gateway.policy.decide import NoPolicy, policy_in_force
from tests.factories import UserFactory, make_management_system
from tests.gateway.keys_helpers import system_with_model
from tests.gateway.policy_helpers import policy_in_force as make_policy

pytestmark = pytest.mark.django_db


def test_no_approved_policy_refuses_everything():
    ms = make_management_system(owner=UserFactory())
    with pytest.raises(NoPolicy):
        policy_in_force(ms.pk)


def test_first_matching_rule_wins_and_names_the_version():
    owner = UserFactory()
    ms = make_management_system(owner=owner)
    system = system_with_model(ms, owner)
    make_policy(ms, owner)
    make_policy(
        ms,
        owner,
        rules=[
            {"entity_type": "CREDIT_CARD", "outcome": "block", "note": "cards never leave"},
            {"tool": "send_patient_message", "outcome": "require_approval", "approver_role": "leadership"},
            {"ai_system": system, "outcome": "allow"},
        ],
    )
    policy = policy_in_force(ms.pk)
    assert policy.label == "policy@2"
    card = policy.decide(ai_system_id=system.pk, entity_types={"CREDIT_CARD", "EMAIL_ADDRESS"})
    assert (card.outcome, card.policy) == ("block", "policy@2") and "cards never leave" in card.rule
    action = policy.decide(ai_system_id=system.pk, tool="send_patient_message", connector="patient-messaging")
    assert (action.outcome, action.approver_role) == ("require_approval", "leadership")
    assert policy.decide(ai_system_id=system.pk).outcome == "allow"
    other = policy.decide(ai_system_id=system.pk + 1000, entity_types={"EMAIL_ADDRESS"})
    assert (other.outcome, other.rule) == ("redact", "default")
    assert policy.decide(ai_system_id=system.pk + 1000, tool="x", connector="y").outcome == "block"
    assert policy.entity_action("EMAIL_ADDRESS") == "mask" and policy.entity_action("CREDIT_CARD") == "block"
    assert policy.entity_action("IP_ADDRESS") == "mask"  # the default entity action
