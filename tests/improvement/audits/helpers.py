"""Programmes, audits and findings for the internal audit tests, written through the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from controls.catalog import ANNEX_A, CLAUSES
from controls.models import Control
from improvement.audits import finding_services, services, signoffs
from improvement.models import AuditProgramme, InternalAudit
from tests.factories import UserFactory
from tests.kit import sign_data  # noqa: F401  (re-exported for the tests)

CYCLE = {"period_start": date(2026, 1, 1), "period_end": date(2026, 12, 31)}
STATEMENT = {
    "requirement_statement": "Clause 9.2.2 asks for an audit programme.",
    "evidence_statement": "IAP-001 and the minutes of the AI board of 3 March.",
    "found_statement": "The programme was never approved by top management.",
}


def clause(key: str) -> Control:
    return Control.objects.get(framework__key=CLAUSES, key=key)


def control(key: str) -> Control:
    return Control.objects.get(framework__key=ANNEX_A, key=key)


def planner():
    """A compliance officer who is none of the personas: the four-eyes rule is tested on its own."""
    return UserFactory(username="audit_planner")


def make_programme(ms, user, *, items=None, **fields: Any) -> AuditProgramme:
    values = {"title": "Internal audit programme 2026", "objectives": "Check the AIMS conforms.", **CYCLE}
    values.update(fields)
    if items is None:
        items = [{"requirement": clause("9.2.2"), "planned_quarter": "2026-Q2"}]
    return services.programme_create(management_system=ms, user=user, items=items, **values)


def approve(programme: AuditProgramme, leader, **extra: Any):
    return services.programme_approve(
        programme,
        user=leader,
        statement="Approved.",
        verification="password",
        expected_version=programme.version,
        **extra,
    )


def approved_programme(world, **fields: Any) -> AuditProgramme:
    """An approved programme of Acme, recorded by the officer, owned by the officer, approved by the leader."""
    fields.setdefault("owner", world.officer)
    programme = make_programme(world.acme, world.officer, **fields)
    approve(programme, world.leader)
    return AuditProgramme.objects.get(pk=programme.pk)


def make_audit(world, programme=None, *, user=None, requirements=("9.2.2",), **fields: Any) -> InternalAudit:
    programme = programme or approved_programme(world)
    fields.setdefault("title", "Audit of the audit programme")
    fields.setdefault("scope_requirements", [clause(k) if k[0].isdigit() else control(k) for k in requirements])
    return services.internal_audit_create(
        management_system=programme.management_system, user=user or world.officer, programme=programme, **fields
    )


def start(audit: InternalAudit, user) -> InternalAudit:
    return services.internal_audit_start(audit, user=user, expected_version=audit.version)


def record_all(audit: InternalAudit, user, result: str = "conforming") -> InternalAudit:
    for check in audit.checks.all():
        services.check_record(check, user=user, expected_version=check.version, result=result, tested="Interviews.")
    return InternalAudit.objects.get(pk=audit.pk)


LEAD = object()


def reportable_audit(world, *, lead: Any = LEAD, **fields: Any) -> InternalAudit:
    """An audit in progress with every check recorded and a conclusion: ready for its report (the contributor leads)."""
    lead = world.contributor if lead is LEAD else lead
    audit = make_audit(world, lead_auditor=lead, conclusion="The programme conforms.", **fields)
    audit = start(audit, world.officer)
    return record_all(audit, world.officer)


def sign_report(audit: InternalAudit, user, **extra: Any):
    return services.audit_report_sign(
        audit, user=user, statement="Report signed.", verification="password", expected_version=audit.version, **extra
    )


def acknowledge(audit: InternalAudit, user, **extra: Any):
    audit = InternalAudit.objects.get(pk=audit.pk)
    return services.audit_report_acknowledge(
        audit, user=user, statement="Read.", verification="password", expected_version=audit.version, **extra
    )


def finding_fields(audit=None, finding_type="minor", **fields: Any) -> dict[str, Any]:
    values = {
        "title": "Programme not approved",
        "finding_type": finding_type,
        "source": "internal_audit" if audit else "monitoring",
        "audit": audit,
        "requirements": [clause("9.2.2")],
        **STATEMENT,
    }
    values.update(fields)
    return values


KINDS = (signoffs.PROGRAMME_APPROVAL, signoffs.REPORT, signoffs.REPORT_ACKNOWLEDGEMENT)


def api_rows(world) -> dict[str, Any]:
    """One row of each internal audit resource of the API, in Acme (for tests that walk every endpoint)."""
    audit = make_audit(world)
    finding = finding_services.finding_create(
        management_system=world.acme, user=world.officer, **finding_fields(audit=audit)
    )
    return {"audit-programmes": audit.programme, "internal-audits": audit, "findings": finding}
