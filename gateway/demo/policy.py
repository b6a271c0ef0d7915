"""Demo gateway policy of Acme Health: drafted by the AIMS manager (the officer), approved by the Chief Executive.

Personal data: e-mail addresses, phone numbers, NHS numbers and National Insurance numbers are
masked; a card number blocks the call. Calls need a current approved impact assessment. Sending
a message to a patient (``send_patient_message`` through the ``patient-messaging`` connector)
waits for leadership's approval; the patient message triage system's other tools on that
connector (looking up an appointment, say) are allowed. Everything else: calls redacted, actions
denied. Not registered as a demo step here: the integrator orders it after the AI systems.
"""

from __future__ import annotations

from aims import mfa
from aims.demo import Demo
from gateway.models import PolicyVersion
from gateway.policy import services
from registers.models import AISystem

TRIAGE = "Patient message triage"  # AIS-001
ENTITY_ACTIONS = {
    "EMAIL_ADDRESS": "mask",
    "PHONE_NUMBER": "mask",
    "NHS_NUMBER": "mask",
    "UK_NINO": "mask",
    "CREDIT_CARD": "block",
}
CONNECTOR = "patient-messaging"


def load(demo: Demo) -> None:
    """Draft, submit and approve Acme's first gateway policy (once)."""
    ms, users = demo.acme, demo.acme_users
    if PolicyVersion.objects.filter(management_system=ms).exists():
        return
    officer, leader = users["officer"], users["leader"]
    triage = AISystem.objects.filter(management_system=ms, name=TRIAGE).first()
    draft = services.policy_draft_start(management_system=ms, user=officer, reason="First gateway policy")
    draft = services.policy_update(
        draft, user=officer, expected_version=draft.version, reason="Personal data actions set",
        change_summary="First gateway policy: personal data masked, card numbers blocked, messages to patients "
        "approved by leadership.",
        entity_actions=ENTITY_ACTIONS, default_entity_action="mask", require_impact_assessment=True,
        body_retention_days=30,
    )  # fmt: skip
    services.rule_add(
        draft, user=officer, tool="send_patient_message", connector=CONNECTOR, outcome="require_approval",
        approver_role="leadership", note="A message to a patient is sent only once leadership approves it.",
    )  # fmt: skip
    if triage is not None:
        services.rule_add(
            draft, user=officer, ai_system=triage, connector=CONNECTOR, outcome="allow",
            note="The triage system's other patient-messaging tools only read (appointments, message status).",
        )  # fmt: skip
    draft = services.policy_submit(draft, user=officer, expected_version=draft.version)
    services.policy_approve(
        draft, user=leader, verification=mfa.DEMO,
        statement="I approve this gateway policy: personal data stays inside the Trust and no message reaches a "
        "patient without a person's approval.",
    )  # fmt: skip
    demo.created.append(f"gateway policy {draft.label}")
