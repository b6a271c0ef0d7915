"""Improvement-loop records for the pack tests, written as the application writes them (history, user, reason).

Only ``nonconformity_create`` exists as a service of the improvement families here; every
other record is written with the kit's ``register_create``/``register_update`` and, for child
rows, a save with the history user and change reason, as the services do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from unittest import mock

from django.utils import timezone

from aims import ledger, services
from controls.models import Control
from improvement.models import (
    AuditCheck,
    AuditProgramme,
    CorrectiveAction,
    EffectivenessReview,
    Finding,
    Incident,
    InternalAudit,
    Nonconformity,
    ProgrammeItem,
    ReportingObligation,
    TimelineEntry,
)
from improvement.nonconformities.services import nonconformity_create

CLAUSES = "iso42001-2023-clauses"
ANNEX_A = "iso42001-2023-annex-a"


def requirement(key: str) -> Control:
    framework = ANNEX_A if key.startswith("A.") else CLAUSES
    return Control.objects.get(framework__key=framework, key=key)


@contextmanager
def recorded_at(moment: datetime) -> Iterator[None]:
    """Write records as if at ``moment``: their creation time and history dates say so."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def save_child(child: Any, user: Any, reason: str) -> Any:
    """Write a child row (planned item, check, review, obligation) with its history user and reason."""
    child._history_user = user
    child._change_reason = reason
    child.full_clean()
    child.save()
    return child


def update(record: Any, user: Any, reason: str, **fields: Any) -> Any:
    record.refresh_from_db()
    return services.register_update(record, user=user, expected_version=record.version, reason=reason, **fields)


# --- internal audits ------------------------------------------------------------------------------


def make_programme(world, *, title="Internal audit programme 2026", items=(("9.2.2", "2026-Q1"),), status="approved",
                   start=date(2026, 1, 1), end=date(2026, 12, 31)) -> AuditProgramme:  # fmt: skip
    programme = services.register_create(
        AuditProgramme, management_system=world.acme, user=world.officer, title=title, period_start=start,
        period_end=end, objectives="Confirm the AIMS conforms and works.", criteria="ISO/IEC 42001 and our procedures.",
        method="Interviews and record sampling.", frequency_rationale="Yearly; high-risk systems twice.",
        owner=world.officer, reporting_line="AI governance board",
    )  # fmt: skip
    for key, quarter in items:
        subject = {"process": key} if key.startswith("process:") else {"requirement": requirement(key)}
        if "process" in subject:
            subject["process"] = key.removeprefix("process:")
        save_child(ProgrammeItem(programme=programme, planned_quarter=quarter, **subject), world.officer, "Planned")
    if status != "draft":
        programme = update(programme, world.officer, "Approved", status=status)
    return programme


def make_audit(world, programme, *, title="Internal audit of clauses 6 and 9", scope=("6.1.2", "9.2.2"),
               checks=(("6.1.2", "conforming"), ("9.2.2", "nonconformity")), status="reported",
               conclusion="The AIMS conforms except for the audit programme's coverage.", **fields) -> InternalAudit:  # fmt: skip
    audit = services.register_create(
        InternalAudit, management_system=world.acme, user=world.officer, title=title, programme=programme,
        lead_auditor=world.contributor, planned_start=date(2026, 2, 2), planned_end=date(2026, 2, 6),
        actual_start=date(2026, 2, 3), actual_end=date(2026, 2, 5), criteria="ISO/IEC 42001 clauses 6 and 9.",
        sampling_note="Three risks, the programme.", conclusion=conclusion,
        m2m={"scope_requirements": [requirement(k) for k in scope], "team": [world.officer]}, **fields,
    )  # fmt: skip
    for key, result in checks:
        check = AuditCheck(audit=audit, requirement=requirement(key), tested=f"Records of {key}", sample="RISK-001",
                           result=result)  # fmt: skip
        save_child(check, world.contributor, "Checked")
    if status != "planned":
        audit = update(audit, world.contributor, "Report written", status=status)
    return audit


def make_finding(world, audit, *, title="Clause 10 not in the programme", finding_type="minor",
                 keys=("9.2.2",)) -> Finding:  # fmt: skip
    nc = None
    if finding_type in Finding.NONCONFORMING:
        nc = make_nc(world, title=title, grade=finding_type, source="finding", keys=keys)
    finding = services.register_create(
        Finding, management_system=world.acme, user=world.contributor, title=title, finding_type=finding_type,
        audit=audit, requirement_statement="The programme covers every clause.",
        evidence_statement="Programme IAP-001 as approved.", found_statement="Clause 10 is planned in no quarter.",
        m2m={"requirements": [requirement(k) for k in keys]},
    )  # fmt: skip
    if nc is not None:
        finding.nonconformity = nc
        finding._history_user, finding._change_reason = world.contributor, "Nonconformity raised"
        finding.save()
    return finding


# --- nonconformities ------------------------------------------------------------------------------


def make_nc(world, *, title="Impact assessment missing for a live system", grade="minor", source="monitoring",
            keys=("8.4",), **fields) -> Nonconformity:  # fmt: skip
    return nonconformity_create(
        management_system=world.acme, user=world.officer, title=title, grade=grade, source=source,
        requirements=[requirement(k) for k in keys], owner=world.officer,
        nature=fields.pop("nature", "A system in operation has no approved impact assessment."), **fields,
    )  # fmt: skip


def make_action(world, nc, *, description="Assess the system's impact", due=None, status="planned",
                completed=None) -> CorrectiveAction:  # fmt: skip
    return services.register_create(
        CorrectiveAction, management_system=world.acme, user=world.officer, nonconformity=nc,
        description=description, owner=world.contributor, due_date=due, status=status, completed_on=completed,
    )  # fmt: skip


def make_review(world, nc, *, result="effective", planned=date(2026, 3, 1), performed=date(2026, 3, 2),
                iteration=1) -> EffectivenessReview:  # fmt: skip
    review = EffectivenessReview(
        nonconformity=nc, iteration=iteration, method="Sample the next three releases.", planned_on=planned,
        performed_on=performed, reviewer=world.auditor, result=result,
    )  # fmt: skip
    return save_child(review, world.officer, "Reviewed")


def close_nc(world, nc) -> Nonconformity:
    return update(nc, world.officer, "Closed: the corrective action was effective", state="closed",
                  closed_at=timezone.now())  # fmt: skip


# --- incidents ------------------------------------------------------------------------------------


def make_incident(world, *, title="Chatbot gave a wrong dosage", **fields) -> Incident:
    defaults = {
        "reporter": world.contributor, "description": "The assistant answered with an adult dosage for a child.",
        "severity": "high", "incident_type": "safety", "channel": "staff_concern", "owner": world.officer,
        "harm": "None: the nurse caught it.",
    }  # fmt: skip
    incident = services.register_create(
        Incident, management_system=world.acme, user=world.officer, title=title, **{**defaults, **fields}
    )
    TimelineEntry.objects.create(incident=incident, author=world.officer, text="Reported through the concern form.")
    return incident


def add_obligation(world, incident, *, deadline, regime="eu-ai-act-73", title="EU AI Act serious incident report",
                   **fields) -> ReportingObligation:  # fmt: skip
    obligation = ReportingObligation(incident=incident, regime=regime, regime_title=title,
                                     authority="Market surveillance authority", deadline=deadline, **fields)  # fmt: skip
    return save_child(obligation, world.officer, "Obligation computed")


# --- sign-offs ------------------------------------------------------------------------------------


def sign(world, kind: str, subject: Any, *, user=None, statement="Signed.") -> Any:
    subject.refresh_from_db()
    return ledger.sign_off(kind=kind, subject=subject, user=user or world.leader, statement=statement,
                           verification="password")  # fmt: skip


# --- a register with everything ------------------------------------------------------------------


def improvement_loop(world, *, signed: bool = True) -> dict[str, Any]:
    """An approved programme, a reported and signed audit with findings, NCs in several states, two incidents.

    With ``signed`` the programme's approval, the report, a closure and a reporting decision are signed
    (the sign-off kinds must be registered: the ``improvement_kinds`` fixture).
    """
    from datetime import timedelta

    from improvement import pack

    def sign_if(kind: str, subject: Any) -> None:
        if signed:
            sign(world, kind, subject)

    programme = make_programme(world, items=(("4.1", "2026-Q1"), ("6.1.2", "2026-Q1"), ("9.2.2", "2026-Q2"),
                                             ("A.6.2.8", "2026-Q3"), ("process:Incident handling", "2026-Q4")))  # fmt: skip
    sign_if(pack.PROGRAMME_APPROVAL, programme)
    audit = make_audit(world, programme)
    major = make_finding(world, audit, title="No audit of clause 10 planned", finding_type="major")
    make_finding(world, audit, title="Audit evidence filed late", finding_type="observation")
    sign_if(pack.REPORT_SIGNATURE, audit)
    make_audit(world, programme, title="Audit of operation (clause 8)", scope=("8.2", "8.4"), checks=(("8.2", ""),),
               status="planned", conclusion="", independence_override="The only auditor trained on clause 8 owns RISK-002.")  # fmt: skip
    overdue = make_nc(world, title="Supplier agreement lacks AI terms", grade="minor", source="management_review",
                      keys=("A.10.3",), root_cause="No AI clause in the procurement template.")  # fmt: skip
    make_action(
        world, overdue, description="Add AI terms to the template", due=timezone.localdate() - timedelta(days=5)
    )
    closed = make_nc(world, title="Event logs not retained", source="monitoring", keys=("A.6.2.8",),
                     root_cause="Log rotation kept 7 days.", correction="Rotation set to 400 days.")  # fmt: skip
    make_action(world, closed, description="Change the retention", status="done", completed=date(2026, 2, 1))
    make_review(world, closed, result="not_effective", iteration=1)
    make_review(world, closed, result="effective", iteration=2, planned=date(2026, 4, 1), performed=date(2026, 4, 2))
    close_nc(world, closed)
    sign_if(pack.NC_CLOSURE, closed)
    concern = make_incident(world, title="Staff concern about triage bias", severity="medium",
                            incident_type="fairness_harm", anonymous=True)  # fmt: skip
    serious = make_incident(world, title="Wrong dosage advice", possibly_serious=True, channel="complaint",
                            people_affected=1)  # fmt: skip
    add_obligation(world, serious, deadline=timezone.now() - timedelta(days=1))
    add_obligation(world, serious, regime="gdpr-33", title="GDPR breach notification",
                   deadline=timezone.now() + timedelta(days=2), waived_reason="No personal data breach.")  # fmt: skip
    serious = update(serious, world.officer, "Decided", report_decision="report",
                     report_decision_reason="A child could have been harmed.", outcome="nonconformity")  # fmt: skip
    sign_if(pack.REPORTING_DECISION, serious)
    return {"programme": programme, "audit": audit, "major": major, "overdue": overdue, "closed": closed,
            "concern": concern, "serious": serious}  # fmt: skip
