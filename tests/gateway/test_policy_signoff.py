"""Approving a gateway policy is a sign-off: who may, four eyes, supersession, ledger events, the decisions that follow."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from aims import ledger
from aims.models import SignOff
from aims.work import work_for
from gateway import ledger as gateway_ledger
from gateway.models import GatewayEvent, PolicyVersion
from gateway.policy import services
from gateway.policy.decide import NoPolicy, policy_in_force
from gateway.policy.signoffs import APPROVAL
from registers.models import AISystem
from tests.factories import make_ai_system
from tests.gateway.policy_draft_helpers import STATEMENT, approved, make_aims_manager, submitted

pytestmark = pytest.mark.django_db
Status = PolicyVersion.Status


def approve(version, user, **kwargs):
    return services.policy_approve(version, user=user, statement=STATEMENT, verification="recovery code", **kwargs)


@pytest.mark.parametrize(
    ("persona", "may"),
    [("leader", True), ("owner", False), ("officer", False), ("contributor", False), ("auditor", False)],
)
def test_leadership_approves_and_owners_or_officers_only_as_aims_manager(world, persona, may):
    version = submitted(world.acme, world.officer)
    assert ledger.may_sign(APPROVAL, world.users[persona], version) is may


@pytest.mark.parametrize("persona", ["owner", "officer"])
def test_the_aims_manager_approves(world, persona):
    make_aims_manager(world, persona)
    version = submitted(world.acme, world.contributor if persona == "officer" else world.officer)
    assert ledger.may_sign(APPROVAL, world.users[persona], version)


def test_the_contributor_as_aims_manager_still_does_not_approve(world):
    make_aims_manager(world, "contributor")
    assert not ledger.may_sign(APPROVAL, world.contributor, submitted(world.acme, world.officer))


def test_a_refused_signer_is_told_who_approves(world):
    version = submitted(world.acme, world.officer)
    with pytest.raises(PermissionDenied, match="leadership or by the AIMS manager"):
        approve(version, world.owner)
    assert PolicyVersion.objects.get(pk=version.pk).status == Status.IN_REVIEW


def test_an_outsider_does_not_even_see_it(world):
    from django.http import Http404

    with pytest.raises(Http404):
        approve(submitted(world.acme, world.officer), world.outsider)


def test_a_draft_is_submitted_before_it_is_approved(world):
    from tests.gateway.policy_draft_helpers import make_draft

    draft = make_draft(world.acme, world.officer)
    with pytest.raises(ValidationError, match="is a draft: submit it for approval first"):
        approve(draft, world.leader)
    assert not SignOff.objects.filter(kind=APPROVAL).exists()


def test_whoever_last_changed_a_rule_does_not_approve_without_an_override(world):
    make_aims_manager(world, "officer")
    version = submitted(world.acme, world.officer, rules=[{"tool": "a", "outcome": "allow"}])
    with pytest.raises(ValidationError, match="a second person signs it"):
        approve(version, world.officer)
    signoff = approve(version, world.officer, override_reason="The leader is on leave; urgent fix.")
    assert signoff.override_reason == "The leader is on leave; urgent fix."


def test_the_last_rule_editor_counts_even_when_someone_else_submitted(world):
    version = submitted(world.acme, world.officer)
    version = services.policy_return(version, user=world.owner, expected_version=version.version, reason="Add one")
    services.rule_add(version, user=world.leader, tool="b", outcome="block")  # services do not check roles
    version = services.policy_submit(version, user=world.owner, expected_version=version.version)
    assert ledger.last_editor_id(APPROVAL, version) == world.leader.pk
    with pytest.raises(ValidationError, match="a second person signs it"):
        approve(version, world.leader)


def test_approval_puts_the_version_in_force_and_supersedes_the_one_before(world):
    first = approved(world.acme, world.officer, world.leader)
    assert (first.status, first.approved_by, first.label) == (Status.APPROVED, world.leader, "policy@1")
    second = submitted(world.acme, world.officer, rules=[{"entity_type": "CREDIT_CARD", "outcome": "block"}])
    signoff = approve(second, world.leader)
    first, second = PolicyVersion.objects.get(pk=first.pk), PolicyVersion.objects.get(pk=second.pk)
    assert first.status == Status.SUPERSEDED and first.superseded_at == signoff.signed_at
    assert second.status == Status.APPROVED and second.approved_at == signoff.signed_at
    assert first.history.latest().history_change_reason == "Superseded by policy@2"


def test_the_sign_off_binds_the_submitted_version_and_its_rules(world):
    version = submitted(
        world.acme, world.officer, rules=[{"tool": "a", "outcome": "allow"}, {"tool": "b", "outcome": "block"}]
    )
    signoff = approve(version, world.leader)
    labels = sorted(label for label, _history_id in signoff.versions)
    assert labels == ["gateway.policyrule", "gateway.policyrule", "gateway.policyversion"]
    status = ledger.sign_off_status(APPROVAL, PolicyVersion.objects.get(pk=version.pk))
    assert status.latest == signoff and not status.changed_since  # approving is not a change of what was signed
    assert ledger.verify(world.acme)["ok"]


def test_approval_appends_a_policy_event_to_every_system_not_retired(world):
    live = make_ai_system(world.acme, user=world.officer)
    other = make_ai_system(world.acme, user=world.officer)
    retired = make_ai_system(world.acme, user=world.officer, lifecycle_stage=AISystem.LifecycleStage.RETIRED)
    elsewhere = make_ai_system(world.northwind, user=world.outsider)
    version = approved(world.acme, world.officer, world.leader)
    events = GatewayEvent.objects.filter(type=GatewayEvent.Type.POLICY_APPROVED)
    assert sorted(events.values_list("ai_system_id", flat=True)) == sorted([live.pk, other.pk])
    event = events.get(ai_system=live)
    assert (event.policy_version, event.subject, event.approver) == ("policy@1", version.reference, world.leader)
    assert not GatewayEvent.objects.filter(ai_system__in=[retired, elsewhere]).exists()
    result = gateway_ledger.verify(world.acme)
    assert result.ok and (result.checked, result.chains) == (2, 2)


def test_decisions_follow_the_approved_version_and_name_it(world):
    system = make_ai_system(world.acme, user=world.officer)
    with pytest.raises(NoPolicy):
        policy_in_force(world.acme.pk)
    rules = [{"tool": "send_patient_message", "connector": "patient-messaging", "outcome": "require_approval",
              "approver_role": "leadership"}]  # fmt: skip
    approved(world.acme, world.officer, world.leader, rules=rules, entity_actions={"CREDIT_CARD": "block"})
    draft = submitted(world.acme, world.officer, rules=[{"ai_system": system, "outcome": "block"}])
    policy = policy_in_force(world.acme.pk)  # the draft awaiting approval decides nothing
    decision = policy.decide(ai_system_id=system.pk, tool="send_patient_message", connector="patient-messaging")
    assert (decision.outcome, decision.policy, decision.approver_role) == ("require_approval", "policy@1", "leadership")
    assert policy.entity_action("CREDIT_CARD") == "block"
    approve(draft, world.leader)
    policy = policy_in_force(world.acme.pk)
    assert policy.label == "policy@2"
    decision = policy.decide(ai_system_id=system.pk, tool="send_patient_message", connector="patient-messaging")
    assert (decision.outcome, decision.policy) == ("require_approval", "policy@2")  # copied rule first
    assert policy.decide(ai_system_id=system.pk, model="gpt-4o").outcome == "block"


def test_my_work_asks_who_may_approve_and_nobody_else(world):
    make_aims_manager(world, "officer")
    version = submitted(world.acme, world.owner)
    today = version.created_at.date()
    leader_items = [i for i in work_for(world.leader, world.acme, today) if i.key.startswith(APPROVAL)]
    assert [i.title for i in leader_items] == ["Approve the gateway policy policy@1"]
    assert leader_items[0].url.endswith(f"/gateway/policy/{version.pk}/#signoff-heading-{APPROVAL}")
    officer_items = [i for i in work_for(world.officer, world.acme, today) if i.key.startswith(APPROVAL)]
    assert len(officer_items) == 1 and "You made the last change" not in officer_items[0].detail
    for persona in ("owner", "contributor", "auditor"):
        assert not [i for i in work_for(world.users[persona], world.acme, today) if i.key.startswith(APPROVAL)]
    approve(version, world.leader)
    assert not [i for i in work_for(world.leader, world.acme, today) if i.key.startswith(APPROVAL)]
