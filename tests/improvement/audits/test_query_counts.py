"""Lists, detail pages and the coverage matrix use as many queries for few rows as for many."""

from __future__ import annotations

from itertools import count

from django.urls import reverse

from improvement.audits import finding_services, services
from tests.factories import make_ai_system
from tests.improvement.audits.helpers import (
    approve,
    clause,
    control,
    finding_fields,
    make_audit,
    make_programme,
    record_all,
    sign_report,
    start,
)
from tests.kit import assert_constant_queries, get_ok

serial = count(1)


def add_programmes(world, n: int) -> None:
    for _ in range(n):
        i = next(serial)
        programme = make_programme(
            world.acme,
            world.officer,
            title=f"Programme {i}",
            owner=world.officer,
            items=[
                {"requirement": clause("9.2.2"), "planned_quarter": "2026-Q1"},
                {"requirement": control("A.6.2.8"), "planned_quarter": "2026-Q2"},
            ],
        )
        if i % 2:
            approve(programme, world.leader)


def add_audits(world, programme, n: int) -> None:
    system = make_ai_system(world.acme, user=world.officer, name=f"System {next(serial)}")
    for _ in range(n):
        i = next(serial)
        audit = make_audit(
            world, programme, title=f"Audit {i}", requirements=("9.2.2", "10.2", "A.6.2.8"),
            lead_auditor=world.contributor, team=[world.officer], scope_ai_systems=[system], conclusion="Fine.",
        )  # fmt: skip
        audit = record_all(start(audit, world.officer), world.officer)
        finding_services.finding_create(management_system=world.acme, user=world.officer, **finding_fields(audit=audit))
        if i % 2:
            sign_report(type(audit).objects.get(pk=audit.pk), world.contributor)


def add_findings(world, n: int) -> None:
    system = make_ai_system(world.acme, user=world.officer, name=f"Findings system {next(serial)}")
    for _ in range(n):
        i = next(serial)
        finding_type = "minor" if i % 2 else "observation"
        finding_services.finding_create(
            management_system=world.acme, user=world.officer,
            **finding_fields(title=f"Finding {i}", finding_type=finding_type, ai_systems=[system],
                             requirements=[clause("9.2.2"), control("A.6.2.8")]),
        )  # fmt: skip


def test_programme_list_page_and_api_queries_do_not_grow(world, client_as):
    add_programmes(world, 2)
    urls = [reverse("improvement:programme_list", args=[world.acme.pk]), "/api/v1/audit-programmes/"]
    client = client_as("auditor")
    assert_constant_queries({url: get_ok(client, url) for url in urls}, lambda: add_programmes(world, 5))


def test_audit_list_page_and_api_queries_do_not_grow(world, client_as):
    programme = make_programme(world.acme, world.officer, owner=world.officer)
    approve(programme, world.leader)
    add_audits(world, programme, 2)
    urls = [reverse("improvement:audit_list", args=[world.acme.pk]), "/api/v1/internal-audits/"]
    client = client_as("auditor")
    assert_constant_queries({url: get_ok(client, url) for url in urls}, lambda: add_audits(world, programme, 4))


def test_finding_list_page_and_api_queries_do_not_grow(world, client_as):
    add_findings(world, 2)
    urls = [reverse("improvement:finding_list", args=[world.acme.pk]), "/api/v1/findings/"]
    client = client_as("auditor")
    assert_constant_queries({url: get_ok(client, url) for url in urls}, lambda: add_findings(world, 6))


def test_the_coverage_matrix_queries_do_not_grow_with_items_or_audits(world, client_as):
    programme = make_programme(world.acme, world.officer, owner=world.officer)
    approve(programme, world.leader)
    add_audits(world, programme, 1)

    def grow() -> None:
        services.programme_update(
            programme,
            user=world.officer,
            expected_version=None,
            items=[
                {"requirement": clause(key), "planned_quarter": quarter}
                for key in ("4.1", "5.2", "6.1.2", "9.2.2", "10.2")
                for quarter in ("2026-Q1", "2026-Q3")
            ]
            + [
                {
                    "ai_system": make_ai_system(world.acme, user=world.officer, name="Planned"),
                    "planned_quarter": "2026-Q4",
                }
            ]
            + [{"process": "Supplier review", "planned_quarter": "2026-Q2"}],
        )
        add_audits(world, programme, 3)

    client = client_as("auditor")
    urls = [
        reverse("improvement:programme_coverage", args=[world.acme.pk, programme.pk]),
        f"/api/v1/audit-programmes/{programme.pk}/coverage/",
    ]
    assert_constant_queries({url: get_ok(client, url) for url in urls}, grow)


def test_the_audit_page_and_report_queries_do_not_grow_with_checks_and_findings(world, client_as):
    programme = make_programme(world.acme, world.officer, owner=world.officer)
    approve(programme, world.leader)
    audit = make_audit(world, programme, lead_auditor=world.contributor, requirements=("9.2.2",), conclusion="C")
    audit = record_all(start(audit, world.officer), world.officer)

    def grow() -> None:
        current = type(audit).objects.get(pk=audit.pk)
        current = services.internal_audit_update(
            current, user=world.officer, expected_version=current.version,
            scope_requirements=[clause(k) for k in ("9.2.2", "9.1", "10.2", "7.2")] + [control("A.6.2.8")],
        )  # fmt: skip
        for _ in range(3):
            finding_services.finding_create(
                management_system=world.acme, user=world.officer, **finding_fields(audit=current)
            )

    client = client_as("auditor")
    urls = [
        reverse("improvement:audit_detail", args=[world.acme.pk, audit.pk]),
        reverse("improvement:audit_report", args=[world.acme.pk, audit.pk]),
    ]
    assert_constant_queries({url: get_ok(client, url) for url in urls}, grow)
