"""Writes of controlled documents and their versions (7.5), and acknowledgements of the AI policy (7.3).

A version is drafted, submitted for review, returned to draft or approved; an approved version
never changes (every write here refuses it) and a change is a new version copied from the
latest. Approval is the sign-off ``document_version_approval`` (``signoffs``), bound to the
version's SHA-256; it supersedes the version approved before and sets the next review date.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from aims import access, ledger
from aims.models import ManagementSystem, Role, SignOff
from aims.services import (
    StaleVersionError,
    approve_superseding,
    register_create,
    register_retire,
    register_update,
    return_to_draft,
)
from governance.documents.signoffs import APPROVAL
from governance.models import Document, DocumentAcknowledgement, DocumentVersion

Status = DocumentVersion.Status
CONTENT_FIELDS = tuple(DocumentVersion.editable_fields)
DOCUMENT_LINKS = Document.link_fields()


def content_digest(body: str, evidence: Any) -> str:
    """The SHA-256 of a version's content: its text (UTF-8), or the digest of its evidence file."""
    if evidence is not None:
        return evidence.sha256 or ""
    return hashlib.sha256((body or "").encode("utf-8")).hexdigest()


def _locked(model: type, obj: Any) -> Any:
    return model.objects.select_for_update().get(pk=obj.pk)


def _check_version(obj: Any, expected: int | None) -> None:
    if expected is not None and int(expected) != obj.version:
        raise StaleVersionError(obj, expected)


def _check_content(fields: dict[str, Any], management_system: ManagementSystem) -> None:
    evidence = fields.get("evidence")
    if evidence is not None and (fields.get("body") or "").strip():
        raise ValidationError({"evidence": "Give the text or a file, not both: clear the text to use a file."})
    if evidence is not None and evidence.management_system_id != management_system.pk:
        raise ValidationError({"evidence": "This evidence belongs to another management system."})


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


# --- documents -------------------------------------------------------------------------------


def document_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "Created",
    body: str = "",
    **fields: Any,
) -> Document:
    """Register a controlled document with its first draft version (its text, if given)."""
    m2m = {name: list(fields.pop(name)) for name in DOCUMENT_LINKS if name in fields}
    with transaction.atomic():
        document = register_create(
            Document, management_system=management_system, user=user, reason=reason, m2m=m2m, **fields
        )
        register_create(
            DocumentVersion,
            management_system=management_system,
            user=user,
            reason="First draft",
            document=document,
            number=1,
            body=body,
            sha256=content_digest(body, None),
        )
    return document


def document_update(
    document: Document, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Updated",
    **fields: Any,
) -> Document:  # fmt: skip
    """Change a document's control data (owner, type, review cycle, requirements ...)."""
    m2m = {name: list(fields.pop(name)) for name in DOCUMENT_LINKS if name in fields}
    return register_update(document, user=user, expected_version=expected_version, reason=reason, m2m=m2m, **fields)


def document_retire(
    document: Document, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> Document:
    """Withdraw a document from use with a reason: it stays readable with its versions.

    A document the standard requires (a seeded one, with a ``key``) is never withdrawn: the
    management system must keep it, so its content is replaced by a new version instead.
    """
    if document.key:
        raise ValidationError(
            f"{document.identifier} {document.title} is documented information ISO/IEC 42001 requires: it cannot be "
            "withdrawn. Start a new version to replace its content."
        )
    return register_retire(document, user=user, expected_version=expected_version, reason=reason)


# --- versions --------------------------------------------------------------------------------


def _refuse_unless_draft(version: DocumentVersion) -> None:
    if version.status == Status.APPROVED or version.status == Status.SUPERSEDED:
        raise ValidationError(
            f"Version {version.number} of {version.document.identifier} is {version.get_status_display().lower()}: "
            "an approved version never changes. Start a new version to change the document."
        )
    if version.status == Status.IN_REVIEW:
        raise ValidationError(
            f"Version {version.number} is in review: return it to draft before changing it, so that the "
            "reviewers see what they approve."
        )


def version_update(
    version: DocumentVersion,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Draft edited",
    **fields: Any,
) -> DocumentVersion:
    """Change a draft's text, file, change summary or checklist; its digest follows."""
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        current = _locked(DocumentVersion, version)
        _check_version(current, expected_version)
        _refuse_unless_draft(current)
        merged = {name: getattr(current, name) for name in ("body", "evidence")} | fields
        _check_content(merged, current.management_system)
        fields["sha256"] = content_digest(merged["body"], merged["evidence"])
        return register_update(current, user=user, expected_version=None, reason=reason, **fields)


def version_new(
    document: Document, *, user: AbstractBaseUser | None, reason: str = "New version started"
) -> DocumentVersion:
    """Start the next version as a draft copied from the latest one (one version in progress at a time)."""
    with transaction.atomic():
        current = _locked(Document, document)
        if current.is_retired:
            raise ValidationError(f"{current.identifier} is withdrawn: it has no new versions.")
        versions = list(current.versions.order_by("-number"))
        open_one = next((v for v in versions if v.status in (Status.DRAFT, Status.IN_REVIEW)), None)
        if open_one is not None:
            raise ValidationError(
                f"Version {open_one.number} is still {open_one.get_status_display().lower()}: finish it first."
            )
        latest = versions[0] if versions else None
        copied = {name: getattr(latest, name) for name in CONTENT_FIELDS} if latest else {}
        copied["change_summary"] = ""
        return register_create(
            DocumentVersion,
            management_system=current.management_system,
            user=user,
            reason=reason,
            document=current,
            number=(current.versions.aggregate(n=Max("number"))["n"] or 0) + 1,
            sha256=content_digest(copied.get("body", ""), copied.get("evidence")),
            **copied,
        )


def version_submit(
    version: DocumentVersion, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = ""
) -> DocumentVersion:
    """Put a draft in review: it is then what the approver signs."""
    with transaction.atomic():
        current = _locked(DocumentVersion, version)
        _check_version(current, expected_version)
        if current.status != Status.DRAFT:
            raise ValidationError(
                f"Only a draft is submitted for review; this one is {current.get_status_display().lower()}."
            )
        if not current.body.strip() and current.evidence_id is None:
            raise ValidationError("Write the text, or attach a file, before submitting it for review.")
        return register_update(
            current, user=user, expected_version=None, reason=reason or "Submitted for review", status=Status.IN_REVIEW
        )


def version_return(
    version: DocumentVersion, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> DocumentVersion:
    """Return a version in review to draft, saying why (kept in history)."""
    return return_to_draft(version, user=user, expected_version=expected_version, reason=reason, waiting="in review")


def version_approve(
    version: DocumentVersion,
    *,
    user: AbstractBaseUser,
    statement: str,
    verification: str | Callable[[], str],
    expected_version: int | None = None,
    expected_token: str | None = None,
    override_reason: str = "",
    job_title: str = "",
) -> SignOff:
    """Approve the version in review (a sign-off bound to its digest); the one approved before is superseded."""
    with transaction.atomic():
        current = _locked(DocumentVersion, version)
        _check_version(current, expected_version)
        signoff = ledger.sign_off(
            kind=APPROVAL,
            subject=current,
            user=user,
            statement=statement,
            verification=verification,
            expected_token=expected_token,
            override_reason=override_reason,
            job_title=job_title,
        )
        record_approval(current, user=user, signoff=signoff)
    return signoff


def record_approval(version: DocumentVersion, *, user: AbstractBaseUser, signoff: SignOff) -> DocumentVersion:
    """The consequences of an approval: approved, the previous approved version superseded, next review set."""
    now = signoff.signed_at
    approved = approve_superseding(
        version, versions=DocumentVersion.objects.filter(document_id=version.document_id), user=user,
        signoff=signoff, superseded_reason=f"Superseded by version {version.number}",
    )  # fmt: skip
    document = _locked(Document, approved.document)
    next_review = add_months(timezone.localdate(now), document.review_cycle_months)
    register_update(
        document, user=user, expected_version=None, reason=f"Version {approved.number} approved: next review set",
        next_review_on=next_review,
    )  # fmt: skip
    return approved


# --- acknowledgements ------------------------------------------------------------------------


def may_acknowledge(user: AbstractBaseUser, version: DocumentVersion) -> bool:
    """Any member but an auditor acknowledges the approved version of a policy."""
    role = access.role_of(user, version.management_system)
    return role is not None and role != Role.AUDITOR


def acknowledgement_blockers(version: DocumentVersion) -> list[str]:
    if version.document.doc_type != Document.Type.POLICY:
        return ["Only policies are acknowledged."]
    if version.status != Status.APPROVED:
        return [f"Version {version.number} is not the approved version of the policy: acknowledge the approved one."]
    return []


def acknowledge(version: DocumentVersion, *, user: AbstractBaseUser) -> DocumentAcknowledgement:
    """Record that the user read and acknowledges the approved policy version (once per version)."""
    blockers = acknowledgement_blockers(version)
    if blockers:
        raise ValidationError(blockers)
    if DocumentAcknowledgement.objects.filter(version=version, user=user).exists():
        raise ValidationError(f"You already acknowledged version {version.number}.")
    try:
        with transaction.atomic():
            return DocumentAcknowledgement.objects.create(
                management_system=version.management_system, version=version, user=user,
                acknowledged_at=timezone.now(),
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError(f"You already acknowledged version {version.number}.") from None
