"""Daily checkpoints: the heads of the gateway's chains signed into the management system's sign-off chain."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from aims import ledger as signoffs
from aims.models import SignOff
from gateway.evidence import checkpoints
from gateway.evidence.account import USERNAME, service_account
from gateway.models import GatewayCheckpoint
from gateway.tasks import checkpoint as checkpoint_task
from tests.gateway.helpers import append_calls, raw, two_ai_systems

pytestmark = pytest.mark.django_db


@pytest.fixture
def systems():
    return two_ai_systems()


def _verify_ledger(*args: str) -> str:
    out = StringIO()
    call_command("verify_ledger", *args, stdout=out)
    return out.getvalue()


def test_a_checkpoint_signs_each_chain_head_into_the_sign_off_chain_and_verify_ledger_passes(systems):
    first, second = systems
    a = append_calls(first, 3)
    b = append_calls(second, 2)
    taken = checkpoints.checkpoint_take(management_system=first.management_system)
    heads = {(h["ai_system"], h["sequence"], h["digest"]) for h in taken.checkpoint.heads}
    assert heads == {(first.pk, 3, a[-1].digest), (second.pk, 2, b[-1].digest)}
    signoff = SignOff.objects.get(kind=checkpoints.KIND)
    assert (signoff.subject_id, signoff.signer.username, signoff.signer_role) == (
        taken.checkpoint.pk,
        USERNAME,
        "system",
    )
    assert signoff.signature and signoff.verification == "system"
    # The signed payload carries the heads: what a pack's ledger.json gives the offline verifier.
    export = signoffs.chain_export(first.management_system, signoff.signed_at)
    assert export["signoffs"][-1]["versions"][0]["heads"] == taken.checkpoint.heads  # format 7: data beside the payload
    assert signoffs.verify(first.management_system)["ok"]
    assert "OK" in _verify_ledger("--management-system", str(first.management_system.pk))


def test_nothing_is_checkpointed_when_no_chain_moved(systems):
    first, _ = systems
    append_calls(first, 1)
    assert checkpoints.checkpoint_take(management_system=first.management_system) is not None
    assert checkpoints.checkpoint_take(management_system=first.management_system) is None
    append_calls(first, 1)
    assert checkpoint_task()["checkpointed"] == [first.management_system_id]
    assert GatewayCheckpoint.objects.count() == 2 and SignOff.objects.filter(kind=checkpoints.KIND).count() == 2


def test_the_service_account_cannot_log_in_and_nobody_signs_a_checkpoint_by_hand(systems, client):
    first, _ = systems
    append_calls(first, 1)
    taken = checkpoints.checkpoint_take(management_system=first.management_system)
    account = service_account()
    assert not account.is_active and not account.has_usable_password()
    assert not signoffs.may_sign(checkpoints.KIND, first.management_system.memberships.first().user, taken.checkpoint)


def test_tampering_with_a_checkpointed_event_is_named_and_the_chain_is_not_checkpointed_again(systems):
    first, _ = systems
    events = append_calls(first, 3)
    checkpoints.checkpoint_take(management_system=first.management_system)
    raw("UPDATE gateway_gatewayevent SET model_requested = %s WHERE id = %s", ["forged", events[1].pk])
    with pytest.raises(CommandError) as failure:
        _verify_ledger()
    assert f"gateway event id {events[1].pk} (#2 of AI system {first.pk})" in str(failure.value)
    append_calls(first, 1)
    with pytest.raises(checkpoints.CheckpointRefused):
        checkpoints.checkpoint_take(management_system=first.management_system)
    out = StringIO()
    with pytest.raises(CommandError, match="does not verify"):
        call_command("gateway_checkpoint", stdout=out)


def test_tampering_with_a_checkpoint_breaks_its_sign_off(systems):
    first, _ = systems
    append_calls(first, 2)
    taken = checkpoints.checkpoint_take(management_system=first.management_system)
    table = GatewayCheckpoint.history.model._meta.db_table
    raw(f"UPDATE {table} SET heads = %s WHERE id = %s", ['[{"ai_system": 1, "sequence": 9, "digest": "0"}]',
                                                          taken.checkpoint.pk])  # fmt: skip
    result = signoffs.verify(first.management_system)
    assert not result["ok"] and result["first_broken"]["reason"] == "digest mismatch"
    assert result["first_broken"]["kind"] == checkpoints.KIND


def test_the_command_checkpoints_and_says_so(systems):
    append_calls(systems[0], 1)
    out = StringIO()
    call_command("gateway_checkpoint", stdout=out)
    assert "Checkpointed: 1 management system(s)" in out.getvalue()
