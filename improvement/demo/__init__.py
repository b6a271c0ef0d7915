"""Demo improvement loop for Acme Health: an internal audit programme and a reported audit,
its findings and the nonconformities they raised, corrective actions and effectiveness
reviews (one "not effective" before an effective one), and two AI incidents.

``load(demo)`` runs after the risks, impact assessments and SoA demo (``hooks`` order). It is
idempotent: once the demo programme exists, it does nothing. Everything goes through the
services, so history, sign-offs and the ledger are what a real user's work would leave.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from aims import mfa
from aims.demo import Demo
from assessments.models import Risk
from controls.catalog import ANNEX_A, CLAUSES
from controls.models import Control
from improvement.audits import finding_services
from improvement.audits import services as audits
from improvement.incidents import services as incidents
from improvement.models import AuditCheck, AuditProgramme, Finding, Incident, Nonconformity
from improvement.nonconformities import services as ncs
from registers.models import AISystem

CHATBOT, TRIAGE, XRAY = "Patient FAQ chatbot", "Patient message triage", "Radiology worklist prioritisation"
# The clauses the first audit of the cycle covers (the rest are planned in later quarters).
AUDIT_SCOPE = ["6.1.4", "8.2", "8.4", "9.1", "A.5.2", "A.5.3", "A.6.2.6"]
# A clause deliberately left out of the plan, so the coverage matrix shows what a gap looks like.
UNPLANNED = "7.4"


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def load(demo: Demo) -> None:
    ms, users = demo.acme, demo.acme_users
    if AuditProgramme.objects.filter(management_system=ms).exists():
        return
    today = timezone.localdate()
    controls = {c.key: c for c in Control.objects.filter(framework__key__in=[ANNEX_A, CLAUSES])}
    systems = {s.name: s for s in AISystem.objects.filter(management_system=ms)}
    programme = _programme(ms, users, controls, today)
    audit, finding = _audit(ms, users, programme, controls, systems, today)
    _open_nc_with_overdue_action(finding.nonconformity, users, today)
    _closed_nc_after_second_review(ms, users, controls, systems, today)
    _incidents(ms, users, controls, systems, today)
    demo.created += [programme.reference, audit.reference]


def _programme(ms, users: dict, controls: dict, today: date) -> AuditProgramme:
    start = date(today.year, 1, 1)
    quarters = [f"{today.year}-Q{q}" for q in range(1, 5)]
    clauses = [c for c in controls.values() if c.framework.key == CLAUSES and c.key != UNPLANNED]
    items: list[dict[str, Any]] = []
    for index, clause in enumerate(sorted(clauses, key=lambda c: c.position)):
        quarter = _quarter(today) if clause.key in AUDIT_SCOPE else quarters[index % 4]
        items.append({"requirement": clause, "planned_quarter": quarter})
    for key in ("A.5.2", "A.5.3", "A.6.2.6", "A.8.4"):
        items.append({"requirement": controls[key], "planned_quarter": _quarter(today)})
    items.append({"process": "Supplier AI due diligence (A.10)", "planned_quarter": quarters[3]})
    programme = audits.programme_create(
        management_system=ms,
        user=users["officer"],
        reason="Internal audit programme for the first certification cycle",
        items=items,
        title=f"Internal audit programme {today.year}",
        period_start=start,
        period_end=date(today.year, 12, 31),
        objectives="Confirm that the AI management system conforms to ISO/IEC 42001 and to the Trust's own "
        "AI procedures, and is effectively implemented, before the Stage 2 certification audit.",
        criteria="ISO/IEC 42001:2023 clauses 4 to 10 and the Annex A controls included in the SoA; the Trust's "
        "AI policy and procedures.",
        method="Interviews, walk-throughs of the registers and sampling of records (at least three per "
        "requirement where available); remote where the evidence is in the register.",
        frequency_rationale="Every clause once in the cycle; impact assessment and operation of AI systems (8.2 to "
        "8.4) first and again in Q4, because the chatbot went live this year and two systems changed models.",
        owner=users["officer"],
        reporting_line="AI governance board, chaired by the Chief Executive",
    )
    audits.programme_approve(
        programme,
        user=users["leader"],
        statement="Approved as the internal audit programme of the cycle, with its frequency and reporting line.",
        verification=mfa.DEMO,
    )
    return audits.programme_activate(programme, user=users["officer"], expected_version=None, reason="Cycle started")


def _audit(ms, users: dict, programme: AuditProgramme, controls: dict, systems: dict, today: date):
    scope = [controls[key] for key in AUDIT_SCOPE]
    audit = audits.internal_audit_create(
        management_system=ms,
        user=users["officer"],
        reason="First internal audit of the cycle planned",
        independence_override="The Trust has two trained internal auditors and both own records in scope (treatment "
        "actions, a system, corrective actions). Their own records were sampled and judged by the compliance officer, "
        "and the external auditor contracted for the next cycle takes over this scope.",
        title="Impact assessment and operation of AI systems",
        programme=programme,
        scope_requirements=scope,
        scope_ai_systems=[systems[name] for name in (CHATBOT, TRIAGE, XRAY) if name in systems],
        criteria="ISO/IEC 42001 6.1.4, 8.2, 8.4, 9.1 and A.5.2, A.5.3, A.6.2.6; the Trust's impact assessment "
        "procedure.",
        lead_auditor=users["owner"],
        team=[users["contributor"]],
        planned_start=today - timedelta(days=21),
        planned_end=today - timedelta(days=14),
        actual_start=today - timedelta(days=20),
        actual_end=today - timedelta(days=15),
        sampling_note="Every AI system in operation or deployment; three risks and two impact assessments per "
        "system; the monitoring records of the last quarter.",
    )
    audit = audits.internal_audit_start(
        audit, user=users["owner"], expected_version=None, reason="Opening meeting held"
    )
    results = {"6.1.4": "nonconformity", "8.4": "nonconformity", "9.1": "observation"}
    for check in AuditCheck.objects.filter(audit=audit).select_related("requirement"):
        key = check.requirement.key
        audits.check_record(
            check,
            user=users["owner"],
            expected_version=None,
            tested=f"Walk-through of the records for {key} with their owners.",
            sample="AIS-001, AIS-002, AIS-005; RISK-001, RISK-004; IA-001, IA-002",
            result=results.get(key, AuditCheck.Result.CONFORMING),
        )
    finding = finding_services.finding_create(
        management_system=ms,
        user=users["owner"],
        reason="Recorded at the closing meeting",
        title="Patient FAQ chatbot deployed without an approved impact assessment",
        finding_type=Finding.Type.MINOR,
        audit=audit,
        requirements=[controls["6.1.4"], controls["8.4"], controls["A.5.2"]],
        ai_systems=[systems[CHATBOT]] if CHATBOT in systems else [],
        requirement_statement="AI system impact assessments are performed and their results retained before an AI "
        "system is deployed, and again when it changes (6.1.4, 8.4, A.5.2).",
        evidence_statement="AI system register entry AIS-005 (deployment stage) and the impact assessment register.",
        found_statement="The chatbot is in deployment for patients, but its impact assessment is a draft that "
        "leadership has not approved.",
    )
    finding_services.finding_create(
        management_system=ms,
        user=users["owner"],
        reason="Recorded at the closing meeting",
        title="Monitoring results are not yet reviewed on a fixed schedule",
        finding_type=Finding.Type.OBSERVATION,
        audit=audit,
        requirements=[controls["9.1"]],
        requirement_statement="The organisation determines when monitoring results are analysed and evaluated (9.1).",
        evidence_statement="Monitoring dashboards of the triage and worklist systems; minutes of the AI board.",
        found_statement="Results are looked at when someone asks; no schedule is written down.",
    )
    audit = audits.internal_audit_update(
        audit,
        user=users["owner"],
        expected_version=None,
        reason="Conclusion written",
        conclusion="The management system is largely implemented. One minor nonconformity: a patient-facing "
        "system went into deployment before its impact assessment was approved. One observation on "
        "monitoring. Recommended for Stage 2 once the nonconformity's correction is in place.",
    )
    audits.audit_report_sign(
        audit,
        user=users["owner"],
        statement="I sign this internal audit report as its lead auditor.",
        verification=mfa.DEMO,
        override_reason="The lead auditor wrote the conclusion and signs the report as its author.",
    )
    audits.audit_report_acknowledge(
        audit,
        user=users["leader"],
        statement="Report received and accepted by the AI governance board.",
        verification=mfa.DEMO,
    )
    finding.refresh_from_db()
    return audit, finding


def _open_nc_with_overdue_action(nc: Nonconformity, users: dict, today: date) -> None:
    """The finding's NC: contained and analysed, one action done and one overdue."""
    officer = users["officer"]
    nc = ncs.nonconformity_update(
        nc,
        user=officer,
        expected_version=None,
        reason="Correction and root cause recorded",
        owner=officer,
        correction="The chatbot was limited to staff testers until its impact assessment is approved.",
        containment="Patient access switched off on the public website; the link replaced by the FAQ page.",
        root_cause_method=Nonconformity.RootCauseMethod.FIVE_WHYS,
        root_cause="The deployment checklist does not ask for the impact assessment's approval: the release went "
        "ahead on the project board's sign-off alone.",
        similar_cases="Checked the other five systems: none else was deployed without an approved assessment.",
    )
    nc = ncs.nonconformity_transition(nc, user=officer, to="contained", reason="Patient access switched off")
    nc = ncs.nonconformity_transition(nc, user=officer, to="analysed", reason="Five whys with the project team")
    ncs.corrective_action_create(
        nc,
        user=officer,
        description="Add 'impact assessment approved' as a blocking item of the deployment checklist.",
        owner=officer,
        due_date=today - timedelta(days=5),
        status="done",
        completed_on=today - timedelta(days=6),
    )
    ncs.corrective_action_create(
        nc,
        user=officer,
        description="Complete and approve the chatbot's impact assessment.",
        owner=users["contributor"],
        due_date=today - timedelta(days=3),
        status="in_progress",
    )
    ncs.nonconformity_transition(nc, user=officer, to="actions_planned", reason="Two actions agreed with the owners")


def _closed_nc_after_second_review(ms, users: dict, controls: dict, systems: dict, today: date) -> None:
    """A monitoring NC: the first action was not effective, the second was, and leadership closed it."""
    officer, contributor = users["officer"], users["contributor"]
    nc = ncs.nonconformity_create(
        management_system=ms,
        user=officer,
        reason="Raised from monitoring",
        title="Triage drift alerts left unanswered for three weeks",
        source=Nonconformity.Source.MONITORING,
        source_detail="Weekly drift report of the triage model",
        grade=Nonconformity.Grade.MAJOR,
        requirements=[controls["9.1"], controls["A.6.2.6"]],
        ai_systems=[systems[TRIAGE]] if TRIAGE in systems else [],
        owner=officer,
        nature="Drift alerts of the message triage model went to a shared mailbox nobody read; the model ran "
        "three weeks outside its validated range (A.6.2.6, 9.1).",
        correction="The alerts were read, the model's threshold reset, and the affected messages re-triaged by nurses.",
        containment="Low-confidence messages routed to a nurse until the model was revalidated.",
        root_cause_method=Nonconformity.RootCauseMethod.FISHBONE,
        root_cause="No named owner for the alerts; the mailbox was set up during the project and never handed over.",
        risks_reassessed=list(Risk.objects.filter(management_system=ms, ai_systems__name=TRIAGE).order_by("pk")[:1]),
        document_changes="On-call handbook, version 3: drift alerts, who answers them and within what time.",
        training_given="On-call data scientists briefed on drift alerts at the team meeting.",
    )
    nc = ncs.nonconformity_transition(nc, user=officer, to="contained", reason="Messages re-triaged by nurses")
    nc = ncs.nonconformity_transition(nc, user=officer, to="analysed", reason="Root cause agreed with the team")
    first = ncs.corrective_action_create(
        nc,
        user=officer,
        description="Forward the drift alerts to the on-call data scientist.",
        owner=contributor,
        due_date=today - timedelta(days=60),
    )
    nc = ncs.nonconformity_transition(nc, user=officer, to="actions_planned", reason="Action agreed")
    ncs.corrective_action_update(
        first, user=contributor, expected_version=None, reason="Forwarding rule live", status="done",
        completed_on=today - timedelta(days=62),
    )  # fmt: skip
    nc = ncs.nonconformity_transition(nc, user=officer, to="actions_done", reason="The only action is done")
    review = ncs.review_plan(
        nc, user=officer, method="Check every alert of the following four weeks was answered within a day.",
        planned_on=today - timedelta(days=30), reviewer=officer,
    )  # fmt: skip
    nc = ncs.review_perform(
        review,
        user=officer,
        result="not_effective",
        performed_on=today - timedelta(days=30),
        notes="Two alerts out of five were not answered: the on-call rota did not include the forwarding address.",
    )
    nc = ncs.nonconformity_update(
        nc,
        user=officer,
        expected_version=None,
        reason="Second analysis",
        root_cause="Alerts had a recipient but no duty: the on-call rota and its handover did not mention them.",
    )
    second = ncs.corrective_action_create(
        nc,
        user=officer,
        description="Put drift alerts in the on-call rota's duties, with a one-day response target on the dashboard.",
        owner=contributor,
        due_date=today - timedelta(days=20),
    )
    nc = ncs.nonconformity_transition(nc, user=officer, to="actions_planned", reason="Second action agreed")
    ncs.corrective_action_update(
        second, user=contributor, expected_version=None, reason="Rota updated", status="done",
        completed_on=today - timedelta(days=21),
    )  # fmt: skip
    nc = ncs.nonconformity_transition(nc, user=officer, to="actions_done", reason="Action done")
    review = ncs.review_plan(
        nc, user=officer, method="Response times of every drift alert over four weeks.",
        planned_on=today - timedelta(days=2), reviewer=officer,
    )  # fmt: skip
    nc = ncs.review_perform(
        review,
        user=officer,
        result="effective",
        performed_on=today - timedelta(days=2),
        notes="All nine alerts of the period answered within a day.",
    )
    ncs.nonconformity_close(
        nc,
        user=users["leader"],
        expected_version=None,
        statement="Closed: the corrective action was verified effective.",
        verification=mfa.DEMO,
    )


def _incidents(ms, users: dict, controls: dict, systems: dict, today: date) -> None:
    now = timezone.now()
    concern = incidents.concern_raise(
        management_system=ms,
        user=users["contributor"],
        title="Chatbot gave a patient the wrong clinic opening hours",
        description="A patient told reception the chatbot said the Hillcrest clinic opens at 7:00; it opens at 8:30.",
        ai_systems=[systems[CHATBOT]] if CHATBOT in systems else [],
        occurred_at=now - timedelta(days=9),
    )
    risk = Risk.objects.filter(management_system=ms, ai_systems__name=CHATBOT).order_by("pk").first()
    incidents.incident_triage(
        concern,
        user=users["officer"],
        expected_version=None,
        outcome=Incident.Outcome.RISK if risk else Incident.Outcome.NONE,
        risk=risk,
        reason="The chatbot answers from an outdated page: the risk of outdated answers is reassessed."
        if risk
        else "Outdated page corrected; no further action.",
    )
    serious = incidents.incident_create(
        management_system=ms,
        user=users["officer"],
        reason="Reported by the radiology service lead",
        title="Urgent chest X-ray placed low on the worklist",
        description="An urgent chest X-ray was ranked 41st on the worklist overnight; it was read nine hours later "
        "than the target. The patient's treatment was delayed.",
        ai_systems=[systems[XRAY]] if XRAY in systems else [],
        occurred_at=now - timedelta(days=4, hours=6),
        detected_at=now - timedelta(days=4),
        channel=Incident.Channel.MONITORING_ALERT,
        incident_type=Incident.Type.MALFUNCTION,
        severity=Incident.Severity.HIGH,
        possibly_serious=True,
        people_affected=1,
        harm="Delayed diagnosis for one patient; no lasting harm found so far.",
        user_communication="The patient and their consultant were told the next morning (duty of candour).",
        owner=users["officer"],
    )
    incidents.timeline_append(
        serious, user=users["officer"], text="Worklist model rolled back to the previous version.",
        at=now - timedelta(days=3, hours=20),
    )  # fmt: skip
    serious = incidents.incident_triage(
        serious,
        user=users["officer"],
        expected_version=None,
        outcome=Incident.Outcome.NONCONFORMITY,
        reason="The model update was deployed without the regression test on urgent cases.",
        requirements=[controls["8.1"], controls["A.6.2.5"]],
        nc_title="Worklist model update deployed without its regression test on urgent cases",
        nc_grade=Nonconformity.Grade.MAJOR,
    )
    incidents.incident_decide_reporting(
        serious,
        user=users["leader"],
        expected_version=None,
        decision="report",
        reason="A high-risk system may have contributed to a delay in care: reported as a precaution while the "
        "investigation continues.",
        statement="I decide that this incident is reported to the market surveillance authority.",
        verification=mfa.DEMO,
    )
