"""Two browsers: the leader opens the approval, the officer edits a row, the leader's approval is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from aims.models import SignOff
from tests.browser.conftest import screenshot
from tests.controls.helpers import decide_all, row_of
from tests.kit import second_factor

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_leader_cannot_approve_a_soa_changed_after_they_opened_it(world, page, second_page, live_url, login):
    decide_all(world.acme, world.officer)
    row = row_of(world.acme, "A.4.4")
    soa_url = live_url + reverse("controls:soa", args=[world.acme.pk])

    login(page, "leader")
    page.goto(live_url + reverse("controls:soa_approve", args=[world.acme.pk]))
    page.get_by_label("Statement and rationale").fill("Approved as reviewed on Monday.")
    page.get_by_label("I have reviewed the version shown").check()
    page.get_by_label("Code from your authenticator app").fill(second_factor(world.leader))

    officer = second_page
    login(officer, "officer")
    officer.goto(soa_url)
    officer.get_by_role("link", name="Edit A.4.4").click()  # the row's own editor
    officer.get_by_label("Implementation notes").fill("Changed while the leader was reading.")
    officer.get_by_role("button", name="Save A.4.4").click()
    expect(officer.get_by_text("A.4.4 saved.")).to_be_visible()

    page.get_by_role("button", name="Approve and sign").click()

    expect(page.get_by_role("alert")).to_contain_text("changed since you opened it")
    screenshot(page, "soa-approval-refused")
    assert not SignOff.objects.exists()
    # The page now holds the version that stands; the leader reviews it and confirms again.
    expect(page.get_by_label("Statement and rationale")).to_have_value("Approved as reviewed on Monday.")
    expect(page.get_by_label("I have reviewed the version shown")).not_to_be_checked()
    page.get_by_label("I have reviewed the version shown").check()
    page.get_by_label("Code from your authenticator app").fill(second_factor(world.leader))
    page.get_by_role("button", name="Approve and sign").click()
    expect(page.locator(".soa-signoff")).to_contain_text("Approved on")
    signoff = SignOff.objects.get()
    assert signoff.signer == world.leader
    assert ["controls.applicability", row.history.order_by("-history_id").first().history_id] in signoff.versions
