"""Under the strict Content-Security-Policy, the key pages and the API docs work in a real
browser and nothing is refused: no CSP violation, no console error."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.aims.test_browser_policy import key_pages
from tests.browser.conftest import screenshot

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) with the reason
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)


def test_key_pages_load_with_no_csp_violation_or_console_error(world, page, live_url, login, browser_problems):
    pages = key_pages(world)
    login(page, "owner")
    for name, path in pages.items():
        response = page.goto(live_url + path)
        assert response.status == 200, name
        page.wait_for_load_state("load")
        assert "default-src 'self'" in response.headers["content-security-policy"], name
        # The stylesheet applied (a refused one would leave the browser's defaults: block, no colour).
        assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") == "flex", name
        assert browser_problems() == [], name
    page.goto(live_url + pages["heat map"])
    expect(page.locator("svg.heatmap")).to_be_visible()
    # The page's own sheet (static/css/assessments.css, once an inline <style>) applied too.
    assert page.evaluate("getComputedStyle(document.querySelector('.heatmap-figure')).overflowX") == "auto"
    screenshot(page, "heat_map_under_csp")


def test_api_docs_render_under_the_strict_policy_for_a_signed_in_person(world, page, live_url, login, browser_problems):
    page.goto(live_url + reverse("api-docs"))
    expect(page.get_by_role("button", name=re.compile("log in", re.I))).to_be_visible()  # sent to the login page

    login(page, "auditor")
    page.goto(live_url + reverse("api-docs"))
    expect(page.get_by_text("AIMS register API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/ai-systems/").first).to_be_visible()
    assert browser_problems() == []
