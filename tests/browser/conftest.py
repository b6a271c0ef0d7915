"""Playwright fixtures: Debian's Chromium driven through the sync API against a live server.

Without Chromium or Playwright the browser tests are skipped with a reason, except in CI
(``CI=true``), where a missing browser is a failure: CI promises to exercise the real thing.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import PASSWORD
from tests.kit import second_factor

# Playwright's sync API runs an event loop in this thread; Django's async-safety guard
# would otherwise refuse the ORM calls the tests and the live server make.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEFAULT_TIMEOUT_MS = 10_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test in this folder as a browser test."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Launch one headless Chromium per test module.

    Not per session: while Playwright's sync API is open, its event loop counts as running in the
    main thread, so any later test of the same process that runs async code the synchronous way
    (``async_to_sync``, ``asyncio.run``: the gateway's views, its demo) would fail.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -r requirements-dev.txt)")
    executable = shutil.which("chromium")
    if executable is None:
        _unavailable("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can see whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, request) -> Iterator:
    """Open a fresh browser context per test; save a screenshot to test-artifacts/ if it fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            screenshot(page, request.node.name)
        context.close()


@pytest.fixture
def second_page(browser) -> Iterator:
    """A second browser with its own cookies: another person working at the same time."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def live_url(live_server) -> str:
    """Base URL of the live server (tests using it need ``transactional_db``)."""
    return live_server.url


@pytest.fixture
def login(live_url) -> Callable:
    """Return ``login(page, username, password=PASSWORD)`` that signs in through the login form.

    A user with an authenticator is asked for a code next: the login gives a fresh recovery
    code of theirs (``tests/browser/test_account_flow.py`` logs in with the app's code).
    """

    def do_login(page, username: str, password: str = PASSWORD) -> None:
        page.goto(live_url + reverse("login"))
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name=re.compile("log in", re.I)).click()
        page.wait_for_load_state()
        if reverse("account:login_code") in page.url:
            user = get_user_model().objects.get(username=username)
            page.get_by_label("Code", exact=True).fill(second_factor(user))
            page.get_by_role("button", name=re.compile("log in", re.I)).click()
            page.wait_for_load_state()

    return do_login


# Recorded in the page before any of its scripts run; injected by the browser's debugging
# protocol, so the page's Content-Security-Policy does not apply to it.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.effectiveDirective + " blocked " + (e.blockedURI || "inline code"));
});
"""


@pytest.fixture
def browser_problems(page) -> Callable[[], list[str]]:
    """Return ``problems()``: the CSP violations, console errors and uncaught errors of ``page`` so far."""
    seen: list[str] = []
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    page.on("console", lambda message: seen.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.append(f"uncaught: {error}"))

    def problems() -> list[str]:
        violations = page.evaluate("window.__cspViolations || []")
        return [*seen, *(f"CSP: {v}" for v in violations)]

    return problems
