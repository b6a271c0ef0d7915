"""The job queue is down when the auditor requests a pack: the page says so and nothing is
lost; once the queue is back, Retry queues the pack and a real worker renders it."""

from __future__ import annotations

import re

import pytest

from packs.models import AuditPack
from tests.browser.conftest import screenshot
from tests.packs.worker import pack_worker, worker_settings  # noqa: F401  (fixtures)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) with the reason
    expect = None

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.usefixtures("worker_settings")]


def test_pack_requested_while_the_queue_is_down_is_kept_and_rendered_after_retry(
    world, page, live_url, login, broker_down, browser_problems
):
    login(page, "auditor")
    page.get_by_role("link", name="Audit packs").first.click()
    page.get_by_label("Stage 1 documentation").check()
    with page.expect_response(re.compile(r"/packs/$")) as answer:
        page.get_by_role("button", name="Request pack").click()
    assert answer.value.status == 503
    expect(page.get_by_text(re.compile(r"The job queue is unreachable, so pack #\d+ was not queued"))).to_be_visible()
    pack = AuditPack.objects.get()
    row = page.locator(f"#pack-{pack.pk}")
    expect(row.get_by_text("Not queued", exact=True)).to_be_visible()
    screenshot(page, "pack_not_queued")

    broker_down()  # the queue is back
    row.get_by_role("button", name="Retry").click()
    expect(page.get_by_text(f"Pack #{pack.pk} is queued again.")).to_be_visible()
    expect(page.locator(f"#pack-{pack.pk}").get_by_text("Ready")).to_be_visible(timeout=90_000)
    pack.refresh_from_db()
    assert pack.status == AuditPack.Status.READY and pack.sha256
    # The one expected complaint is the browser noting the 503 answer itself.
    assert [problem for problem in browser_problems() if "status of 503" not in problem] == []
