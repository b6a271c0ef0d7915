"""Acme's demo gateway policy: drafted by the officer, approved by the leader, deciding as the issue's demo says."""

from __future__ import annotations

import pytest

from aims.demo import Demo
from gateway.demo import policy as demo_policy
from gateway.models import PolicyVersion
from gateway.policy.decide import policy_in_force
from tests.factories import make_ai_system

pytestmark = pytest.mark.django_db


def test_the_demo_policy_is_approved_by_the_leader_and_decides_the_demo_cases(world):
    triage = make_ai_system(world.acme, user=world.officer, name=demo_policy.TRIAGE)
    chatbot = make_ai_system(world.acme, user=world.officer, name="Patient FAQ chatbot")
    demo = Demo(acme=world.acme, northwind=world.northwind, users=world.users)
    demo_policy.load(demo)
    demo_policy.load(demo)  # idempotent
    version = PolicyVersion.objects.get(management_system=world.acme)
    assert (version.status, version.approved_by, version.history.earliest().history_user) == (
        "approved", world.leader, world.officer
    )  # fmt: skip
    policy = policy_in_force(world.acme.pk)
    assert [policy.entity_action(t) for t in ("EMAIL_ADDRESS", "PHONE_NUMBER", "NHS_NUMBER", "CREDIT_CARD")] == [
        "mask", "mask", "mask", "block"
    ]  # fmt: skip
    assert policy.require_impact_assessment
    send = policy.decide(ai_system_id=triage.pk, tool="send_patient_message", connector="patient-messaging")
    assert (send.outcome, send.approver_role, send.policy) == ("require_approval", "leadership", "policy@1")
    lookup = policy.decide(ai_system_id=triage.pk, tool="lookup_appointment", connector="patient-messaging")
    assert lookup.outcome == "allow"
    assert policy.decide(ai_system_id=chatbot.pk, tool="lookup_appointment", connector="patient-messaging").outcome == (
        "block"
    )  # fmt: skip
    assert policy.decide(ai_system_id=triage.pk, model="gpt-4o-mini").outcome == "redact"
