"""Helpers of the management review tests: a review chaired by the leader (top management)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from governance.models import AimsRole, Person
from reviews.meetings import services
from reviews.meetings.signoffs import top_management_ids
from reviews.models import ManagementReview, ReviewDecision
from tests.governance.people_helpers import appoint_user


def chair_person(world: Any) -> Person:
    """The leader's person, holding the top-management AIMS role (created once)."""
    person = Person.objects.filter(management_system=world.acme, account=world.leader).first()
    if person is None or not top_management_ids(world.acme.pk, [person.pk]):
        appoint_user(world.acme, world.officer, world.leader, AimsRole.TOP_MANAGEMENT)
    return Person.objects.get(management_system=world.acme, account=world.leader)


def make_review(world: Any, *, planned_on: date | None = None, attend: bool = True, **fields: Any) -> ManagementReview:
    chair = chair_person(world)
    return services.review_create(
        management_system=world.acme, user=world.officer, chair=chair, attendees=[chair] if attend else [],
        planned_on=planned_on or timezone.localdate() - timedelta(days=1), **fields,
    )  # fmt: skip


def ready_to_sign(world: Any, review: ManagementReview) -> ManagementReview:
    """Freeze, discuss every input, decide and hold the review: nothing blocks the minutes."""
    review = services.review_freeze_inputs(review, user=world.officer, expected_version=review.version)
    for row in review.inputs.all():
        services.input_update(row, user=world.officer, expected_version=row.version, discussed=True)
    services.decision_add(review, user=world.officer, decision_type=ReviewDecision.Type.NO_CHANGE, text="No change.")
    return services.review_mark_held(review, user=world.officer, expected_version=review.version)


def fresh(review: ManagementReview) -> ManagementReview:
    return ManagementReview.objects.get(pk=review.pk)
