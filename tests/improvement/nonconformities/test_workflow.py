"""The life of a nonconformity: the transition table, each refusal (nothing saved), and the history it leaves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from aims.services import StaleVersionError
from improvement.models import CorrectiveAction, EffectivenessReview, Nonconformity
from improvement.nonconformities import services, workflow
from tests.improvement.nonconformities.helpers import (
    State,
    actions_done,
    add_action,
    analyse,
    complete,
    contain,
    make_nc,
    plan,
    qa_member,
    refresh,
    review,
)


def snapshot(nc):
    """What a refusal must leave as it was: the NC's row and history, its actions and reviews."""
    row = Nonconformity.objects.filter(pk=nc.pk).values("state", "iteration", "version", "root_cause").get()
    return (
        row,
        nc.history.count(),
        list(CorrectiveAction.objects.filter(nonconformity=nc).values_list("pk", "status", "version")),
        list(EffectivenessReview.objects.filter(nonconformity=nc).values_list("pk", "result", "performed_on")),
        CorrectiveAction.history.filter(nonconformity_id=nc.pk).count(),
        EffectivenessReview.history.filter(nonconformity_id=nc.pk).count(),
    )


def refused(nc, call, match):
    """Assert the call is refused with a readable reason containing ``match`` and saves nothing."""
    before = snapshot(nc)
    with pytest.raises(ValidationError) as refusal:
        call()
    assert match in " ".join(refusal.value.messages), refusal.value.messages
    assert snapshot(nc) == before
    return refusal.value


def test_each_transition_is_a_version_with_the_acting_user_and_its_reason(world):
    nc = make_nc(world.acme, world.officer)
    nc = contain(nc, world.officer)
    nc = analyse(nc, world.officer)
    nc, actions = plan(nc, world.officer, world.contributor)
    complete(actions, world.contributor)
    services.nonconformity_transition(refresh(nc), user=world.owner, to=State.ACTIONS_DONE, reason="Checked")
    moves = [row for row in refresh(nc).history.order_by("history_id") if ":" in (row.history_change_reason or "")]
    assert [(row.state, row.history_change_reason, row.history_user) for row in moves] == [
        (State.CONTAINED, "Contained: Corrected", world.officer),
        (State.ANALYSED, "Analysed: Five whys done", world.officer),
        (State.ACTIONS_PLANNED, "Actions planned: Planned", world.officer),
        (State.ACTIONS_DONE, "Actions done: Checked", world.owner),
    ]


def test_a_transition_needs_a_reason(world):
    nc = make_nc(world.acme, world.officer, correction="Fixed.")
    refused(
        nc, lambda: services.nonconformity_transition(nc, user=world.officer, to=State.CONTAINED, reason=" "), "Say why"
    )


def test_contained_is_refused_until_a_correction_or_containment_is_recorded(world):
    nc = make_nc(world.acme, world.officer)
    refused(
        nc,
        lambda: services.nonconformity_transition(nc, user=world.officer, to=State.CONTAINED, reason="Done"),
        "Record the correction or the containment first",
    )


def test_analysed_is_refused_until_the_root_cause_is_recorded(world):
    nc = contain(make_nc(world.acme, world.officer), world.officer)
    refused(
        nc,
        lambda: services.nonconformity_transition(nc, user=world.officer, to=State.ANALYSED, reason="Done"),
        "Record the root cause first",
    )


def test_states_cannot_be_skipped(world):
    nc = make_nc(world.acme, world.officer, correction="Fixed.")
    refused(
        nc,
        lambda: services.nonconformity_transition(nc, user=world.officer, to=State.ACTIONS_DONE, reason="Skip"),
        "cannot go from open to actions done",
    )


@pytest.mark.parametrize(
    ("to", "how"), [(State.EFFECTIVENESS_VERIFIED, "effectiveness review"), (State.CLOSED, "sign-off")]
)
def test_verification_and_closure_are_not_transitions_by_hand(world, to, how):
    nc, _actions = actions_done(world)
    if to == State.CLOSED:
        nc = review(nc, world.officer, qa_member(world), "effective")
    refused(nc, lambda: services.nonconformity_transition(nc, user=world.officer, to=to, reason="Now"), how)


def test_an_unknown_state_is_refused(world):
    nc = make_nc(world.acme, world.officer)
    refused(
        nc, lambda: services.nonconformity_transition(nc, user=world.officer, to="done", reason="x"), "Unknown state"
    )


def test_a_stale_transition_is_refused_and_saves_nothing(world):
    nc = make_nc(world.acme, world.officer, correction="Fixed.")
    before = snapshot(nc)
    with pytest.raises(StaleVersionError):
        services.nonconformity_transition(nc, user=world.officer, to=State.CONTAINED, reason="x", expected_version=9)
    assert snapshot(nc) == before


def test_no_corrective_action_before_a_root_cause_is_recorded(world):
    nc = contain(make_nc(world.acme, world.officer), world.officer)
    refused(nc, lambda: add_action(nc, world.officer, world.contributor), "Record the root cause before planning")
    assert not CorrectiveAction.objects.exists()


def test_actions_planned_needs_an_action_and_actions_done_needs_them_all_ended(world):
    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    refused(
        nc,
        lambda: services.nonconformity_transition(nc, user=world.officer, to=State.ACTIONS_PLANNED, reason="x"),
        "Plan at least one corrective action",
    )
    nc, actions = plan(nc, world.officer, world.contributor, count=2)
    complete(actions[:1], world.contributor)
    refused(
        nc,
        lambda: services.nonconformity_transition(refresh(nc), user=world.officer, to=State.ACTIONS_DONE, reason="x"),
        f"{actions[1].reference} is not done or cancelled yet",
    )


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"status": "cancelled"}, "Say why the action is cancelled"),
        ({"status": "done"}, "Give the date the action was completed"),
        ({"status": "done", "completed_on": timezone.localdate() + timedelta(days=2)}, "cannot be in the future"),
    ],
)
def test_an_action_ends_with_a_reason_or_a_completion_date(world, fields, match):
    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    action = add_action(nc, world.officer, world.contributor)
    refused(
        nc,
        lambda: services.corrective_action_update(action, user=world.contributor, expected_version=1, **fields),
        match,
    )


def test_effectiveness_is_reviewed_after_the_last_action_was_completed(world):
    nc, actions = actions_done(world)
    planned = services.review_plan(nc, user=world.officer, method="Sample", planned_on=timezone.localdate())
    completed = CorrectiveAction.objects.get(pk=actions[0].pk).completed_on
    for day in (completed, completed - timedelta(days=1)):
        refused(
            nc,
            lambda day=day: services.review_perform(planned, user=world.owner, result="effective", performed_on=day),
            "must be performed after the last action was completed",
        )


def test_effectiveness_is_not_reviewed_by_an_owner_of_the_actions(world):
    nc, _actions = actions_done(world)
    refused(
        nc,
        lambda: services.review_plan(
            nc, user=world.officer, method="Sample", planned_on=timezone.localdate(), reviewer=world.contributor
        ),
        "owns none of them",
    )
    planned = services.review_plan(nc, user=world.officer, method="Sample", planned_on=timezone.localdate())
    refused(
        nc,
        lambda: services.review_perform(
            planned, user=world.contributor, result="effective", performed_on=timezone.localdate()
        ),
        "owns none of them",
    )


def test_effectiveness_is_reviewed_once_every_action_is_done(world):
    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    nc, _actions = plan(nc, world.officer, world.contributor)
    planned = services.review_plan(refresh(nc), user=world.officer, method="Sample", planned_on=timezone.localdate())
    refused(
        nc,
        lambda: services.review_perform(
            planned, user=world.owner, result="effective", performed_on=timezone.localdate()
        ),
        "once every corrective action is done",
    )


def test_a_performed_review_stands(world):
    nc, _actions = actions_done(world)
    nc = review(nc, world.officer, qa_member(world), "effective")
    done = EffectivenessReview.objects.get(nonconformity=nc)
    refused(
        nc,
        lambda: services.review_perform(
            done, user=world.owner, result="not_effective", performed_on=timezone.localdate()
        ),
        "its result stands",
    )


def test_a_not_effective_review_returns_it_to_analysis_and_counts_the_iteration(world):
    nc, first_actions = actions_done(world)
    nc = review(nc, world.officer, qa_member(world), "not_effective")
    assert (nc.state, nc.iteration) == (State.ANALYSED, 2)
    latest = nc.history.order_by("-history_id").first()
    assert latest.history_change_reason.startswith("Not effective")
    assert latest.history_user.username == "qa"
    previous = latest.prev_record
    assert (previous.state, previous.iteration) == (State.ACTIONS_DONE, 1)
    # The first analysis' actions are kept as they were; the second analysis plans its own.
    refused(
        nc,
        lambda: services.corrective_action_update(
            CorrectiveAction.objects.get(pk=first_actions[0].pk),
            user=world.officer,
            expected_version=None,
            description="x",
        ),
        "answered analysis 1",
    )
    refused(
        nc,
        lambda: services.nonconformity_transition(nc, user=world.officer, to=State.ACTIONS_PLANNED, reason="x"),
        "Plan at least one corrective action for analysis 2",
    )
    second = add_action(nc, world.officer, world.contributor, description="Block releases without a card")
    assert second.iteration == 2


def test_the_root_cause_is_not_removed_once_analysed(world):
    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    refused(
        nc,
        lambda: services.nonconformity_update(nc, user=world.officer, expected_version=None, root_cause=""),
        "do not remove it",
    )


def test_a_nonconformity_names_a_requirement(world):
    with pytest.raises(ValidationError, match="at least one clause"):
        make_nc(world.acme, world.officer, requirements=[])
    assert not Nonconformity.objects.exists()
    nc = make_nc(world.acme, world.officer)
    refused(
        nc,
        lambda: services.nonconformity_update(nc, user=world.officer, expected_version=None, requirements=[]),
        "at least one clause",
    )


def test_withdrawal_needs_a_reason_and_freezes_the_record(world):
    nc = make_nc(world.acme, world.officer, correction="Fixed.")
    refused(
        nc, lambda: services.nonconformity_withdraw(nc, user=world.officer, expected_version=1, reason=""), "Say why"
    )
    nc = services.nonconformity_withdraw(nc, user=world.officer, expected_version=1, reason="Recorded twice")
    assert nc.is_retired and nc.history.first().history_change_reason == "Withdrawn: Recorded twice"
    refused(
        nc,
        lambda: services.nonconformity_transition(nc, user=world.officer, to=State.CONTAINED, reason="x"),
        "withdrawn",
    )
    refused(
        nc, lambda: services.nonconformity_update(nc, user=world.officer, expected_version=None, title="x"), "withdrawn"
    )


def test_next_steps_say_what_blocks_them(world):
    nc = make_nc(world.acme, world.officer)
    [(step, blockers)] = workflow.next_steps(nc)
    assert step.target == State.CONTAINED and "correction" in blockers[0]


def test_the_action_owner_is_granted_edit_and_loses_it_when_reassigned(world):
    from aims import access
    from aims.access import Action

    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    action = add_action(nc, world.officer, world.contributor)
    assert access.can(world.contributor, Action.EDIT, action)
    services.corrective_action_update(action, user=world.officer, expected_version=1, owner=world.officer)
    access.forget_cached_access(world.contributor)
    assert not access.can(world.contributor, Action.EDIT, CorrectiveAction.objects.get(pk=action.pk))
