"""The officer keeps the AI system inventory in a real browser; the auditor only reads it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from registers.models import AISystem
from tests.factories import make_ai_system

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) with the reason
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)


def test_officer_creates_edits_and_sees_the_change_in_history(world, page, live_url, login):
    login(page, "officer")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()  # the member's home page

    page.get_by_role("link", name="AI systems", exact=True).first.click()
    page.get_by_role("link", name="New AI system").click()
    page.get_by_label("Name").fill("Discharge letter drafting")
    page.get_by_label("Purpose").fill("Drafts discharge letters for clinicians to check.")
    page.get_by_label("Lifecycle stage").select_option(label="Design and development")
    page.get_by_label("Owner").select_option(label="contributor")
    page.get_by_role("button", name="Add AI system").click()

    expect(page.get_by_role("heading", name="Discharge letter drafting")).to_be_visible()
    system = AISystem.objects.get(name="Discharge letter drafting")
    assert system.owner == world.contributor and system.history.get().history_user == world.officer

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Lifecycle stage").select_option(label="Verification and validation")
    page.get_by_label("Change reason").fill("Clinical validation started")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("was saved")).to_be_visible()

    page.get_by_role("link", name="History").click()
    expect(page).to_have_url(re.compile(r"/history/$"))
    latest = page.locator(".history__version").first
    expect(latest).to_contain_text("Clinical validation started")
    expect(latest).to_contain_text("officer")
    expect(latest.locator(".diff__old")).to_have_text("Design and development")
    expect(latest.locator(".diff__new")).to_have_text("Verification and validation")
    system.refresh_from_db()
    assert system.lifecycle_stage == "verification" and system.version == 2


def test_auditor_sees_no_edit_controls(world, page, live_url, login):
    system = make_ai_system(world.acme, user=world.owner, name="Radiology worklist")
    login(page, "auditor")

    page.goto(live_url + reverse("registers:ai_system_list", args=[world.acme.pk]))
    expect(page.get_by_role("link", name="Radiology worklist")).to_be_visible()
    expect(page.get_by_role("link", name="New AI system")).to_have_count(0)

    page.get_by_role("link", name="Radiology worklist").click()
    expect(page.get_by_role("heading", name="Radiology worklist")).to_be_visible()
    for name in ("Edit", "Delete", "New AI system"):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)

    response = page.goto(live_url + reverse("registers:ai_system_edit", args=[world.acme.pk, system.pk]))
    assert response.status == 403
