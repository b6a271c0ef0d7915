"""The auditor requests a pack in a real browser, watches it reach ready (a real worker renders it) and downloads it."""

from __future__ import annotations

import hashlib
import re

import pytest

from packs.models import AuditPack, PackDownload
from tests.browser.conftest import screenshot
from tests.packs.worker import pack_worker, worker_settings  # noqa: F401  (fixtures)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) with the reason
    expect = None

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.usefixtures("worker_settings")]


def test_auditor_requests_a_pack_watches_it_render_and_downloads_it(world, page, live_url, login, browser_problems):
    login(page, "auditor")
    page.get_by_role("link", name="Audit packs").first.click()
    expect(page.get_by_role("heading", name="Audit packs")).to_be_visible()

    page.get_by_label("Stage 1 documentation").check()
    page.get_by_role("button", name="Request pack").click()
    expect(page.get_by_text(re.compile(r"Pack #\d+ is queued"))).to_be_visible()
    pack = AuditPack.objects.get()
    assert pack.requested_by == world.auditor and pack.kind == "stage1"

    # The page polls the status endpoint (static/js/pack-status.js, allowed by the CSP) and
    # reloads itself when the worker is done.
    row = page.locator(f"#pack-{pack.pk}")
    expect(row.get_by_text("Ready")).to_be_visible(timeout=90_000)
    assert browser_problems() == []
    pack.refresh_from_db()
    expect(row.get_by_text(pack.sha256)).to_be_visible()
    screenshot(page, "pack_ready")

    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    content = open(download.path(), "rb").read()
    assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == pack.sha256
    assert download.suggested_filename == pack.file_name
    assert PackDownload.objects.filter(pack=pack, user=world.auditor, part="pdf").exists()
