"""The coverage matrix (9.2.2): every clause 4 to 10 by quarter of the cycle, gaps flagged, on the page too."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from django.urls import reverse

from controls.catalog import CLAUSES
from controls.models import Control
from improvement.audits import selectors
from improvement.coverage import coverage_matrix, quarter_of, quarters_between
from tests.factories import make_ai_system
from tests.improvement.audits.helpers import (
    acknowledge,
    approved_programme,
    clause,
    control,
    make_programme,
    reportable_audit,
    sign_report,
)


def test_quarters_of_a_cycle_span_years():
    assert quarter_of(date(2026, 12, 31)) == "2026-Q4"
    assert quarters_between(date(2026, 11, 1), date(2027, 4, 1)) == ["2026-Q4", "2027-Q1", "2027-Q2"]
    assert quarters_between(date(2027, 1, 1), date(2026, 1, 1)) == []


def test_every_clause_is_a_row_and_those_not_planned_are_gaps(db):
    clauses = [SimpleNamespace(pk=i, key=k, title=k, area="9") for i, k in enumerate(["9.1", "9.2.2", "10.2"], 1)]
    items = [
        SimpleNamespace(requirement=clauses[1], ai_system=None, process="", planned_quarter="2026-Q2"),
        SimpleNamespace(requirement=None, ai_system=None, process="Incident handling", planned_quarter="2026-Q3"),
        SimpleNamespace(requirement=clauses[0], ai_system=None, process="", planned_quarter="2027-Q1"),  # outside
    ]
    coverage = coverage_matrix(
        clauses=clauses,
        items=items,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        audited_requirement_ids=[3],
    )
    assert [row.key for row in coverage.gaps] == ["clause:9.1"]  # planned outside the cycle only
    assert coverage.outside_cycle == 1 and coverage.covered_clauses == 2
    table = {row.key: counts for row, counts in coverage.table}
    assert table["clause:9.2.2"] == [0, 1, 0, 0] and table["process:Incident handling"] == [0, 0, 1, 0]
    assert table["clause:10.2"] == [0, 0, 0, 0] and not next(r for r in coverage.rows if r.key == "clause:10.2").gap


def test_the_programme_s_coverage_has_every_clause_and_flags_gaps(world):
    system = make_ai_system(world.acme, user=world.officer)
    programme = make_programme(
        world.acme,
        world.officer,
        items=[
            {"requirement": clause("9.2.2"), "planned_quarter": "2026-Q2"},
            {"requirement": control("A.6.2.8"), "planned_quarter": "2026-Q3"},
            {"ai_system": system, "planned_quarter": "2026-Q4"},
        ],
    )
    coverage = selectors.coverage_of(programme)
    clauses = Control.objects.filter(framework__key=CLAUSES).count()
    assert len(coverage.clause_rows) == clauses
    assert len(coverage.gaps) == clauses - 1
    kinds = [row.kind for row in coverage.rows]
    assert kinds == ["clause"] * clauses + ["control", "system"]


def test_a_reported_audit_covers_the_clauses_in_its_scope(world):
    programme = approved_programme(world)
    audit = reportable_audit(world, programme=programme, requirements=("9.2.2", "10.2"))
    assert any(row.key == "clause:10.2" for row in selectors.coverage_of(programme).gaps)
    sign_report(audit, world.contributor)
    acknowledge(audit, world.leader)
    coverage = selectors.coverage_of(programme)
    row = next(r for r in coverage.rows if r.key == "clause:10.2")
    assert row.audited and not row.gap


def test_the_coverage_page_shows_the_quarters_and_flags_each_gap(world, client_as):
    programme = make_programme(world.acme, world.officer)
    page = client_as("auditor").get(reverse("improvement:programme_coverage", args=[world.acme.pk, programme.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    for quarter in ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"):
        assert f">{quarter}</th>" in body
    assert body.count("coverage-matrix__row--gap") == Control.objects.filter(framework__key=CLAUSES).count() - 1
    assert "4.1 Understanding the organization and its context" in body


def test_a_programme_without_a_period_has_no_matrix_yet(world, client_as):
    programme = make_programme(world.acme, world.officer, period_start=None, period_end=None)
    assert selectors.coverage_of(programme) is None
    page = client_as("auditor").get(reverse("improvement:programme_coverage", args=[world.acme.pk, programme.pk]))
    assert "Set the cycle's period" in page.content.decode()
