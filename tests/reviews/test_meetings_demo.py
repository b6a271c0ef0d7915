"""The demo's management review, the readiness checks of 9.3 and what reviews put in "my work"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from aims import ledger, readiness
from aims.models import ManagementSystem
from aims.pack_sections import FULL, STAGE1, pack_section
from aims.work import ACTION, REVIEW, SIGNATURE, work_for
from reviews.meetings import services
from reviews.meetings.signoffs import MINUTES
from reviews.models import ManagementReview, ReviewAction
from tests.kit import count_queries
from tests.reviews.meetings_helpers import fresh, make_review, ready_to_sign

pytestmark = pytest.mark.django_db


def _result(ms, check_id: str):
    return next(r for r in readiness.evaluate(ms).results if r.id == check_id)


def test_the_demo_holds_a_review_after_the_audit_with_signed_minutes_once(settings, tmp_path):
    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)  # idempotent
    acme = ManagementSystem.objects.get(name="Acme Health")
    held = ManagementReview.objects.get(management_system=acme, status=ManagementReview.Status.MINUTES_SIGNED)
    assert ManagementReview.objects.filter(management_system=acme).count() == 2  # and the next one, planned
    status = ledger.sign_off_status(MINUTES, held)
    assert status.latest.signer.username == "leader" and not status.changed_since
    assert held.is_frozen and held.decisions.exists()
    assert ReviewAction.objects.filter(review=held, status=ReviewAction.Status.OPEN).count() == 1
    assert _result(acme, "management-review-after-audit").ok
    assert ledger.verify(acme)["ok"]


def test_the_readiness_blocker_asks_for_signed_minutes_after_the_audit(world):
    check = _result(world.acme, "management-review-after-audit")
    assert (
        not check.ok
        and check.severity == readiness.BLOCKER
        and "No management review has signed minutes" in check.message
    )
    review = ready_to_sign(world, make_review(world))
    services.review_sign_minutes(review, user=world.leader, statement="Signed.", verification="demo")
    assert _result(world.acme, "management-review-after-audit").ok


def test_overdue_review_actions_are_advice(world):
    review = make_review(world)
    services.action_add(review, user=world.officer, title="Late", owner=world.contributor,
                        due_on=timezone.localdate() - timedelta(days=3))  # fmt: skip
    check = _result(world.acme, "management-review-actions-overdue")
    assert not check.ok and check.severity == readiness.ADVICE and "MRA-001" in check.message


def test_my_work_has_the_minutes_to_sign_my_actions_and_the_reviews_i_chair(world):
    review = make_review(world)
    planned = make_review(world, planned_on=timezone.localdate() + timedelta(days=30))
    services.action_add(review, user=world.officer, title="Train the nurses", owner=world.contributor)
    ready_to_sign(world, review)
    today = timezone.localdate()

    leader = {
        (i.kind, i.title.split()[-3] if i.kind == SIGNATURE else i.due)
        for i in work_for(world.leader, world.acme, today)
    }
    assert (SIGNATURE, review.reference) in leader and (REVIEW, planned.planned_on) in leader
    assert [i.kind for i in work_for(world.contributor, world.acme, today)] == [ACTION]
    northwind = work_for(world.outsider, world.northwind, today)
    assert not [i for i in northwind if i.key.startswith("management_review")]  # Acme's reviews stay in Acme
    services.review_sign_minutes(fresh(review), user=world.leader, statement="Signed.", verification="demo")
    assert SIGNATURE not in {i.kind for i in work_for(world.leader, world.acme, today)}
    few = count_queries(lambda: work_for(world.leader, world.acme, today))
    make_review(world, planned_on=today + timedelta(days=60))
    assert count_queries(lambda: work_for(world.leader, world.acme, today)) == few


def test_the_pack_section_is_for_stage_1_and_full_packs_after_the_audits():
    section = pack_section("management_reviews")
    assert section.clause == "9.3" and section.kinds == {STAGE1, FULL} and section.order == 87
    assert section.title == "Management review minutes"
