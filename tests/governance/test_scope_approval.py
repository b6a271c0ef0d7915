"""Approving the scope freezes the inventory's AI systems in scope; afterwards the scope shows what changed."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from aims import ledger
from aims.models import SignOff
from aims.services import register_retire, register_update
from governance.models import Scope
from governance.scope import selectors, services
from governance.scope.signoffs import SCOPE_APPROVAL
from tests.governance.scope_helpers import approve, make_scope, make_system


def _signed_ids(signoff: SignOff) -> set[int]:
    return selectors.signed_system_ids(signoff)


def test_approval_freezes_exactly_the_in_scope_systems_and_later_changes_show_since_approval(world, client_as):
    ms, officer = world.acme, world.officer
    triage = make_system(ms, officer, "Triage assistant")
    chatbot = make_system(ms, officer, "Patient chatbot")
    make_system(ms, officer, "Office copilot", in_scope=False)
    old = make_system(ms, officer, "Old scheduler")
    register_retire(old, user=officer, expected_version=old.version, reason="Decommissioned")
    make_system(ms, officer, "End of life", lifecycle_stage="retired")
    scope = make_scope(ms, officer)
    assert scope.ai_systems.count() == 0  # nothing frozen before approval

    signoff = approve(scope, world.leader)

    scope.refresh_from_db()
    assert _signed_ids(signoff) == {triage.pk, chatbot.pk}  # the signed version holds exactly that list
    assert set(scope.ai_systems.values_list("pk", flat=True)) == {triage.pk, chatbot.pk}
    assert scope.history.first().history_change_reason == "AI systems in scope frozen at approval"
    assert ledger.verify(ms)["ok"]
    comparison = selectors.systems_comparison(scope, ms)
    assert comparison.approved and not comparison.changed_since_approval

    # A system added to the inventory after approval: "scope changed since approval", naming it.
    dosing = make_system(ms, officer, "Dosing advisor")
    register_update(chatbot, user=officer, expected_version=chatbot.version, in_scope=False)
    comparison = selectors.systems_comparison(scope, ms)
    assert comparison.changed_since_approval
    assert [s.name for s in comparison.added] == ["Dosing advisor"]
    assert [s.name for s in comparison.removed] == ["Patient chatbot"]
    assert not ledger.sign_off_status(SCOPE_APPROVAL, scope).changed_since  # its parts did not change
    page = client_as("auditor").get(reverse("governance:scope", args=[ms.pk])).content.decode()
    assert "Scope changed since approval" in page and f"{dosing.reference} Dosing advisor" in page
    assert "Removed since approval" in page
    overview = client_as("auditor").get(reverse("aims:ms_home", args=[ms.pk])).content.decode()
    assert "Changed since approval" in overview and "Dosing advisor added" in overview

    # Editing a part shows the kit's "changed since approved"; approving again freezes the new inventory.
    services.scope_update(scope, user=officer, expected_version=scope.version, activities="Only deploying")
    assert ledger.sign_off_status(SCOPE_APPROVAL, scope).changed_since
    second = approve(scope, world.leader)
    assert _signed_ids(second) == {triage.pk, dosing.pk}
    assert not selectors.systems_comparison(scope, ms).changed_since_approval


def test_approval_is_blocked_until_units_sites_an_activity_and_every_rationale_are_given(world):
    scope = services.scope_create(management_system=world.acme, user=world.officer, units="", sites="", activities="")
    services.exclusion_add(scope, user=world.officer, expected_version=scope.version, excluded="Research")
    with pytest.raises(ValidationError) as refused:
        approve(scope, world.leader)
    text = " ".join(refused.value.messages)
    assert "organisational units" in text and "sites" in text and "at least one activity" in text
    assert "rationale of every exclusion: Research" in text
    assert not SignOff.objects.filter(kind=SCOPE_APPROVAL).exists()
    assert Scope.objects.get(pk=scope.pk).version == 2  # nothing frozen: the refusal wrote nothing


def test_four_eyes_refuses_the_last_editor_but_not_because_of_the_freeze(world):
    ms = world.acme
    make_system(ms, world.officer, "Triage assistant")
    scope = make_scope(ms, world.owner)
    with pytest.raises(ValidationError) as refused:
        approve(scope, world.owner)
    assert "override_reason" in refused.value.message_dict
    assert Scope.objects.get(pk=scope.pk).ai_systems.count() == 0  # rolled back with the refusal
    signoff = approve(scope, world.owner, override_reason="Sole director this month.")
    assert signoff.override_reason == "Sole director this month."
    # The leader freezes a changed inventory and signs: the freeze does not make them the last editor.
    make_system(ms, world.officer, "Dosing advisor")
    services.scope_update(scope, user=world.officer, expected_version=scope.version + 1, sites="Riverside")
    assert approve(Scope.objects.get(pk=scope.pk), world.leader).override_reason == ""


def test_only_top_management_approves_and_a_stale_version_signs_nothing(world):
    scope = make_scope(world.acme, world.officer)
    with pytest.raises(PermissionDenied):
        approve(scope, world.officer)
    token = ledger.version_token(SCOPE_APPROVAL, scope)
    make_system(world.acme, world.officer, "Triage assistant")
    services.scope_update(scope, user=world.officer, expected_version=scope.version, sites="Riverside only")
    with pytest.raises(ledger.SignOffConflict):
        approve(scope, world.leader, expected_token=token)
    assert not SignOff.objects.filter(kind=SCOPE_APPROVAL).exists()
    assert Scope.objects.get(pk=scope.pk).ai_systems.count() == 0
