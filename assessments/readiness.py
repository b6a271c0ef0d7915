"""What the assessments app contributes to the readiness checks (``aims.readiness``).

Risk criteria approved (6.1.1), risks assessed, treated and accepted on their current version
(6.1.2, 6.1.3, 8.2, 8.3), and a current approved impact assessment for every AI system in
deployment or operation (6.1.4, 8.4, A.5). Risks and impact assessments are each read once,
with their latest sign-offs (``ledger.annotate_sign_offs``: two queries whatever their number).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from aims import ledger
from aims.readiness import BLOCKER, STAGE2_RISK, Finding, ReadinessContext, references, register_readiness_check
from assessments.models import ImpactAssessment, ImpactCriteria, Risk, RiskCriteria, TreatmentAction
from assessments.signoffs import ACCEPTANCE, APPROVAL, CRITERIA_APPROVAL, IMPACT_CRITERIA_APPROVAL
from registers.readiness import in_scope, live_systems, system_url

ABOVE = (Risk.Evaluation.ABOVE, Risk.Evaluation.INTOLERABLE)


def risks(ctx: ReadinessContext) -> list[Risk]:
    """Open risks with their criteria, AI systems and latest acceptance, read once per evaluation."""

    def load(c: ReadinessContext) -> list[Risk]:
        rows = list(
            Risk.objects.filter(management_system_id=c.ms_id, retired_at__isnull=True)
            .select_related("criteria")
            .prefetch_related("ai_systems")
            .order_by("reference")
        )
        return ledger.annotate_sign_offs(rows, ACCEPTANCE)

    return ctx.once("assessments.risks", load)


def assessments(ctx: ReadinessContext) -> list[ImpactAssessment]:
    """Impact assessments in force (not withdrawn) with their latest approval, read once per evaluation."""

    def load(c: ReadinessContext) -> list[ImpactAssessment]:
        rows = list(
            ImpactAssessment.objects.filter(management_system_id=c.ms_id, retired_at__isnull=True).order_by("reference")
        )
        return ledger.annotate_sign_offs(rows, APPROVAL)

    return ctx.once("assessments.impact", load)


def _url(name: str, record: Any) -> str:
    return reverse(f"assessments:{name}", args=[record.management_system_id, record.pk])


def _list_url(name: str) -> Any:
    return lambda ms_id: reverse(f"assessments:{name}", args=[ms_id])


def _is_approved(record: Any) -> bool:
    return record.latest_sign_off is not None and not record.changed_since_signed


# --- criteria ------------------------------------------------------------------------------------


def _criteria_findings(latest: Any, kind: str, what: str, url_name: str) -> list[Finding]:
    if latest is None:
        return [Finding(f"No {what} are recorded.")]
    status = ledger.sign_off_status(kind, latest)
    url = _url(url_name, latest)
    if status.latest is None:
        return [Finding(f"{latest.reference} ({what}, version {latest.number}) is not approved by leadership.", url)]
    if status.changed_since:
        return [Finding(f"{latest.reference} changed since its approval of {status.latest.signed_at:%d %b %Y}.", url)]
    return []


def check_criteria(ctx: ReadinessContext) -> list[Finding]:
    latest = RiskCriteria.objects.filter(management_system_id=ctx.ms_id).order_by("-number").first()
    return _criteria_findings(latest, CRITERIA_APPROVAL, "risk criteria", "criteria_detail")


def check_impact_criteria(ctx: ReadinessContext) -> list[Finding]:
    latest = ImpactCriteria.objects.filter(management_system_id=ctx.ms_id).order_by("-number").first()
    return _criteria_findings(latest, IMPACT_CRITERIA_APPROVAL, "impact criteria", "impact_criteria_detail")


# --- risks ---------------------------------------------------------------------------------------


def check_risks_assessed(ctx: ReadinessContext) -> list[Finding]:
    if not risks(ctx):
        return [Finding("The risk register holds no AI risk: assess the risks of the AI systems in scope.")]
    return []


def check_treated_accepted(ctx: ReadinessContext) -> list[Finding]:
    findings = []
    for risk in risks(ctx):
        if risk.evaluation not in ABOVE:
            continue
        url = _url("risk_detail", risk)
        if not risk.treatment_plan.strip() or not risk.residual_level:
            findings.append(Finding(f"{risk.reference} {risk.title} is above the acceptable level and not treated "
                                    "(no treatment plan or no residual rating).", url))  # fmt: skip
        elif risk.latest_sign_off is None:
            findings.append(Finding(f"{risk.reference} {risk.title}: its residual risk is not accepted.", url))
        elif risk.changed_since_signed:
            findings.append(
                Finding(f"{risk.reference} {risk.title} changed since its acceptance (version {risk.signed_version}, "
                        f"now {risk.version}): accept it again.", url)
            )  # fmt: skip
    return findings


def check_systems_risk_assessed(ctx: ReadinessContext) -> list[Finding]:
    covered = {system.pk for risk in risks(ctx) for system in risk.ai_systems.all()}
    live = {s.pk for s in live_systems(ctx)}  # a set: a thousand systems are not compared with each other
    return [
        Finding(f"{s.reference} {s.name} is live and no risk in the register names it.", system_url(s))
        for s in in_scope(ctx)
        if s.pk in live and s.pk not in covered
    ]


def check_risks_reviewed(ctx: ReadinessContext) -> list[Finding]:
    overdue = [
        r
        for r in risks(ctx)
        if (r.next_review and r.next_review < ctx.today)
        or (r.acceptance_review_by and r.acceptance_review_by < ctx.today)
    ]  # one pass: each risk once, without searching the list of those already found
    return [
        Finding(f"{r.reference} {r.title} is past its review date.", _url("risk_detail", r))
        for r in sorted(overdue, key=lambda r: r.reference)
    ]


def check_treatment_actions(ctx: ReadinessContext) -> list[Finding]:
    late = list(
        TreatmentAction.objects.filter(
            risk__management_system_id=ctx.ms_id,
            risk__retired_at__isnull=True,
            status__in=(TreatmentAction.Status.PLANNED, TreatmentAction.Status.IN_PROGRESS),
            due_date__lt=ctx.today,
        )
        .select_related("risk")
        .order_by("due_date", "pk")
    )
    by_risk: dict[int, list[TreatmentAction]] = {}
    for action in late:
        by_risk.setdefault(action.risk_id, []).append(action)
    return [
        Finding(f"{actions[0].risk.reference}: {len(actions)} treatment action(s) overdue since "
                f"{actions[0].due_date:%d %b %Y}.", _url("risk_detail", actions[0].risk))
        for actions in by_risk.values()
    ]  # fmt: skip


# --- impact assessments --------------------------------------------------------------------------


def check_impact(ctx: ReadinessContext) -> list[Finding]:
    """Every AI system in deployment or operation has a current approved impact assessment (the pack's gaps)."""
    by_system: dict[int, list[ImpactAssessment]] = {}
    for assessment in assessments(ctx):
        by_system.setdefault(assessment.ai_system_id, []).append(assessment)
    findings = []
    for system in live_systems(ctx):
        mine = by_system.get(system.pk, [])
        if any(_is_approved(a) for a in mine):
            continue
        stage = system.get_lifecycle_stage_display().lower()
        changed = [a for a in mine if a.latest_sign_off is not None]
        pending = [a for a in mine if a.latest_sign_off is None]
        if changed:
            text = f"its impact assessment {references(changed)} changed since its approval"
            url = _url("impact_detail", changed[-1])
        elif pending:
            text = f"its impact assessment {references(pending)} is not approved"
            url = _url("impact_detail", pending[-1])
        else:
            text = "it has no impact assessment"
            url = system_url(system)
        findings.append(Finding(f"{system.reference} {system.name} is in {stage} but {text}.", url))
    return findings


def check_impact_reviews(ctx: ReadinessContext) -> list[Finding]:
    # An assessment whose re-assessment is approved was reviewed: the re-assessment's date is the one that counts.
    reviewed = {a.predecessor_id for a in assessments(ctx) if a.predecessor_id and _is_approved(a)}
    return [
        Finding(f"{a.reference} {a.title} was due for review on {a.next_review:%d %b %Y}.", _url("impact_detail", a))
        for a in assessments(ctx)
        if _is_approved(a) and a.pk not in reviewed and a.next_review and a.next_review < ctx.today
    ]


def register() -> None:
    """Declare this app's readiness contributions (called from its AppConfig.ready())."""
    checks = [
        ("risk-criteria-approved", "6.1.1", "The current risk criteria are approved by leadership", BLOCKER,
         check_criteria, "criteria_list", 611),
        ("risks-assessed", "6.1.2", "AI risks are assessed in the risk register", BLOCKER, check_risks_assessed,
         "risk_list", 612),
        ("risks-treated-accepted", "6.1.3",
         "Every risk above the acceptable level is treated and its residual risk accepted on its current version",
         BLOCKER, check_treated_accepted, "risk_list", 614),
        ("impact-assessments-current", "6.1.4",
         "Every AI system in deployment or operation has a current approved impact assessment", BLOCKER,
         check_impact, "impact_list", 615),
        ("systems-risk-assessed", "8.2", "Every live AI system in scope is named by at least one risk", STAGE2_RISK,
         check_systems_risk_assessed, "risk_list", 820),
        ("risks-reviewed", "8.2", "No risk or risk acceptance is past its review date", STAGE2_RISK,
         check_risks_reviewed, "risk_list", 821),
        ("treatment-actions-on-time", "8.3", "No risk treatment action is overdue", STAGE2_RISK,
         check_treatment_actions, "risk_list", 830),
        ("impact-reviews-on-time", "8.4", "No approved impact assessment is past its review date", STAGE2_RISK,
         check_impact_reviews, "impact_list", 840),
        ("impact-criteria-approved", "A.5.2", "The current impact criteria are approved by leadership", STAGE2_RISK,
         check_impact_criteria, "impact_criteria_list", 9052),
    ]  # fmt: skip
    for key, clause, title, severity, check, url_name, order in checks:
        register_readiness_check(
            key, clause=clause, title=title, severity=severity, check=check, fix_url=_list_url(url_name), order=order
        )
