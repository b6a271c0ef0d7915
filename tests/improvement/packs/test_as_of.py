"""A real PDF shows the improvement loop as of its date: an NC closed now is open in a pack dated before."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from improvement import pack as improvement_pack
from improvement.models import ProgrammeItem, TimelineEntry
from packs import gather, services
from packs.models import AuditPack
from packs.services import pack_file_path
from tests.improvement.packs.helpers import (
    add_obligation,
    close_nc,
    make_action,
    make_audit,
    make_incident,
    make_nc,
    make_programme,
    make_review,
    requirement,
    save_child,
    sign,
    update,
)
from tests.packs.helpers import make_pack, pdf_text
from tests.packs.test_content import rendered_text


def rendered_pdf(world, **kw) -> str:
    """Render a pack through the pack task's own service and read its PDF back."""
    pack = make_pack(world, **kw)
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    assert pack.status == AuditPack.Status.READY, pack.failure_reason
    return pdf_text(pack_file_path(pack, "pdf").read_bytes())


def nc_record(text: str, nc) -> str:
    """The full record of one NC in a Stage 2 pack: its card, from its heading on."""
    start = text.index(f"{nc.reference} {nc.title} State ")
    return text[start : start + 2500]


def test_an_nc_closed_now_shows_open_in_a_pack_dated_before_the_closure_and_closed_in_one_dated_now(
    world, improvement_kinds
):
    nc = make_nc(world, title="Live system without an impact assessment")
    make_action(world, nc, status="done", completed=timezone.localdate())
    make_review(world, nc, result="effective")
    before_closure = timezone.now()
    close_nc(world, nc)
    sign(world, improvement_pack.NC_CLOSURE, nc)

    early = rendered_pdf(world, kind=AuditPack.Kind.STAGE2, as_of=before_closure)
    late = rendered_pdf(world, kind=AuditPack.Kind.STAGE2, as_of=timezone.now())

    early_record, late_record = nc_record(early, nc), nc_record(late, nc)
    assert "State Open" in early_record and "Closed" not in early_record.split("Closure", 1)[0]
    assert "Not closed by" in early_record.split("Closure", 1)[1]
    assert "State Closed" in late_record and "closed " in late_record
    closure = late_record.split("Closure", 1)[1]
    assert "Version 2 closed by leader, Leader lead" in closure and "Unchanged on" in closure


def test_a_report_signed_then_edited_shows_changed_since_signed_only_in_packs_dated_after_the_edit(
    world, improvement_kinds
):
    audit = make_audit(world, make_programme(world))
    sign(world, improvement_pack.REPORT_SIGNATURE, audit)
    signed_at = timezone.now()
    update(audit, world.contributor, "Conclusion sharpened", conclusion="Conformity with one major gap in 9.2.")

    early = rendered_text(make_pack(world, kind=AuditPack.Kind.STAGE2, as_of=signed_at))
    late = rendered_text(make_pack(world, kind=AuditPack.Kind.STAGE2, as_of=timezone.now()))

    assert "Version 2 signed by leader" in early and "Unchanged on" in early and "one major gap" not in early
    assert "Changed since sign-off" not in early
    assert "one major gap in 9.2" in late and "Changed since sign-off" in late and "version 3 stands" in late
    assert "conclusion" in late[late.index("Changed after that sign-off") :][:200]


def test_a_programme_approved_after_the_date_is_not_shown_as_approved_and_its_coverage_is_as_planned_then(
    world, improvement_kinds
):
    programme = make_programme(world, status="draft", items=(("4.1", "2026-Q1"),))
    draft_at = timezone.now()
    save_child(ProgrammeItem(programme=programme, requirement=requirement("10.2"), planned_quarter="2026-Q4"),
               world.officer, "Clause 10.2 planned")  # fmt: skip
    programme = update(programme, world.officer, "Approved by the board", status="approved")
    sign(world, improvement_pack.PROGRAMME_APPROVAL, programme)
    approved_at = timezone.now()
    update(programme, world.officer, "Dropped 4.1", title="Programme 2026 (revised)")

    draft = rendered_text(make_pack(world, kind=AuditPack.Kind.STAGE1, as_of=draft_at))
    assert "No internal audit programme approved as of" in draft and "Programmes not approved" in draft
    assert "Not approved by" in draft[draft.index("Programmes not approved") :]

    approved = gather.gather_pack(make_pack(world, kind=AuditPack.Kind.STAGE1, as_of=approved_at)).parts
    assert approved["audit_programme"].reference == programme.reference
    assert "10.2" not in approved["audit_coverage_gaps"] and "4.2" in approved["audit_coverage_gaps"]
    assert approved["audit_programme"].approval.state == "current"
    text = rendered_text(make_pack(world, kind=AuditPack.Kind.STAGE1, as_of=approved_at))
    assert f"Document {programme.reference}" in text and "Version 2 approved by leader" in text
    later = gather.gather_pack(make_pack(world, kind=AuditPack.Kind.STAGE1)).parts["audit_programme"]
    assert later.approval.state == "changed" and later.title == "Programme 2026 (revised)"


def test_an_incident_shows_its_timeline_and_obligations_as_they_stood_and_hides_an_anonymous_reporter(
    world, improvement_kinds
):
    incident = make_incident(world, title="Concern about triage", anonymous=True, reporter=world.contributor)
    TimelineEntry.objects.create(incident=incident, author=world.contributor, text="I saw it twice this week.")
    obligation = add_obligation(world, incident, deadline=timezone.now() - timedelta(hours=1))
    before = timezone.now()
    TimelineEntry.objects.create(incident=incident, author=world.officer, text="Authority informed by phone.")
    obligation.submitted_on, obligation.submission_reference = timezone.now(), "MSA-2026-17"
    save_child(obligation, world.officer, "Submitted")

    early = rendered_text(make_pack(world, kind=AuditPack.Kind.STAGE2, as_of=before))
    late = rendered_text(make_pack(world, kind=AuditPack.Kind.STAGE2, as_of=timezone.now()))

    assert "I saw it twice this week." in early and "Authority informed" not in early
    assert "1 reporting obligation overdue" in early and "MSA-2026-17" not in early
    assert "Authority informed by phone." in late and "MSA-2026-17" in late and "obligation overdue" not in late
    record = late[late.index("INC-001 Concern about triage Status") :]
    assert "Anonymous" in record and "contributor" not in record.split("Reporting obligations")[0]
    assert "Anonymous I saw it twice this week." in record


def test_a_programme_activated_after_its_approval_stays_approved_as_it_stands_in_the_pack(world, improvement_kinds):
    """A move through the workflow (the status: workflow_fields) is not a change of what leadership approved."""
    programme = make_programme(world, status="draft")
    programme = update(programme, world.officer, "Approved by the board", status="approved")
    sign(world, improvement_pack.PROGRAMME_APPROVAL, programme)
    programme = update(programme, world.officer, "Cycle started", status="active")

    activated = gather.gather_pack(make_pack(world, kind=AuditPack.Kind.STAGE1)).parts["audit_programme"]
    assert activated.status == "active" and activated.approval.state == "current"

    update(programme, world.officer, "Objectives reworded", objectives="Check the AIMS works.")
    changed = gather.gather_pack(make_pack(world, kind=AuditPack.Kind.STAGE1)).parts["audit_programme"]
    assert changed.approval.state == "changed"
