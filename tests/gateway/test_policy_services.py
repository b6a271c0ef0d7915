"""Gateway policy drafts: copied from the version in force, edited while draft, never changed once approved."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from aims.services import StaleVersionError
from gateway.models import PolicyRule, PolicyVersion
from gateway.policy import services
from tests.factories import make_ai_system
from tests.gateway.policy_draft_helpers import approved, make_draft, submitted

pytestmark = pytest.mark.django_db
Status = PolicyVersion.Status


def test_the_first_draft_is_empty_and_numbered_one(world):
    draft = services.policy_draft_start(management_system=world.acme, user=world.officer)
    assert (draft.number, draft.label, draft.status) == (1, "policy@1", Status.DRAFT)
    assert draft.entity_actions == {} and not draft.rules.exists()
    assert draft.history.latest().history_user == world.officer


def test_a_new_draft_copies_the_version_in_force_with_its_rules_in_order(world):
    system = make_ai_system(world.acme, user=world.officer)
    rules = [
        {"tool": "send_patient_message", "outcome": "require_approval", "approver_role": "leadership"},
        {"ai_system": system, "model": "gpt-4o", "outcome": "allow", "note": "Cleared model"},
    ]
    first = approved(
        world.acme, world.officer, world.leader, rules=rules,
        entity_actions={"EMAIL_ADDRESS": "mask", "CREDIT_CARD": "block"}, require_impact_assessment=False,
        body_retention_days=7,
    )  # fmt: skip
    draft = services.policy_draft_start(management_system=world.acme, user=world.officer)
    assert draft.number == 2
    assert draft.entity_actions == first.entity_actions
    assert (draft.require_impact_assessment, draft.body_retention_days) == (False, 7)
    copied = [(r.tool, r.ai_system_id, r.outcome, r.approver_role, r.note) for r in draft.rules.order_by("order")]
    assert copied == [
        ("send_patient_message", None, "require_approval", "leadership", ""),
        ("", system.pk, "allow", "", "Cleared model"),
    ]
    assert set(draft.rules.values_list("pk", flat=True)).isdisjoint(first.rules.values_list("pk", flat=True))


def test_only_one_open_version_at_a_time(world):
    make_draft(world.acme, world.officer)
    with pytest.raises(ValidationError, match="policy@1 is still draft: finish or withdraw it first"):
        services.policy_draft_start(management_system=world.acme, user=world.officer)


def test_rules_are_added_changed_reordered_and_removed_while_draft(world):
    draft = make_draft(world.acme, world.officer)
    a = services.rule_add(draft, user=world.officer, tool="a", outcome="allow")
    b = services.rule_add(draft, user=world.officer, tool="b", outcome="block")
    c = services.rule_add(draft, user=world.officer, connector="c", outcome="redact")
    assert [r.order for r in (a, b, c)] == [10, 20, 30]
    services.rule_move(c, user=world.officer, expected_version=c.version, to=1)
    assert list(draft.rules.order_by("order").values_list("pk", flat=True)) == [c.pk, a.pk, b.pk]
    b = PolicyRule.objects.get(pk=b.pk)
    b = services.rule_update(b, user=world.officer, expected_version=b.version, outcome="require_approval",
                             approver_role="owner", reason="Owners decide")  # fmt: skip
    assert b.history.latest().history_change_reason == "Owners decide"
    a = PolicyRule.objects.get(pk=a.pk)
    services.rule_remove(a, user=world.officer, expected_version=a.version)
    assert list(draft.rules.order_by("order").values_list("tool", flat=True)) == ["", "b"]
    assert PolicyRule.history.filter(id=a.pk, history_type="-").exists()  # its history stays


def test_a_stale_rule_edit_is_refused(world):
    draft = make_draft(world.acme, world.officer, rules=[{"tool": "a", "outcome": "allow"}])
    rule = draft.rules.get()
    services.rule_update(rule, user=world.officer, expected_version=1, note="First")
    with pytest.raises(StaleVersionError):
        services.rule_update(rule, user=world.officer, expected_version=1, note="Second")


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"outcome": "maybe"}, "outcome", "Choose one of"),
        ({"outcome": "require_approval"}, "approver_role", "Say which role approves"),
        ({"outcome": "allow", "approver_role": "leadership"}, "approver_role", "Only a rule that requires approval"),
        ({"outcome": "require_approval", "approver_role": "auditor"}, "approver_role", "is not a valid choice"),
        ({"outcome": "block", "entity_type": "email address"}, "entity_type", "is not an entity type"),
    ],
)
def test_a_rule_is_validated(world, fields, field, words):
    draft = make_draft(world.acme, world.officer)
    with pytest.raises(ValidationError) as refused:
        services.rule_add(draft, user=world.officer, **fields)
    assert words in " ".join(refused.value.message_dict[field])
    assert not draft.rules.exists()


def test_a_rule_names_an_ai_system_of_its_own_management_system(world):
    draft = make_draft(world.acme, world.officer)
    elsewhere = make_ai_system(world.northwind, user=world.outsider)
    with pytest.raises(ValidationError, match="another management system"):
        services.rule_add(draft, user=world.officer, ai_system=elsewhere, outcome="allow")


def test_entity_actions_are_upper_case_types_with_known_actions(world):
    draft = make_draft(world.acme, world.officer)
    for actions, words in (({"email": "mask"}, "is not an entity type"), ({"EMAIL_ADDRESS": "shred"}, "is not one")):
        with pytest.raises(ValidationError, match=words):
            services.policy_update(draft, user=world.officer, expected_version=draft.version, entity_actions=actions)


def test_an_approved_version_never_changes(world):
    version = approved(world.acme, world.officer, world.leader, rules=[{"tool": "a", "outcome": "allow"}])
    rule = version.rules.get()
    never = "an approved version never changes"
    with pytest.raises(ValidationError, match=never):
        services.policy_update(version, user=world.officer, expected_version=version.version, change_summary="x")
    with pytest.raises(ValidationError, match=never):
        services.rule_add(version, user=world.officer, tool="b", outcome="block")
    with pytest.raises(ValidationError, match=never):
        services.rule_update(rule, user=world.officer, expected_version=rule.version, outcome="block")
    with pytest.raises(ValidationError, match=never):
        services.rule_remove(rule, user=world.officer, expected_version=rule.version)
    with pytest.raises(ValidationError, match=never):
        services.rule_move(rule, user=world.officer, expected_version=rule.version, to=2)
    with pytest.raises(ValidationError, match="only a draft or a version awaiting approval is withdrawn"):
        services.policy_withdraw(version, user=world.officer, expected_version=version.version, reason="x")
    unchanged = PolicyRule.objects.get(pk=rule.pk)
    assert (unchanged.outcome, unchanged.version) == ("allow", 1)


def test_a_version_awaiting_approval_is_returned_to_draft_to_change_it(world):
    version = submitted(world.acme, world.officer)
    with pytest.raises(ValidationError, match="awaits approval: return it to draft"):
        services.rule_add(version, user=world.officer, tool="b", outcome="block")
    version = services.policy_return(version, user=world.officer, expected_version=version.version, reason="Add b")
    assert version.status == Status.DRAFT
    assert services.rule_add(version, user=world.officer, tool="b", outcome="block").order == 10


def test_submitting_needs_a_change_summary(world):
    draft = make_draft(world.acme, world.officer, change_summary="")
    with pytest.raises(ValidationError, match="Say what this version changes"):
        services.policy_submit(draft, user=world.officer, expected_version=draft.version)


def test_a_withdrawn_draft_keeps_its_number_and_frees_the_next(world):
    draft = make_draft(world.acme, world.officer)
    with pytest.raises(ValidationError, match="Say why policy@1 is withdrawn"):
        services.policy_withdraw(draft, user=world.officer, expected_version=draft.version, reason=" ")
    gone = services.policy_withdraw(draft, user=world.officer, expected_version=draft.version, reason="Too broad")
    assert (gone.status, gone.withdrawn_reason) == (Status.WITHDRAWN, "Too broad")
    assert services.policy_draft_start(management_system=world.acme, user=world.officer).label == "policy@2"
