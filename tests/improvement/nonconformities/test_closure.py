"""Closing a nonconformity is a sign-off: blockers, who may close which grade, four eyes, and what closing records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from aims import ledger
from aims.models import SignOff
from improvement.models import Nonconformity
from improvement.nonconformities import services
from improvement.nonconformities.signoffs import CLOSURE, closure_blockers
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
    verified,
)
from tests.kit import sign_data


def close(nc, user, **extra):
    return services.nonconformity_close(
        refresh(nc), user=user, expected_version=refresh(nc).version, statement="Closed.", verification="password",
        **extra,
    )  # fmt: skip


def unchanged(nc, call, error=ValidationError, match=""):
    before = (
        Nonconformity.objects.filter(pk=nc.pk).values("state", "version", "closed_at").get(),
        SignOff.objects.count(),
    )
    with pytest.raises(error) as refusal:
        call()
    assert match in str(refusal.value), str(refusal.value)
    assert (
        Nonconformity.objects.filter(pk=nc.pk).values("state", "version", "closed_at").get(),
        SignOff.objects.count(),
    ) == before


def test_closing_signs_the_verified_version_then_records_the_state_closed(world):
    nc = verified(world)
    signed_version = refresh(nc).version
    signoff = close(nc, world.leader)
    nc = refresh(nc)
    assert (nc.state, nc.closed_at) == (State.CLOSED, signoff.signed_at)
    assert nc.history.first().history_change_reason == f"Close: sign-off #{signoff.sequence}"
    assert ledger.signed_record_version(signoff, nc) == signed_version
    # The closing version is the sign-off's consequence: what was signed has not changed since.
    assert not ledger.sign_off_status(CLOSURE, nc).changed_since
    assert ledger.verify(world.acme)["ok"]


def test_a_closed_nonconformity_is_frozen(world):
    nc = verified(world)
    close(nc, world.leader)
    nc = refresh(nc)
    unchanged(
        nc,
        lambda: services.nonconformity_update(nc, user=world.officer, expected_version=None, title="x"),
        match="frozen",
    )
    unchanged(nc, lambda: close(nc, world.owner), match="already closed")
    unchanged(
        nc,
        lambda: services.nonconformity_withdraw(nc, user=world.officer, expected_version=nc.version, reason="x"),
        match="not withdrawn",
    )
    action = nc.actions.get()
    unchanged(
        nc, lambda: services.corrective_action_update(action, user=world.officer, expected_version=None, description="x"),
        match="frozen",
    )  # fmt: skip


def test_closure_is_blocked_until_the_actions_are_verified_effective(world):
    nc, _actions = actions_done(world)
    unchanged(nc, lambda: close(nc, world.leader), match="Review the effectiveness of the corrective actions")


def test_closure_is_blocked_after_a_not_effective_review(world):
    nc, _actions = actions_done(world)
    nc = review(nc, world.officer, qa_member(world), "not_effective")
    unchanged(nc, lambda: close(nc, world.leader), match="found the actions not effective")


def test_closure_is_blocked_until_the_correction_is_recorded(world):
    nc = make_nc(world.acme, world.officer, containment="Model withdrawn from the release pipeline.")
    nc = services.nonconformity_transition(nc, user=world.officer, to=State.CONTAINED, reason="Contained")
    nc = analyse(nc, world.officer)
    action = add_action(nc, world.officer, world.contributor)
    nc = services.nonconformity_transition(refresh(nc), user=world.officer, to=State.ACTIONS_PLANNED, reason="x")
    services.corrective_action_update(
        action, user=world.contributor, expected_version=1, status="done",
        completed_on=timezone.localdate() - timedelta(days=5),
    )  # fmt: skip
    nc = services.nonconformity_transition(refresh(nc), user=world.officer, to=State.ACTIONS_DONE, reason="x")
    nc = review(nc, world.officer, qa_member(world), "effective")
    assert closure_blockers(nc) == ["Record the correction."]
    unchanged(nc, lambda: close(nc, world.leader), match="Record the correction")


def test_a_verified_nonconformity_has_nothing_blocking_its_closure(world):
    nc = verified(world)
    assert closure_blockers(refresh(nc)) == []


def test_a_major_nonconformity_is_closed_by_leadership_only(world):
    nc = verified(world, grade="major")
    unchanged(
        nc, lambda: close(nc, world.officer), error=PermissionDenied, match="major nonconformity: leadership closes it"
    )
    close(nc, world.leader)
    assert refresh(nc).state == State.CLOSED


@pytest.mark.parametrize("closer", ["officer", "leader", "owner"])
def test_a_minor_nonconformity_is_closed_by_leadership_or_an_officer(world, closer):
    nc = verified(world)
    close(nc, world.users[closer])
    assert refresh(nc).state == State.CLOSED


@pytest.mark.parametrize("closer", ["contributor", "auditor"])
def test_others_may_not_close_a_nonconformity(world, closer):
    nc = verified(world)
    unchanged(nc, lambda: close(nc, world.users[closer]), error=PermissionDenied)


def test_whoever_made_the_last_change_closes_only_with_an_override(world):
    nc, _actions = actions_done(world)
    nc = review(nc, world.officer, world.owner, "effective")  # the owner reviewed: their change is what is signed
    unchanged(nc, lambda: close(nc, world.owner), match="You made the last change")
    signoff = close(nc, world.owner, override_reason="The only other signer is on leave.")
    assert signoff.override_reason == "The only other signer is on leave."
    assert refresh(nc).state == State.CLOSED


def test_an_nc_read_as_of_a_moment_before_its_closure_is_not_closed(world):
    nc = make_nc(world.acme, world.officer)
    opened = timezone.now()
    nc = verified_from(nc, world)
    before_closure = timezone.now()
    close(nc, world.leader)
    assert Nonconformity.history.as_of(opened).get(pk=nc.pk).state == State.OPEN
    then = Nonconformity.history.as_of(before_closure).get(pk=nc.pk)
    assert (then.state, then.closed_at) == (State.EFFECTIVENESS_VERIFIED, None)
    assert Nonconformity.history.as_of(timezone.now()).get(pk=nc.pk).state == State.CLOSED


def verified_from(nc, world):
    nc = analyse(contain(nc, world.officer), world.officer)
    nc, actions = plan(nc, world.officer, world.contributor)
    complete(actions, world.contributor)
    nc = services.nonconformity_transition(refresh(nc), user=world.officer, to=State.ACTIONS_DONE, reason="x")
    return review(nc, world.officer, qa_member(world), "effective")


def test_the_closure_page_signs_and_closes(world, client_as):
    nc = verified(world, grade="major")
    url = reverse("improvement:nc_close", args=[world.acme.pk, nc.pk])
    response = client_as("leader").post(url, sign_data(CLOSURE, nc, signer=world.leader))
    assert response.status_code == 302
    nc = refresh(nc)
    assert nc.state == State.CLOSED and ledger.sign_offs_of(CLOSURE, nc).count() == 1
    page = client_as("auditor").get(reverse("improvement:nc_detail", args=[world.acme.pk, nc.pk])).content.decode()
    assert f"Version {nc.version - 1} closed by" in page and "Unchanged since." in page
    assert "Changed since" not in page and "Cannot be signed yet" not in page


def test_the_closure_page_refuses_a_blocked_nc_and_saves_nothing(world, client_as):
    nc, _actions = actions_done(world)
    url = reverse("improvement:nc_close", args=[world.acme.pk, nc.pk])
    response = client_as("leader").post(url, sign_data(CLOSURE, nc, signer=world.leader))
    assert response.status_code == 400
    assert refresh(nc).state == State.ACTIONS_DONE and not SignOff.objects.exists()
