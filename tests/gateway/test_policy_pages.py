"""The gateway policy pages: who reads, who drafts, approval through the sign-off panel, constant queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from gateway.models import PolicyRule, PolicyVersion
from gateway.policy.signoffs import APPROVAL
from tests.factories import make_ai_system
from tests.gateway.policy_draft_helpers import approved, make_draft, submitted
from tests.kit import SYSTEMS, assert_constant_queries, get_ok, matrix, sign_data

pytestmark = pytest.mark.django_db
READ, DRAFT = "read", "draft"
ROLES = {
    "owner": {READ, DRAFT},
    "officer": {READ, DRAFT},
    "leader": {READ},
    "contributor": {READ},
    "auditor": {READ},
    "expired_auditor": set(),
    "outsider": set(),
}


def _expect(may: set[str], what: str, ok: int) -> int:
    if not may:
        return 404
    return ok if what in may else 403


def url(name: str, ms: Any, *args: Any) -> str:
    return reverse(f"gateway:{name}", args=[ms.pk, *args])


@matrix(ROLES, where=SYSTEMS)
def test_policy_pages_access_by_role(world, status_as, persona, where, expected):
    ms = getattr(world, where)
    owner = world.owner if where == "acme" else world.outsider
    draft = make_draft(ms, owner, rules=[{"tool": "a", "outcome": "allow"}, {"tool": "b", "outcome": "block"}])
    rule = draft.rules.order_by("order").last()
    statuses = {
        "list": status_as(persona, "get", url("policy_list", ms)),
        "detail": status_as(persona, "get", url("policy_detail", ms, draft.pk)),
        "history": status_as(persona, "get", url("policy_history", ms, draft.pk)),
        "edit": status_as(persona, "get", url("policy_edit", ms, draft.pk)),
        "rule_add": status_as(persona, "post", url("policy_rule_add", ms, draft.pk), {"outcome": "redact"}),
        "rule_move": status_as(persona, "post", url("policy_rule_move", ms, rule.pk), {"version": 1, "to": 1}),
    }
    may = expected
    assert statuses == {
        "list": _expect(may, READ, 200),
        "detail": _expect(may, READ, 200),
        "history": _expect(may, READ, 200),
        "edit": _expect(may, DRAFT, 200),
        "rule_add": _expect(may, DRAFT, 302),
        "rule_move": _expect(may, DRAFT, 302),
    }


def test_the_officer_drafts_edits_and_submits_and_the_leader_approves_in_the_browser(world, client_as):
    officer, leader = client_as("officer"), client_as("leader")
    system = make_ai_system(world.acme, user=world.officer)
    response = officer.post(url("policy_new", world.acme))
    draft = PolicyVersion.objects.get(management_system=world.acme)
    assert response.status_code == 302 and response["Location"] == url("policy_edit", world.acme, draft.pk)
    response = officer.post(url("policy_edit", world.acme, draft.pk), {
        "version": draft.version, "change_summary": "First policy", "entity_actions": "email_address: mask\nCREDIT_CARD = block",
        "default_entity_action": "hash", "body_retention_days": 14,
    })  # fmt: skip
    assert response.status_code == 302, response.content
    draft.refresh_from_db()
    assert draft.entity_actions == {"EMAIL_ADDRESS": "mask", "CREDIT_CARD": "block"}
    assert (draft.default_entity_action, draft.require_impact_assessment) == ("hash", False)
    response = officer.post(url("policy_rule_add", world.acme, draft.pk), {
        "ai_system": system.pk, "tool": "send_patient_message", "outcome": "require_approval",
        "approver_role": "leadership", "note": "Patients",
    })  # fmt: skip
    assert response.status_code == 302
    page = officer.get(url("policy_detail", world.acme, draft.pk)).content.decode()
    assert f"AI system {system.reference} {system.name}, tool send_patient_message" in page
    assert "Require approval by leadership" in page and "Submit for approval" in page
    assert officer.post(url("policy_submit", world.acme, draft.pk), {"version": draft.version}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == PolicyVersion.Status.IN_REVIEW
    page = leader.get(url("policy_detail", world.acme, draft.pk)).content.decode()
    assert "Approve and sign" in page
    response = leader.post(url("policy_approve", world.acme, draft.pk), sign_data(APPROVAL, draft, signer=world.leader))
    assert response.status_code == 302, response.content
    draft.refresh_from_db()
    assert (draft.status, draft.approved_by) == (PolicyVersion.Status.APPROVED, world.leader)
    listing = officer.get(url("policy_list", world.acme)).content.decode()
    assert "In force" in listing and "policy@1" in listing


def test_a_wrong_second_factor_signs_nothing(world, client_as):
    version = submitted(world.acme, world.officer)
    data = {**sign_data(APPROVAL, version, signer=world.leader), "second_factor": "000000"}
    response = client_as("leader").post(url("policy_approve", world.acme, version.pk), data)
    assert response.status_code == 400
    assert PolicyVersion.objects.get(pk=version.pk).status == PolicyVersion.Status.IN_REVIEW


def test_a_bad_entity_action_line_is_shown_next_to_the_field(world, client_as):
    draft = make_draft(world.acme, world.officer)
    response = client_as("officer").post(url("policy_edit", world.acme, draft.pk), {
        "version": draft.version, "entity_actions": "EMAIL_ADDRESS: shred", "default_entity_action": "mask",
        "body_retention_days": 30,
    })  # fmt: skip
    assert response.status_code == 400
    assert "Line 1: &#x27;shred&#x27; is not one of mask, hash, block, allow." in response.content.decode()


def test_readers_see_no_edit_buttons_and_an_approved_version_offers_none(world, client_as):
    version = approved(world.acme, world.officer, world.leader)
    draft = make_draft(world.acme, world.officer, rules=[{"tool": "a", "outcome": "allow"}])
    for persona in ("leader", "contributor", "auditor"):
        page = client_as(persona).get(url("policy_detail", world.acme, draft.pk)).content.decode()
        assert "Edit the settings" not in page and "Add a rule" not in page and "Withdraw" not in page, persona
        assert "Move" not in page and "Remove" not in page, persona
    page = client_as("officer").get(url("policy_detail", world.acme, draft.pk)).content.decode()
    assert "Edit the settings" in page and "Add a rule" in page and "Remove" in page
    page = client_as("officer").get(url("policy_detail", world.acme, version.pk)).content.decode()
    assert "Edit the settings" not in page and "Add a rule" not in page and "never changes" in page
    listing = client_as("officer").get(url("policy_list", world.acme)).content.decode()
    assert "Start a new draft" not in listing  # one open version at a time
    from gateway.policy import services

    services.policy_withdraw(draft, user=world.officer, expected_version=draft.version, reason="Not needed")
    assert "Start a new draft" in client_as("officer").get(url("policy_list", world.acme)).content.decode()
    assert "Start a new draft" not in client_as("leader").get(url("policy_list", world.acme)).content.decode()


def test_editing_an_approved_version_is_refused_with_the_reason(world, client_as):
    version = approved(world.acme, world.officer, world.leader, rules=[{"tool": "a", "outcome": "allow"}])
    client = client_as("officer")
    response = client.post(url("policy_edit", world.acme, version.pk), {"version": version.version}, follow=True)
    assert "an approved version never changes" in response.content.decode()
    rule = version.rules.get()
    client.post(url("policy_rule_remove", world.acme, rule.pk), {"version": rule.version})
    assert PolicyRule.objects.filter(pk=rule.pk).exists()


def test_the_draft_page_says_what_changes_from_the_version_in_force(world, client_as):
    approved(world.acme, world.officer, world.leader, entity_actions={"EMAIL_ADDRESS": "mask"},
             rules=[{"tool": "a", "outcome": "allow"}])  # fmt: skip
    draft = make_draft(world.acme, world.officer, entity_actions={"EMAIL_ADDRESS": "hash"},
                       rules=[{"tool": "b", "outcome": "block"}])  # fmt: skip
    page = client_as("auditor").get(url("policy_detail", world.acme, draft.pk)).content.decode()
    assert "What changes from policy@1, in force" in page
    assert "EMAIL_ADDRESS: mask → hash." in page and "When tool b: block." in page


def test_the_list_and_detail_pages_make_constant_queries(world, client_as):
    client = client_as("officer")
    version = approved(world.acme, world.officer, world.leader, rules=[{"tool": "a", "outcome": "allow"}])

    def grow() -> None:
        draft = make_draft(world.acme, world.officer, rules=[{"tool": f"t{i}", "outcome": "allow"} for i in range(3)])
        from gateway.policy import services

        services.policy_withdraw(draft, user=world.officer, expected_version=draft.version, reason="Spare")

    assert_constant_queries(get_ok(client, url("policy_list", world.acme)), grow)
    draft = make_draft(world.acme, world.officer, rules=[{"tool": "x", "outcome": "allow"}])

    def more_rules() -> None:
        from gateway.policy import services

        for i in range(3):
            services.rule_add(draft, user=world.officer, tool=f"y{i}", outcome="block")

    assert_constant_queries(get_ok(client, url("policy_detail", world.acme, draft.pk)), more_rules)
    assert version.pk
