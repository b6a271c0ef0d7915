"""The improvement loop in a real browser (issue 11).

The lead auditor records the checks of an audit and a major finding; the officer contains and
analyses the nonconformity the finding raised and plans an action; the action's owner completes
it; a different member reviews its effectiveness; leadership closes it; and a pack dated before
the closure shows it open while one dated now shows it closed.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from controls.catalog import catalog_ensure
from improvement.audits import services as audit_services
from improvement.models import AuditCheck, Finding, InternalAudit, Nonconformity
from packs import services as pack_services
from packs.models import AuditPack
from packs.services import pack_file_path
from tests.browser.conftest import screenshot
from tests.improvement.audits.helpers import approved_programme, clause
from tests.kit import second_factor
from tests.packs.helpers import make_pack, pdf_text

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) with the reason
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)


def _move(page, label: str, reason: str) -> None:
    """Use the NC page's "Next step" form that moves it to ``label``."""
    button = page.get_by_role("button", name=f"Move to “{label}”")
    form = page.locator("form", has=button)
    form.get_by_label("Reason").fill(reason)
    button.click()
    page.wait_for_load_state()


def _audit_in_progress(world) -> InternalAudit:
    """An approved programme and an audit of 8.4 and 9.1 started, led by the contributor (who owns nothing in scope)."""
    programme = approved_programme(world)
    audit = audit_services.internal_audit_create(
        management_system=world.acme,
        user=world.officer,
        title="Operation of AI systems",
        programme=programme,
        scope_requirements=[clause("8.4"), clause("9.1")],
        criteria="ISO/IEC 42001 8.4 and 9.1",
        lead_auditor=world.contributor,
    )
    return audit_services.internal_audit_start(audit, user=world.officer, expected_version=None, reason="Opened")


def test_audit_finding_to_closed_nonconformity_and_a_pack_dated_before_the_closure(
    world, page, live_url, login, browser_problems
):
    catalog_ensure()  # the catalogues are migration data, flushed by earlier transactional tests
    audit = _audit_in_progress(world)
    ms = world.acme.pk

    # The lead auditor records both checks and a major finding.
    login(page, "contributor")
    page.goto(live_url + reverse("improvement:audit_detail", args=[ms, audit.pk]))
    for key, result in (("8.4", "Conforming"), ("9.1", "Nonconformity")):
        check = AuditCheck.objects.get(audit=audit, requirement__key=key)
        page.goto(live_url + reverse("improvement:check_edit", args=[ms, audit.pk, check.pk]))
        page.get_by_label("What was tested").fill(f"Records of {key} walked through with their owners.")
        page.get_by_label("Sample").fill("AIS-001, RISK-001")
        page.get_by_label("Result").select_option(label=result)
        page.get_by_role("button", name="Record the check").click()
        page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("Nonconformity")
    page.get_by_role("link", name="Record a finding").first.click()
    page.get_by_label("Title").fill("Monitoring results never evaluated")
    page.get_by_label("Type").select_option(label="Major nonconformity")
    page.get_by_label(re.compile(r"9\.1 Monitoring")).check()
    page.get_by_label("Requirement", exact=True).fill("Monitoring results are analysed and evaluated (9.1).")
    page.get_by_label("Evidence", exact=True).fill("Monitoring dashboards and the AI board's minutes.")
    page.get_by_label("What was found").fill("Nobody has looked at the dashboards since March.")
    page.get_by_role("button", name="Record the finding").click()
    page.wait_for_load_state()
    finding = Finding.objects.get(title="Monitoring results never evaluated")
    nc = finding.nonconformity
    assert nc is not None and nc.grade == Nonconformity.Grade.MAJOR and nc.source == Nonconformity.Source.FINDING
    expect(page.get_by_role("link", name=re.compile(nc.reference)).first).to_be_visible()
    screenshot(page, "improvement_finding")

    # The officer records the correction and the root cause, moves it along and plans an action.
    page.context.clear_cookies()
    login(page, "officer")
    page.goto(live_url + reverse("improvement:nc_detail", args=[ms, nc.pk]))
    expect(page.locator("main")).to_contain_text(finding.reference)
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Correction").fill("The dashboards were reviewed and the open alerts answered.")
    page.get_by_label(re.compile(r"^Root cause(?! method)")).fill(
        "Nobody was named to evaluate the monitoring results."
    )
    page.get_by_role("button", name=re.compile("Save")).click()
    page.wait_for_load_state()
    _move(page, "contained", "Alerts answered")
    _move(page, "analysed", "Root cause agreed")
    page.get_by_role("link", name="Add a corrective action").click()
    page.get_by_label("Description").fill("Name the evaluator of monitoring results in the AI roles.")
    page.get_by_label("Owner").select_option(str(world.contributor.pk))
    page.get_by_label("Due date").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Add the action").click()
    page.wait_for_load_state()
    _move(page, "actions planned", "One action agreed")
    nc.refresh_from_db()
    assert nc.state == Nonconformity.State.ACTIONS_PLANNED
    action = nc.actions.get()

    # The action's owner completes it.
    page.context.clear_cookies()
    login(page, "contributor")
    page.goto(live_url + reverse("improvement:ca_edit", args=[ms, action.pk]))
    page.get_by_label("Status").select_option(label="Done")
    # Done yesterday: the effectiveness review comes after the completion (10.2 d).
    page.get_by_label("Completed on").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    action.refresh_from_db()
    assert action.status == "done"

    # The officer (who owns none of the actions) moves it on and reviews the effectiveness.
    page.context.clear_cookies()
    login(page, "officer")
    page.goto(live_url + reverse("improvement:nc_detail", args=[ms, nc.pk]))
    _move(page, "actions done", "The action is done")
    page.get_by_role("link", name="Plan a review").click()
    page.get_by_label("Method").fill("Check that the monitoring results of the month were evaluated.")
    page.get_by_label(re.compile("Planned")).fill(timezone.localdate().isoformat())
    page.get_by_label("Reviewer").select_option(str(world.officer.pk))
    page.get_by_role("button", name="Save the plan").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Record the result").click()
    page.get_by_label("Effective", exact=True).check()
    page.get_by_role("button", name="Record the result").click()
    page.wait_for_load_state()
    nc.refresh_from_db()
    assert nc.state == Nonconformity.State.EFFECTIVENESS_VERIFIED
    before_closure = timezone.now()

    # Leadership closes the major nonconformity by signing it.
    page.context.clear_cookies()
    login(page, "leader")
    page.goto(live_url + reverse("improvement:nc_detail", args=[ms, nc.pk]))
    page.get_by_label(re.compile("Statement")).fill("Closed: the corrective action was verified effective.")
    page.get_by_label(re.compile("I have reviewed")).check()
    page.get_by_label("Code from your authenticator app").fill(second_factor(world.leader))
    page.get_by_role("button", name=re.compile(r"and sign version \d+")).click()
    page.wait_for_load_state()
    nc.refresh_from_db()
    assert nc.state == Nonconformity.State.CLOSED
    expect(page.get_by_text("Closed").first).to_be_visible()
    screenshot(page, "improvement_nc_closed")
    assert browser_problems() == []

    # A pack dated before the closure shows the NC open; one dated now shows it closed.
    def nc_in_pack(as_of) -> str:
        pack = make_pack(world, kind=AuditPack.Kind.STAGE2, as_of=as_of)
        pack_services.pack_render(pack.pk)
        pack.refresh_from_db()
        assert pack.status == AuditPack.Status.READY, pack.failure_reason
        text = pdf_text(pack_file_path(pack, "pdf").read_bytes())
        start = text.index(f"{nc.reference} {nc.title} State ")
        return text[start : start + 400]

    assert "State Effectiveness verified" in nc_in_pack(before_closure)
    assert "State Closed" in nc_in_pack(timezone.now())
