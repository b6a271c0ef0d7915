"""What the governance app contributes to the items of "my work" and of reminders (``aims.work``).

Signatures: document versions in review that the member may approve (a policy needs someone
holding the top-management AIMS role) and the scope, never approved or changed since. Reviews:
documents the member owns due for review and objectives they are responsible for coming due.
Actions: measurements due of the metrics the member measures (by hand).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.urls import reverse

from aims import access, ledger
from aims.access import Action
from aims.models import ManagementSystem
from aims.work import (
    ACTION,
    OWN_CHANGE_NOTE,
    REVIEW,
    SIGNATURE,
    WorkItem,
    is_member,
    register_work_provider,
    review_is_near,
    signature_item,
    signoff_anchor,
)
from governance.documents.signoffs import APPROVAL, CONTENT, approval_blockers, needs_top_management
from governance.models import AimsRole, Document, DocumentVersion, Measurement, Metric, Objective
from governance.models.objectives import period_label, period_start
from governance.objectives.results import last_completed_period
from governance.people.selectors import holds_aims_role
from governance.scope.selectors import scope_of
from governance.scope.signoffs import SCOPE_APPROVAL, scope_blockers, scope_versions


def _url(name: str, ms_id: int, pk: int | None = None) -> str:
    return reverse(f"governance:{name}", args=[ms_id] if pk is None else [ms_id, pk])


def _content_editors(versions: list[DocumentVersion]) -> dict[int, int | None]:
    """Who last changed each version's content (``signoffs.last_content_editor``, one query for all)."""
    rows = defaultdict(list)
    history = DocumentVersion.history.filter(id__in=[v.pk for v in versions]).order_by("history_date", "history_id")
    for row in history.values("id", "history_user_id", *CONTENT):
        rows[row["id"]].append(row)
    editors: dict[int, int | None] = {}
    for version_id, versions_rows in rows.items():
        previous = None
        for row in versions_rows:
            if previous is None or any(row[name] != previous[name] for name in CONTENT):
                editors[version_id] = row["history_user_id"]
            previous = row
    return editors


def versions_to_approve(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Document versions in review, ready to approve, that the member may approve."""
    if not access.can(user, Action.SIGN_OFF, management_system):
        return []
    versions = list(
        DocumentVersion.objects.filter(
            management_system=management_system,
            status=DocumentVersion.Status.IN_REVIEW,
            document__retired_at__isnull=True,
        ).select_related("document")
    )
    policies = [v for v in versions if needs_top_management(v)]
    if policies and not holds_aims_role(user, management_system, AimsRole.TOP_MANAGEMENT):
        versions = [v for v in versions if not needs_top_management(v)]  # top management approves a policy
    versions = [v for v in versions if not approval_blockers(v)]
    editors = _content_editors(versions) if versions else {}
    items = []
    for version in versions:
        document = version.document
        detail = version.change_summary or f"{document.get_doc_type_display()} in review."
        items.append(
            signature_item(
                APPROVAL,
                version,
                title=f"Approve version {version.number} of {document.identifier} {document.title}",
                page=_url("version_detail", management_system.pk, version.pk),
                detail=detail,
                own_change=editors.get(version.pk) == user.pk,
            )
        )
    return items


def scope_to_approve(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """The scope, never approved or changed since, ready to approve, for whoever may approve it."""
    if not is_member(user, management_system):
        return []
    scope = scope_of(management_system)
    if scope is None or not ledger.may_sign(SCOPE_APPROVAL, user, scope):
        return []
    status = ledger.sign_off_status(SCOPE_APPROVAL, scope)
    if (status.latest is not None and not status.changed_since) or scope_blockers(scope):
        return []
    head = max((row.history_id for row in scope_versions(scope)), default=0)
    detail = "It has never been approved." if status.latest is None else "It changed since it was approved."
    if ledger.signs_own_change(SCOPE_APPROVAL, user, scope):
        detail = f"{detail} {OWN_CHANGE_NOTE}"
    return [
        WorkItem(
            key=f"{SCOPE_APPROVAL}:{scope.pk}:{head}",
            kind=SIGNATURE,
            title="Approve the scope of the AI management system",
            url=_url("scope", management_system.pk) + signoff_anchor(SCOPE_APPROVAL),
            detail=detail,
        )
    ]


def owned_reviews(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Documents the member owns due for review, and objectives they are responsible for coming due."""
    if not is_member(user, management_system):
        return []
    ms_id = management_system.pk
    documents = Document.objects.filter(
        management_system=management_system, owner__account=user, retired_at__isnull=True
    ).exclude(next_review_on=None)
    items = [
        WorkItem(
            key=f"document_review:{document.pk}:{document.next_review_on}",
            kind=REVIEW,
            title=f"Review {document.identifier} {document.title}",
            url=_url("document_detail", ms_id, document.pk),
            due=document.next_review_on,
            detail=f"Reviewed every {document.review_cycle_months} months; you own it.",
        )
        for document in documents
        if review_is_near(document.next_review_on, today)
    ]
    finished = (Objective.Status.ACHIEVED, Objective.Status.NOT_ACHIEVED, Objective.Status.WITHDRAWN)
    objectives = Objective.objects.filter(
        management_system=management_system, responsible__account=user, retired_at__isnull=True
    ).exclude(status__in=finished)
    items += [
        WorkItem(
            key=f"objective_due:{objective.pk}:{objective.due_on}",
            kind=REVIEW,
            title=f"Evaluate {objective.reference} {objective.title}",
            url=_url("objective_detail", ms_id, objective.pk),
            due=objective.due_on,
            detail=f"Due; it stands {objective.get_status_display().lower()}. Record whether it was achieved.",
        )
        for objective in objectives
        if review_is_near(objective.due_on, today)
    ]
    return items


def measurements_due(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Metrics the member measures by hand with no measurement yet for their last completed period."""
    if not is_member(user, management_system):
        return []
    metrics = list(
        Metric.objects.filter(
            management_system=management_system,
            measured_by__account=user,
            retired_at__isnull=True,
            source=Metric.Source.MANUAL,
        )
    )
    if not metrics:
        return []
    due = {metric.pk: last_completed_period(metric.cadence, today) for metric in metrics}
    measured = set(
        Measurement.objects.filter(metric__in=metrics, period__in=set(due.values())).values_list("metric_id", "period")
    )
    return [
        WorkItem(
            key=f"measurement:{metric.pk}:{due[metric.pk]}",
            kind=ACTION,
            title=f"Record {metric.reference} {metric.name} for {period_label(due[metric.pk], metric.cadence)}",
            url=_url("measurement_record", management_system.pk, metric.pk),
            due=period_start(today, metric.cadence),
            detail=f"{metric.get_cadence_display()} measurement; target {metric.target_text}.",
        )
        for metric in metrics
        if (metric.pk, due[metric.pk]) not in measured
    ]


def register() -> None:
    """Declare this app's work contributions (called from its AppConfig.ready())."""
    register_work_provider("document_approval", versions_to_approve, order=40)
    register_work_provider("scope_approval", scope_to_approve, order=41)
    register_work_provider("governance_reviews", owned_reviews, order=140)
    register_work_provider("measurements_due", measurements_due, order=141)
