"""Readiness checks on controlled documents: the AI policy (5.2), every required document (7.5), the
operational and life cycle procedures (8.1, A.6) and reviews left hanging (6.3).

The management system's documents are read once with their versions (two queries).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from aims.readiness import ADVICE, BLOCKER, STAGE2_RISK, Finding, ReadinessContext, register_readiness_check
from governance.documents.required import AI_POLICY, BY_KEY, REQUIRED
from governance.models import Document, DocumentVersion

Status = DocumentVersion.Status
STALE_REVIEW = timedelta(days=30)


def documents(ctx: ReadinessContext) -> dict[str, Any]:
    """The documents by key (seeded required ones) and all of them, each with its approved and open version."""

    def load(c: ReadinessContext) -> dict[str, Any]:
        rows = list(
            Document.objects.filter(management_system_id=c.ms_id)
            .prefetch_related(Prefetch("versions", queryset=DocumentVersion.objects.order_by("-number")))
            .order_by("identifier")
        )
        for document in rows:
            versions = list(document.versions.all())
            document.approved_version = next((v for v in versions if v.status == Status.APPROVED), None)
            document.open_version = next((v for v in versions if v.status in (Status.DRAFT, Status.IN_REVIEW)), None)
        return {"all": rows, "by_key": {d.key: d for d in rows if d.key}}

    return ctx.once("governance.documents", load)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def document_url(document: Document) -> str:
    return reverse("governance:document_detail", args=[document.management_system_id, document.pk])


def document_list_url(ms_id: int) -> str:
    return reverse("governance:document_list", args=[ms_id])


def document_problem(ctx: ReadinessContext, key: str) -> Finding | None:
    """Why a required document is not approved and current, or None when it is."""
    spec = BY_KEY[key]
    document = documents(ctx)["by_key"].get(key)
    if document is None:
        return Finding(f"{spec.identifier} {spec.title} is missing from the register: add the required documents.")
    name = f"{document.identifier} {document.title}"
    if document.retired_at is not None:
        return Finding(f"{name} is withdrawn.", document_url(document))
    approved = document.approved_version
    if approved is None:
        pending = document.open_version
        state = f" (version {pending.number} is {pending.get_status_display().lower()})" if pending else ""
        return Finding(f"{name} has no approved version{state}.", document_url(document))
    if document.next_review_on and document.next_review_on < ctx.today:
        return Finding(f"{name} was due for review on {document.next_review_on:%d %b %Y}.", document_url(document))
    approved_on = ctx.today if approved.approved_at is None else approved.approved_at.date()
    if not document.next_review_on and add_months(approved_on, document.review_cycle_months) < ctx.today:
        return Finding(
            f"{name} was approved on {approved_on:%d %b %Y}, more than its review cycle of "
            f"{document.review_cycle_months} months ago.",
            document_url(document),
        )
    return None


def document_check(*keys: str) -> Any:
    def check(ctx: ReadinessContext) -> list[Finding]:
        return [problem for key in keys if (problem := document_problem(ctx, key)) is not None]

    return check


def check_required_present(ctx: ReadinessContext) -> list[Finding]:
    by_key = documents(ctx)["by_key"]
    missing = [spec for spec in REQUIRED if spec.key not in by_key or by_key[spec.key].retired_at is not None]
    return [Finding(f"{spec.identifier} {spec.title} is missing or withdrawn.") for spec in missing]


def check_reviews_hanging(ctx: ReadinessContext) -> list[Finding]:
    limit = ctx.now - STALE_REVIEW
    return [
        Finding(f"{d.identifier} version {d.open_version.number} has been in review since "
                f"{d.open_version.updated_at:%d %b %Y}.", document_url(d))
        for d in documents(ctx)["all"]
        if d.retired_at is None and d.open_version is not None and d.open_version.status == Status.IN_REVIEW
        and d.open_version.updated_at < limit
    ]  # fmt: skip


def register() -> None:
    """Declare the document checks."""
    all_keys = tuple(spec.key for spec in REQUIRED)
    checks = [
        ("required-documents-present", "4.4", "Every document the AIMS requires is in the register", ADVICE,
         check_required_present, 440),
        ("document-reviews-moving", "6.3", "Changes to documents are not left in review for more than 30 days",
         ADVICE, check_reviews_hanging, 630),
        ("documents-approved", "7.5.1", "Every required document is approved and not overdue for review", BLOCKER,
         document_check(*all_keys), 751),
        ("operational-procedure", "8.1", "The operational planning and control procedure is approved and current",
         STAGE2_RISK, document_check("operational_planning"), 810),
        ("lifecycle-procedure", "A.6.1.3", "The AI system life cycle procedure is approved and current", STAGE2_RISK,
         document_check("ai_lifecycle_procedure"), 9061),
        ("data-procedure", "A.7.2", "The data management procedure is approved and current", ADVICE,
         document_check("data_management_procedure"), 9072),
        ("user-information", "A.8.2", "The procedure for informing users and interested parties is approved",
         ADVICE, document_check("user_information"), 9082),
    ]  # fmt: skip
    for key, clause, title, severity, check, order in checks:
        register_readiness_check(
            key, clause=clause, title=title, severity=severity, check=check, fix_url=document_list_url, order=order
        )
    register_readiness_check(
        "ai-policy-approved",
        clause="5.2",
        title="The AI policy is approved by top management and within its review cycle",
        severity=BLOCKER,
        check=document_check(AI_POLICY),
        fix_url=lambda ms_id: reverse("governance:ai_policy", args=[ms_id]),
        order=520,
    )
