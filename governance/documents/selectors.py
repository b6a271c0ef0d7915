"""Reads of controlled documents, their versions and acknowledgements; selectors own the joins and prefetches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from aims import access
from aims.models import ManagementSystem, Membership, Role
from governance.models import Document, DocumentAcknowledgement, DocumentVersion

Status = DocumentVersion.Status
OPEN = (Status.DRAFT, Status.IN_REVIEW)


def review_overdue() -> Q:
    """Documents in use whose next review date has passed."""
    return Q(next_review_on__lt=timezone.localdate(), retired_at__isnull=True)


def has_version(*statuses: str) -> Q:
    """Documents with a version in one of the statuses."""
    return Q(Exists(DocumentVersion.objects.filter(document=OuterRef("pk"), status__in=statuses)))


def _versions() -> Prefetch:
    return Prefetch("versions", queryset=DocumentVersion.objects.select_related("approved_by").order_by("-number"))


def with_versions(documents: list[Document]) -> list[Document]:
    """Set ``approved_version`` (the current approved one) and ``open_version`` (a draft or one in review)."""
    today = timezone.localdate()
    for document in documents:
        versions = list(document.versions.all())
        document.approved_version = next((v for v in versions if v.status == Status.APPROVED), None)
        document.open_version = next((v for v in versions if v.status in OPEN), None)
        document.is_overdue = bool(
            document.next_review_on and document.next_review_on < today and not document.is_retired
        )
    return documents


def document_queryset(*, user: AbstractBaseUser) -> QuerySet[Document]:
    """Documents the user may read, with their owner, requirements and versions (constant queries)."""
    base = Document.objects.select_related("owner", "management_system")
    return access.scope(user, base).prefetch_related("requirements", _versions())


def document_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[Document]:
    """The master list of a management system's documents (``DocumentFilterSet`` filters it)."""
    return (
        access.scope(user, Document.objects.filter(management_system=management_system))
        .select_related("owner")
        .prefetch_related(_versions())
        .order_by("identifier", "pk")
    )


def version_queryset(*, user: AbstractBaseUser) -> QuerySet[DocumentVersion]:
    """Document versions the user may read, with their document, file and approver."""
    base = DocumentVersion.objects.select_related(
        "document", "document__owner", "evidence", "approved_by", "management_system"
    )
    return access.scope(user, base)


def history_of(obj: Any) -> QuerySet:
    """Every version of a record, newest first, with who made it."""
    return obj.history.select_related("history_user").order_by("-history_date", "-history_id")


def members_expected(management_system: ManagementSystem) -> int:
    """How many members should acknowledge a policy: active members, auditors excepted."""
    now = timezone.now()
    return (
        Membership.objects.filter(management_system=management_system, user__is_active=True)
        .exclude(role=Role.AUDITOR)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .count()
    )


def acknowledgements_of(version: DocumentVersion) -> list[DocumentAcknowledgement]:
    return list(version.acknowledgements.select_related("user").order_by("acknowledged_at", "pk"))


def rate(count: int, expected: int) -> int | None:
    """A percentage, or None when nobody is expected."""
    return round(100 * count / expected) if expected else None


def approved_version_as_of(document: Document, as_of: datetime) -> Any:
    """The history row of the document's version that stood approved at ``as_of``, or None (two queries at most)."""
    rows = DocumentVersion.history.filter(document_id=document.pk, history_date__lte=as_of).latest_of_each()
    approved = [row for row in rows if row.history_type != "-" and row.status == Status.APPROVED]
    return max(approved, key=lambda row: row.number, default=None)
