"""The AI policy in a real browser (issue 12): the officer edits the starter text of version 2, submits it
for review, the leader (holding the top-management role) approves it, a contributor acknowledges it,
and the pack shows version 2 approved with its approver. Version 1 is approved in the setup."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from controls.catalog import catalog_ensure
from governance.documents import services
from governance.models import DocumentAcknowledgement, DocumentVersion
from packs import gather, render
from packs.models import AuditPack
from tests.browser.conftest import screenshot
from tests.governance.documents_helpers import approve, in_review, make_top_management
from tests.kit import second_factor
from tests.packs.helpers import make_pack

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) with the reason
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)
NEW_SECTION = "All staff complete the AI literacy module before using an AI system."


def test_officer_edits_leader_approves_contributor_acknowledges_and_the_pack_shows_version_2(
    world, page, live_url, login, browser_problems
):
    catalog_ensure()  # the catalogues are migration data, flushed by earlier transactional tests
    make_top_management(world, world.leader)
    v1 = approve(world, in_review(world))
    v2 = services.version_new(v1.document, user=world.officer)
    ms = world.acme.pk

    # The officer edits the starter text and submits it for review.
    login(page, "officer")
    page.goto(live_url + reverse("governance:document_list", args=[ms]))
    page.get_by_role("link", name="AI policy", exact=True).click()
    page.get_by_role("link", name="Version 2").first.click()
    page.get_by_role("link", name="Edit the draft").click()
    text = page.get_by_label("Text (Markdown)")
    text.fill(text.input_value().replace("[organisation name]", "Acme Health") + f"\n\n## Training\n\n{NEW_SECTION}\n")
    page.get_by_label("Change summary").fill("Adds the training commitment.")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_load_state()
    expect(page.locator("article.document-body")).to_contain_text(NEW_SECTION)
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state()
    assert DocumentVersion.objects.get(pk=v2.pk).status == DocumentVersion.Status.IN_REVIEW

    # The leader, who holds the top-management role, approves it with their second factor.
    page.context.clear_cookies()
    login(page, "leader")
    page.goto(live_url + reverse("governance:version_detail", args=[ms, v2.pk]))
    page.get_by_label(re.compile("Statement")).fill("Approved: the policy now commits us to AI literacy training.")
    page.get_by_label(re.compile("I have reviewed")).check()
    page.get_by_label("Code from your authenticator app").fill(second_factor(world.leader))
    page.get_by_role("button", name=re.compile(r"Approve and sign")).click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("Approved")
    v1.refresh_from_db()
    assert DocumentVersion.objects.get(pk=v2.pk).status == "approved" and v1.status == "superseded"

    # A contributor acknowledges the approved version.
    page.context.clear_cookies()
    login(page, "contributor")
    page.goto(live_url + reverse("governance:version_detail", args=[ms, v2.pk]))
    page.get_by_role("button", name="I have read and acknowledge this policy").click()
    page.wait_for_load_state()
    expect(page.get_by_text("You acknowledged it")).to_be_visible()
    assert DocumentAcknowledgement.objects.filter(version=v2, user=world.contributor).exists()
    screenshot(page, "governance_policy_acknowledged")
    assert browser_problems() == []

    # The pack shows version 2 approved, by the leader, with its text.
    pack = make_pack(world, kind=AuditPack.Kind.STAGE1)
    html = " ".join(render.render_pack_html(gather.gather_pack(pack)).split())
    assert "Version 2 approved by leader" in html and NEW_SECTION in html
    assert "Version 2 (approved)" in html
