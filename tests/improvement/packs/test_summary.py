"""The Stage 1 summary of the nonconformity register: by grade and source, ageing, overdue, as of the date."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from aims import services
from packs import gather
from packs.models import AuditPack
from tests.improvement.packs.helpers import (
    close_nc,
    make_action,
    make_nc,
    make_review,
    recorded_at,
)
from tests.packs.helpers import make_pack
from tests.packs.test_content import rendered_text


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def register_of_five(world) -> dict:
    """Three open NCs aged 100, 45 and 5 days, one closed now (recorded 60 days ago), one withdrawn."""
    with recorded_at(days_ago(100)):
        old_major = make_nc(world, title="Old major", grade="major", source="monitoring")
    with recorded_at(days_ago(60)):
        closed = make_nc(world, title="Closed minor", source="monitoring")
    with recorded_at(days_ago(45)):
        complaint = make_nc(world, title="Complaint minor", source="complaint")
    with recorded_at(days_ago(5)):
        recent = make_nc(world, title="Recent minor", source="monitoring")
    today = timezone.localdate()
    late = make_action(world, recent, description="Late action", due=today - timedelta(days=2))
    make_action(world, recent, description="Action due later", due=today + timedelta(days=10))
    make_action(world, recent, description="Done late but done", due=today - timedelta(days=9), status="done",
                completed=today - timedelta(days=1))  # fmt: skip
    make_review(world, complaint, result="", planned=today - timedelta(days=3), performed=None)
    close_nc(world, closed)
    withdrawn = make_nc(world, title="Raised by mistake", grade="major", source="other")
    services.register_retire(withdrawn, user=world.officer, expected_version=withdrawn.version, reason="Duplicate")
    return {"old_major": old_major, "closed": closed, "complaint": complaint, "recent": recent, "late": late}


def summary_of(world, **kw) -> dict:
    return gather.gather_pack(make_pack(world, kind=AuditPack.Kind.STAGE1, **kw)).parts["nc_summary"]


def counts(tallies) -> dict:
    return {t.label: (t.open, t.closed, t.withdrawn) for t in tallies}


def test_the_summary_counts_open_closed_and_withdrawn_ncs_by_grade_and_by_source(world):
    register_of_five(world)
    summary = summary_of(world)
    assert counts(summary["by_grade"]) == {
        "Major": (1, 0, 1),
        "Minor": (2, 1, 0),
        "All nonconformities": (3, 1, 1),
    }
    assert counts(summary["by_source"]) == {"Complaint": (1, 0, 0), "Monitoring": (2, 1, 0), "Other": (0, 0, 1)}


def test_open_ncs_are_aged_in_buckets_and_overdue_actions_and_reviews_are_listed(world):
    records = register_of_five(world)
    summary = summary_of(world)
    assert [(b.label, b.major, b.minor) for b in summary["ageing"]] == [
        ("Under 30 days", 0, 1),
        ("30 to 90 days", 0, 1),
        ("Over 90 days", 1, 0),
    ]
    assert [nc.reference for nc in summary["open"]] == [
        records["old_major"].reference,
        records["complaint"].reference,
        records["recent"].reference,
    ]
    assert [(nc.reference, action.reference) for nc, action in summary["overdue_actions"]] == [
        (records["recent"].reference, records["late"].reference)
    ]
    assert [nc.reference for nc, _review in summary["overdue_reviews"]] == [records["complaint"].reference]


def test_a_summary_dated_fifty_days_ago_counts_the_register_as_it_stood_then(world):
    register_of_five(world)
    summary = summary_of(world, as_of=days_ago(50))
    # Only the NCs recorded by then; the one closed today was still open, and nothing was overdue.
    assert counts(summary["by_grade"])["All nonconformities"] == (2, 0, 0)
    assert [(b.major, b.minor) for b in summary["ageing"]] == [(0, 1), (1, 0), (0, 0)]
    assert summary["overdue_actions"] == [] and summary["overdue_reviews"] == []


def test_the_stage_1_pdf_prints_the_counts_the_ageing_and_the_overdue_action(world):
    records = register_of_five(world)
    text = rendered_text(make_pack(world, kind=AuditPack.Kind.STAGE1))
    section = text[text.index("Nonconformity register summary", text.index("Contents") + 200) :]
    assert "3 open, 1 closed, 1 withdrawn" in section
    assert "Major 1 0 1 2" in section and "Minor 2 1 0 3" in section and "All nonconformities 3 1 1 5" in section
    assert "Under 30 days 0 1 1" in section and "30 to 90 days 0 1 1" in section and "Over 90 days 1 0 1" in section
    overdue = section[section.index("Overdue corrective actions") :]
    assert records["late"].reference in overdue and "Late action" in overdue and "overdue" in overdue
    assert "Action due later" not in overdue and "Done late but done" not in overdue
