"""Readiness checks of management reviews (``aims.readiness``).

``management-review-after-audit`` (9.3, Stage 1 blocker): the minutes of a management review were
signed after the latest reported full-scope internal audit, so top management reviewed the audit
results (9.3.2 d) before certification. Reported means the lead auditor signed the report (the
audit is reported or closed). Full scope means the audit had every clause 4 to 10 requirement in
its scope; while no audit of the cycle did (audits usually each cover part of the programme), the
latest reported audit of any scope is the one the review must follow, and the finding says so.

``management-review-actions-overdue`` (9.3, advice): no action of a review is open past its due date.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from aims.models import SignOff
from aims.readiness import ADVICE, BLOCKER, Finding, ReadinessContext, register_readiness_check
from controls.catalog import CLAUSES
from controls.models import Control
from improvement.models import InternalAudit
from reviews.meetings.signoffs import MINUTES
from reviews.models import ReviewAction

AUDIT_REPORT = "audit_report"  # improvement.audits.signoffs.REPORT
REPORTED = (InternalAudit.Status.REPORTED, InternalAudit.Status.CLOSED)


def _reviews_url(ms_id: int) -> str:
    return reverse("reviews:review_list", args=[ms_id])


def latest_reported_audit(ctx: ReadinessContext) -> tuple[Any, Any, bool] | None:
    """(audit, its report's sign-off, full scope?) of the audit the review must follow, or None (fixed queries)."""
    reports: dict[int, SignOff] = {}
    for signoff in SignOff.objects.filter(management_system=ctx.management_system, kind=AUDIT_REPORT).order_by(
        "sequence"
    ):
        reports[signoff.subject_id] = signoff
    audits = {
        a.pk: a
        for a in InternalAudit.objects.filter(
            management_system=ctx.management_system, pk__in=list(reports), status__in=REPORTED
        )
    }
    if not audits:
        return None
    clauses = set(Control.objects.filter(framework__key=CLAUSES).values_list("pk", flat=True))
    scopes: dict[int, set[int]] = {pk: set() for pk in audits}
    through = InternalAudit.scope_requirements.through
    for audit_id, control_id in through.objects.filter(internalaudit_id__in=list(audits)).values_list(
        "internalaudit_id", "control_id"
    ):
        scopes[audit_id].add(control_id)
    dated = sorted(audits.values(), key=lambda a: reports[a.pk].signed_at)
    full = [a for a in dated if clauses and clauses <= scopes[a.pk]]
    chosen = full[-1] if full else dated[-1]
    return chosen, reports[chosen.pk], bool(full)


def check_review_after_audit(ctx: ReadinessContext) -> list[Finding]:
    """The latest signed minutes come after the latest reported (full-scope) internal audit."""
    minutes = SignOff.objects.filter(management_system=ctx.management_system, kind=MINUTES).order_by("-sequence")
    latest = minutes.first()
    audit = latest_reported_audit(ctx)
    if latest is None:
        after = f" after internal audit {audit[0].reference} was reported" if audit else ""
        return [Finding(f"No management review has signed minutes yet: hold one{after} and have its chair sign them.")]
    if audit is None:
        return []
    found, report, full = audit
    if latest.signed_at > report.signed_at:
        return []
    what = "full-scope internal audit" if full else "internal audit (no full-scope audit is reported yet)"
    return [
        Finding(
            f"The latest management review minutes were signed on {latest.signed_at:%d %b %Y}, before the latest "
            f"reported {what} {found.reference} ({report.signed_at:%d %b %Y}): review its results in a management "
            "review and sign the minutes."
        )
    ]


def check_actions_overdue(ctx: ReadinessContext) -> list[Finding]:
    """No action of a management review is open past its due date."""
    overdue = list(
        ReviewAction.objects.filter(
            management_system=ctx.management_system, status=ReviewAction.Status.OPEN, due_on__lt=ctx.now.date()
        ).order_by("due_on", "reference")
    )
    if not overdue:
        return []
    names = ", ".join(f"{a.reference} (due {a.due_on:%d %b %Y})" for a in overdue[:5])
    more = f" and {len(overdue) - 5} more" if len(overdue) > 5 else ""
    first = overdue[0]
    url = reverse("reviews:review_detail", args=[ctx.ms_id, first.review_id]) + "#actions"
    plural = "s are" if len(overdue) != 1 else " is"
    return [Finding(f"{len(overdue)} management review action{plural} overdue: {names}{more}.", url)]


def register() -> None:
    register_readiness_check(
        "management-review-after-audit",
        clause="9.3",
        title="A management review's minutes are signed after the latest reported full-scope internal audit",
        severity=BLOCKER,
        check=check_review_after_audit,
        fix_url=_reviews_url,
        order=930,
    )
    register_readiness_check(
        "management-review-actions-overdue",
        clause="9.3",
        title="No management review action is overdue",
        severity=ADVICE,
        check=check_actions_overdue,
        fix_url=_reviews_url,
        order=931,
    )
