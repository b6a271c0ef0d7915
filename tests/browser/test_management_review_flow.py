"""The management review in a real browser (issue 13): the leader finds the review they chair in "my work",
freezes its inputs, comes back after the meeting to sign the minutes with a second factor, and the
readiness page no longer says that no management review has signed minutes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from controls.catalog import catalog_ensure
from reviews.meetings import services
from reviews.models import ManagementReview, ReviewDecision
from tests.browser.conftest import screenshot
from tests.kit import second_factor
from tests.reviews.meetings_helpers import fresh, make_review

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) with the reason
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)
NO_MINUTES = "No management review has signed minutes yet"


def _hold_the_meeting(world, review: ManagementReview) -> None:
    """What the meeting's secretary (the officer) records: every input discussed, a decision, held."""
    for row in fresh(review).inputs.all():
        services.input_update(row, user=world.officer, expected_version=row.version, discussed=True, notes="Discussed.")
    services.decision_add(
        fresh(review), user=world.officer, decision_type=ReviewDecision.Type.NO_CHANGE, text="No change needed."
    )
    review = fresh(review)
    services.review_mark_held(review, user=world.officer, expected_version=review.version)


def test_leader_freezes_and_signs_a_review_from_my_work_and_the_readiness_page_follows(
    world, page, live_url, login, browser_problems
):
    catalog_ensure()  # the catalogues are migration data, flushed by earlier transactional tests
    review = make_review(world)
    ms = world.acme.pk

    # "My work" is the leader's home: the review they chair waits there.
    login(page, "leader")
    page.goto(live_url + "/")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    page.get_by_role("link", name=re.compile(f"management review {review.reference}")).click()
    page.get_by_role("button", name="Freeze the inputs").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("Frozen on")
    assert fresh(review).status == ManagementReview.Status.INPUTS_FROZEN

    page.goto(live_url + reverse("reviews:readiness", args=[ms]))
    expect(page.locator("main")).to_contain_text(NO_MINUTES)

    # After the meeting the minutes wait for the chair's signature.
    _hold_the_meeting(world, review)
    page.goto(live_url + reverse("reviews:my_work", args=[ms]))
    page.get_by_role("link", name=re.compile(f"Sign the minutes of {review.reference}")).click()
    page.get_by_label(re.compile("Statement")).fill("I sign these minutes as the chair.")
    page.get_by_label(re.compile("I have reviewed")).check()
    page.get_by_label("Code from your authenticator app").fill(second_factor(world.leader))
    page.get_by_role("button", name=re.compile("Approve the minutes and sign")).click()
    page.wait_for_load_state()
    expect(page.locator(".signoff")).to_contain_text("Signed")
    assert fresh(review).status == ManagementReview.Status.MINUTES_SIGNED

    page.goto(live_url + reverse("reviews:readiness", args=[ms]))
    expect(page.locator("main")).not_to_contain_text(NO_MINUTES)
    screenshot(page, "management_review_readiness_after_signing")
    assert browser_problems() == []
