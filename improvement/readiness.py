"""What the improvement app contributes to the readiness checks (``aims.readiness``).

An internal audit programme approved and unchanged since, internal audits reported in the last
twelve months that together cover every clause 4 to 10 (9.2); no overdue nonconformity (10.2);
improvement shown (10.1); incidents' reporting obligations met (A.8.4).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse

from aims.readiness import (
    ADVICE,
    BLOCKER,
    STAGE2_RISK,
    Finding,
    ReadinessContext,
    latest_sign_offs,
    references,
    register_readiness_check,
)
from controls.catalog import CLAUSES
from controls.models import Control
from improvement.audits.signoffs import PROGRAMME_APPROVAL, REPORT, annotate_signed
from improvement.models import (
    AuditProgramme,
    CorrectiveAction,
    EffectivenessReview,
    Incident,
    InternalAudit,
    Nonconformity,
    ReportingObligation,
)
from improvement.models import (
    Finding as AuditFinding,
)

YEAR = timedelta(days=365)


def _url(name: str, record: Any) -> str:
    return reverse(f"improvement:{name}", args=[record.management_system_id, record.pk])


def _list_url(name: str) -> Any:
    return lambda ms_id: reverse(f"improvement:{name}", args=[ms_id])


def check_programme(ctx: ReadinessContext) -> list[Finding]:
    programmes = list(
        AuditProgramme.objects.filter(management_system_id=ctx.ms_id, retired_at__isnull=True)
        .exclude(status=AuditProgramme.Status.CLOSED)
        .order_by("-period_start", "-pk")
    )
    if not programmes:
        return [Finding("No internal audit programme is recorded (or every one is closed).")]
    annotate_signed(programmes, PROGRAMME_APPROVAL)
    findings = []
    for programme in programmes:
        if programme.latest_sign_off is not None and not programme.changed_since_signed:
            if programme.period_end is None or programme.period_end >= ctx.today:
                return []
            findings.append(Finding(f"{programme.reference} {programme.title}: its cycle ended on "
                                    f"{programme.period_end:%d %b %Y}; plan and approve the next.",
                                    _url("programme_detail", programme)))  # fmt: skip
        elif programme.latest_sign_off is not None:
            findings.append(Finding(f"{programme.reference} {programme.title} changed since leadership approved it.",
                                    _url("programme_detail", programme)))  # fmt: skip
        else:
            findings.append(Finding(f"{programme.reference} {programme.title} is not approved by leadership.",
                                    _url("programme_detail", programme)))  # fmt: skip
    return findings


def check_full_scope_audit(ctx: ReadinessContext) -> list[Finding]:
    reports = latest_sign_offs(ctx, REPORT)
    since = ctx.now - YEAR
    audits = [
        audit
        for audit in InternalAudit.objects.filter(
            management_system_id=ctx.ms_id,
            retired_at__isnull=True,
            status__in=(InternalAudit.Status.REPORTED, InternalAudit.Status.CLOSED),
        )
        .prefetch_related(Prefetch("scope_requirements", queryset=Control.objects.only("pk")))
        .order_by("reference")
        if audit.pk in reports and reports[audit.pk].signed_at >= since
    ]
    if not audits:
        return [Finding("No internal audit was reported (its report signed) in the last twelve months.")]
    audited = {control.pk for audit in audits for control in audit.scope_requirements.all()}
    clauses = Control.objects.filter(framework__key=CLAUSES).order_by("position").only("pk", "key")
    missing = [clause.key for clause in clauses if clause.pk not in audited]
    if not missing:
        return []
    shown = ", ".join(missing[:12]) + (f" and {len(missing) - 12} more" if len(missing) > 12 else "")
    return [
        Finding(f"The internal audits reported in the last twelve months ({references(audits)}) do not cover "
                f"clause(s) {shown}.", _url("audit_detail", audits[-1]))
    ]  # fmt: skip


def check_nonconformities(ctx: ReadinessContext) -> list[Finding]:
    today = ctx.today
    late_actions = CorrectiveAction.objects.filter(
        status__in=CorrectiveAction.OPEN, due_date__lt=today, nonconformity_id=OuterRef("pk")
    )
    late_reviews = EffectivenessReview.objects.filter(
        result=EffectivenessReview.Result.PENDING, planned_on__lt=today, nonconformity_id=OuterRef("pk")
    )
    overdue = (
        Nonconformity.objects.filter(management_system_id=ctx.ms_id, retired_at__isnull=True)
        .exclude(state=Nonconformity.State.CLOSED)
        .filter(Exists(late_actions) | Exists(late_reviews))
        .order_by("reference")
    )
    return [
        Finding(f"{nc.reference} {nc.title} ({nc.get_grade_display().lower()}) has an overdue corrective action or "
                "effectiveness review.", _url("nc_detail", nc))
        for nc in overdue
    ]  # fmt: skip


def check_improvement(ctx: ReadinessContext) -> list[Finding]:
    since = ctx.today - YEAR
    done = CorrectiveAction.objects.filter(
        management_system_id=ctx.ms_id, status=CorrectiveAction.Status.DONE, completed_on__gte=since
    ).exists()
    opportunities = AuditFinding.objects.filter(
        management_system_id=ctx.ms_id, retired_at__isnull=True, finding_type=AuditFinding.Type.OPPORTUNITY
    ).exists()
    if done or opportunities:
        return []
    return [Finding("No corrective action was completed and no opportunity for improvement recorded in the last "
                    "twelve months.")]  # fmt: skip


def check_incident_obligations(ctx: ReadinessContext) -> list[Finding]:
    open_incidents = Incident.objects.filter(management_system_id=ctx.ms_id, retired_at__isnull=True).exclude(
        status=Incident.Status.CLOSED
    )
    overdue = (
        ReportingObligation.objects.filter(
            incident__in=open_incidents, submitted_on__isnull=True, waived_reason="", deadline__lt=ctx.now
        )
        .select_related("incident")
        .order_by("deadline")
    )
    findings = [
        Finding(f"{o.incident.reference} {o.incident.title}: {o.regime_title} was due on {o.deadline:%d %b %Y %H:%M} "
                "and is neither submitted nor waived.", _url("incident_detail", o.incident))
        for o in overdue
    ]  # fmt: skip
    awaiting = open_incidents.filter(possibly_serious=True, report_decision="").order_by("reference")
    findings += [
        Finding(f"{i.reference} {i.title} may be serious and awaits leadership's decision whether to report it.",
                _url("incident_detail", i))
        for i in awaiting
    ]  # fmt: skip
    return findings


def register() -> None:
    """Declare this app's readiness contributions (called from its AppConfig.ready())."""
    checks = [
        ("audit-programme-approved", "9.2.2", "An internal audit programme is approved, unchanged since and current",
         BLOCKER, check_programme, "programme_list", 922),
        ("internal-audit-full-scope", "9.2.1",
         "Internal audits reported in the last twelve months cover every clause 4 to 10", BLOCKER,
         check_full_scope_audit, "audit_list", 921),
        ("improvement-shown", "10.1",
         "Improvement is shown: a corrective action completed or an opportunity recorded in the last twelve months",
         ADVICE, check_improvement, "nc_list", 1010),
        ("nonconformities-on-time", "10.2", "No open nonconformity has an overdue action or effectiveness review",
         STAGE2_RISK, check_nonconformities, "nc_list", 1020),
        ("incident-obligations", "A.8.4",
         "Incidents' reporting obligations are met and serious incidents have a reporting decision", STAGE2_RISK,
         check_incident_obligations, "incident_list", 9084),
    ]  # fmt: skip
    for key, clause, title, severity, check, url_name, order in checks:
        register_readiness_check(
            key, clause=clause, title=title, severity=severity, check=check, fix_url=_list_url(url_name), order=order
        )
