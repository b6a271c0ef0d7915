"""Nonconformities taken to a given state through the services, as people would.

The officer records and analyses; actions are owned by the contributor (who completes them);
the effectiveness review is performed by ``qa``, an officer of Acme who is none of the
personas, so that no persona made the last change to what the closure signs (four eyes).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from aims import services as aims_services
from aims.models import Role
from controls.catalog import ANNEX_A, CLAUSES
from controls.models import Control
from improvement.models import Nonconformity
from improvement.nonconformities import services
from tests.factories import UserFactory

State = Nonconformity.State
DONE_DAYS_AGO = 7


def clause(key: str = "7.5.3") -> Control:
    return Control.objects.get(framework__key=CLAUSES, key=key)


def annex(key: str = "A.6.2.7") -> Control:
    return Control.objects.get(framework__key=ANNEX_A, key=key)


def qa_member(world: Any) -> Any:
    """An officer of Acme who is none of the personas (the reviewer of the tests' actions)."""
    existing = get_user_model().objects.filter(username="qa").first()
    if existing is not None:
        return existing
    user = UserFactory(username="qa")
    aims_services.membership_add(management_system=world.acme, actor=world.owner, user=user, role=Role.OFFICER)
    return user


def make_nc(management_system: Any, user: Any, **fields: Any) -> Nonconformity:
    values = {
        "title": "Model card not kept up to date",
        "source": Nonconformity.Source.FINDING,
        "grade": Nonconformity.Grade.MINOR,
        "nature": "The model card of the triage model describes version 2; version 3 is deployed.",
        "requirements": [clause("7.5.3")],
        **fields,
    }
    return services.nonconformity_create(management_system=management_system, user=user, **values)


def refresh(nc: Nonconformity) -> Nonconformity:
    return Nonconformity.objects.get(pk=nc.pk)


def contain(nc: Nonconformity, user: Any) -> Nonconformity:
    nc = services.nonconformity_update(
        refresh(nc), user=user, expected_version=None, correction="Model card corrected for version 3."
    )
    return services.nonconformity_transition(nc, user=user, to=State.CONTAINED, reason="Corrected")


def analyse(nc: Nonconformity, user: Any) -> Nonconformity:
    nc = services.nonconformity_update(
        refresh(nc),
        user=user,
        expected_version=None,
        root_cause_method="five_whys",
        root_cause="Releases do not include updating the model card.",
    )
    return services.nonconformity_transition(nc, user=user, to=State.ANALYSED, reason="Five whys done")


def add_action(nc: Nonconformity, user: Any, owner: Any, **fields: Any) -> Any:
    values = {"description": "Add the model card to the release checklist.", "owner": owner, **fields}
    return services.corrective_action_create(refresh(nc), user=user, **values)


def plan(nc: Nonconformity, user: Any, owner: Any, count: int = 1) -> tuple[Nonconformity, list[Any]]:
    actions = [add_action(nc, user, owner, description=f"Action {i + 1}") for i in range(count)]
    nc = services.nonconformity_transition(refresh(nc), user=user, to=State.ACTIONS_PLANNED, reason="Planned")
    return nc, actions


def complete(actions: list[Any], user: Any, days_ago: int = DONE_DAYS_AGO) -> None:
    for action in actions:
        action.refresh_from_db()
        services.corrective_action_update(
            action,
            user=user,
            expected_version=action.version,
            status="done",
            completed_on=timezone.localdate() - timedelta(days=days_ago),
        )


def actions_done(world: Any, **fields: Any) -> tuple[Nonconformity, list[Any]]:
    """An NC at "actions done": one action owned by the contributor, completed a week ago by them."""
    nc = make_nc(world.acme, world.officer, **fields)
    nc = analyse(contain(nc, world.officer), world.officer)
    nc, actions = plan(nc, world.officer, world.contributor)
    complete(actions, world.contributor)
    nc = services.nonconformity_transition(refresh(nc), user=world.officer, to=State.ACTIONS_DONE, reason="All done")
    return nc, actions


def review(nc: Nonconformity, planner: Any, reviewer: Any, result: str, days_ago: int = 1) -> Nonconformity:
    planned = services.review_plan(
        refresh(nc), user=planner, method="Sample ten releases", planned_on=timezone.localdate(), reviewer=reviewer
    )
    return services.review_perform(
        planned, user=reviewer, result=result, performed_on=timezone.localdate() - timedelta(days=days_ago)
    )


def verified(world: Any, **fields: Any) -> Nonconformity:
    """An NC whose actions the reviewer ``qa`` found effective: ready to be closed."""
    nc, _actions = actions_done(world, **fields)
    return review(nc, world.officer, qa_member(world), "effective")
