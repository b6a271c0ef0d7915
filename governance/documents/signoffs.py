"""Approving a document version is a sign-off (kind ``document_version_approval``, see ``aims.ledger``).

What is signed is the version as it was put in review: its text or file, its SHA-256 and, for a
policy, its checklist. The approval itself (approved, later superseded) is a workflow version
that is not part of what was signed. Who approves: leadership or an owner (``Action.SIGN_OFF``);
a policy, and above all the AI policy, only someone holding the top-management AIMS role.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from aims import access, ledger
from aims.access import Action
from governance.models import AimsRole, Document, DocumentVersion
from governance.people.selectors import holds_aims_role

APPROVAL = "document_version_approval"
Status = DocumentVersion.Status
CONTENT = ("body", "evidence_id", "sha256", "change_summary", *(name for name, _text in DocumentVersion.CHECKLIST))


def needs_top_management(version: DocumentVersion) -> bool:
    """A policy (the AI policy first of all) is approved by top management (5.2, A.2)."""
    document = version.document
    return document.doc_type == Document.Type.POLICY or document.key == "ai_policy"


def approval_versions(version: DocumentVersion) -> list[Any]:
    """The version as it was put in review: its newest history row in review."""
    row = version.history.filter(status=Status.IN_REVIEW).order_by("-history_date", "-history_id").first()
    return [row] if row is not None else []


def last_content_editor(version: DocumentVersion) -> int | None:
    """Who last changed the version's content (its text, file, summary or checklist): not its approver."""
    editor = None
    previous = None
    for row in version.history.order_by("history_date", "history_id"):
        if previous is None or any(getattr(row, name) != getattr(previous, name) for name in CONTENT):
            editor = row.history_user_id
        previous = row
    return editor


def may_approve(user: Any, version: DocumentVersion) -> bool:
    if not access.can(user, Action.SIGN_OFF, version):
        return False
    if needs_top_management(version):
        return holds_aims_role(user, version.management_system, AimsRole.TOP_MANAGEMENT)
    return True


def approval_refusal(version: DocumentVersion) -> str:
    if needs_top_management(version):
        return (
            f"{version.document.title} is a policy: only someone holding the top-management AIMS role approves it "
            "(clause 5.2). You do not hold that role in this management system; the AIMS manager assigns it under "
            "People and roles."
        )
    return "Leadership or an owner of the management system approves documents."


def approval_rule(version: DocumentVersion) -> str:
    if needs_top_management(version):
        return (
            "Top management approves the policy once it is in review and every item of its checklist is ticked; "
            "the version approved before is then superseded."
        )
    return "Leadership approves the version in review; the version approved before is then superseded."


def approval_blockers(version: DocumentVersion) -> list[str]:
    """What stops the version from being approved."""
    if version.document.is_retired:
        return [f"{version.document.identifier} is withdrawn."]
    if version.status == Status.APPROVED:
        return [f"Version {version.number} is already approved."]
    if version.status == Status.SUPERSEDED:
        return [f"Version {version.number} was superseded."]
    if version.status == Status.DRAFT:
        return [f"Version {version.number} is a draft: submit it for review first."]
    missing = []
    if not version.body.strip() and version.evidence_id is None:
        missing.append("The version has neither text nor a file.")
    if needs_top_management(version):
        missing += [f"Tick the policy checklist: {text}" for name, text, ticked in version.checklist() if not ticked]
    return missing


def version_url(ms_id: int, pk: int, name: str = "version_detail") -> str:
    return reverse(f"governance:{name}", args=[ms_id, pk])


def register() -> None:
    """Declare the approval of a document version as a kind of sign-off."""
    ledger.register_signable(
        APPROVAL,
        label="Document approval",
        subject_model=DocumentVersion,
        versions=approval_versions,
        may_sign=may_approve,
        blockers=approval_blockers,
        refusal=approval_refusal,
        rule=approval_rule,
        diff_url=lambda version, signoff: version_url(version.management_system_id, version.pk, "version_history"),
        subject_url=lambda signoff: version_url(signoff.management_system_id, signoff.subject_id),
        statement="I have reviewed this version of the document and approve it for use as it stands.",
        last_editor=last_content_editor,
    )
