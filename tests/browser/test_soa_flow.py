"""The SoA in a real browser: the officer decides and justifies, the leader approves, a later edit shows."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from aims.models import SignOff
from controls.models import Applicability
from tests.controls.helpers import decide_all, row_of
from tests.factories import decide_soa_row
from tests.kit import second_factor

pytestmark = pytest.mark.django_db(transaction=True)


def _undecide(ms, key: str) -> Applicability:
    return decide_soa_row(
        ms,
        key,
        user=None,
        reason="Undecided",
        applicable="undecided",
        justification="",
        implementation_status="not_started",
    )


def test_officer_decides_leader_approves_then_an_edit_shows_changed_since(world, page, live_url, login):
    decide_all(world.acme, world.officer)
    _undecide(world.acme, "A.2.2"), _undecide(world.acme, "A.10.4")
    soa_url = live_url + reverse("controls:soa", args=[world.acme.pk])

    login(page, "officer")
    page.goto(soa_url + "?show=undecided")
    expect(page.locator("tr.soa-row")).to_have_count(2)

    # Include A.2.2 but forget the justification: refused on the row's editor, the choice kept.
    page.get_by_role("link", name="Edit A.2.2").click()
    page.get_by_label("Applicable").select_option(label="Included")
    page.get_by_label("Implementation status").select_option(label="Implemented")
    page.get_by_role("button", name="Save A.2.2").click()
    expect(page.locator(".field-errors").first).to_contain_text("clause 6.1.3 requires one")
    expect(page.get_by_label("Applicable")).to_have_value("included")
    page.get_by_label("Justification").fill("The AI policy is the root of the AIMS (clause 5.2).")
    page.get_by_role("button", name="Save A.2.2").click()
    expect(page.get_by_text("A.2.2 saved.")).to_be_visible()

    page.get_by_role("link", name="Edit A.10.4").click()
    page.get_by_label("Applicable").select_option(label="Excluded")
    page.get_by_label("Implementation status").select_option(label="Not applicable")
    page.get_by_label("Justification").fill("We supply no AI systems to customers.")
    page.get_by_role("button", name="Save A.10.4").click()
    expect(page.get_by_text("A.10.4 saved.")).to_be_visible()
    expect(page.locator("tr.soa-row")).to_have_count(0)  # still filtered on undecided: none left
    assert row_of(world.acme, "A.10.4").history.first().history_user == world.officer

    page.get_by_role("button", name="Log out").click()
    login(page, "leader")
    page.goto(soa_url)
    page.get_by_role("link", name="Approve…").click()
    page.get_by_label("Statement and rationale").fill("Approved for the stage 1 audit.")
    page.get_by_label("I have reviewed the version shown").check()
    page.get_by_label("Code from your authenticator app").fill(second_factor(world.leader))
    page.get_by_role("button", name="Approve and sign").click()
    expect(page.locator(".soa-signoff")).to_contain_text("Approved on")
    assert SignOff.objects.get().signer == world.leader

    page.get_by_role("button", name="Log out").click()
    login(page, "officer")
    page.goto(soa_url)
    page.get_by_role("link", name="Edit A.4.4").click()
    page.get_by_label("Implementation status").select_option(label="Implemented")
    page.get_by_role("button", name="Save A.4.4").click()
    notice = page.locator(".soa-signoff")
    expect(notice).to_contain_text("Changed since approved on")
    expect(notice).to_contain_text("by leader")
    notice.get_by_role("link", name="See what changed").click()
    expect(page.get_by_role("heading", name="A.4.4", exact=False)).to_be_visible()
    expect(page.locator(".diff__new").first).to_have_text("Implemented")
