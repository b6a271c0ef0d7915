"""Controlled documents in audit packs: the document register (7.5) and the AI policy (5.2, A.2).

Both read the registers as they stood at the pack's as-of moment, from the history tables, with a
fixed number of queries: the master list shows each document's version approved on that date,
its approver and next review (overdue then, or not); the AI policy section prints the text of the
version approved on that date with its document control block, its checklist, and the rate of
acknowledgement of each approved version.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from aims.history import rows_as_of
from aims.models import Membership, Role
from aims.pack_gather import latest_sign_offs_as_of
from aims.pack_sections import FULL, STAGE1, PackData, register_pack_section
from aims.signoff_currency import Currency, currencies
from governance.documents.markdown import render_markdown
from governance.documents.required import AI_POLICY
from governance.documents.selectors import rate
from governance.documents.signoffs import APPROVAL
from governance.models import Document, DocumentAcknowledgement, DocumentVersion, Person

Status = DocumentVersion.Status


@dataclass
class RegisterRow:
    """One document of the master list as it stood on the pack's date."""

    document: Any
    owner: str
    approved: Any = None  # the history row of the approved version
    approval: Any = None  # its sign-off
    in_progress: Any = None  # a draft or a version in review
    overdue: bool = False


@dataclass
class DocumentRegister:
    rows: list[RegisterRow] = field(default_factory=list)
    versions_by_document: dict[int, list[Any]] = field(default_factory=dict)

    @property
    def approved_count(self) -> int:
        return sum(1 for row in self.rows if row.approved is not None)

    @property
    def overdue_count(self) -> int:
        return sum(1 for row in self.rows if row.overdue)


def _read_register(data: PackData) -> DocumentRegister:
    """Documents, versions, owners and approvals as of the pack's date (read once for both sections)."""
    as_of, ms_id = data.as_of, data.management_system_id
    documents = [row for row in rows_as_of(Document, as_of, management_system_id=ms_id) if row.retired_at is None]
    versions = rows_as_of(DocumentVersion, as_of, management_system_id=ms_id)
    people = {row.id: row.name for row in rows_as_of(Person, as_of, management_system_id=ms_id)}
    approvals = latest_sign_offs_as_of(data, APPROVAL)
    by_document: dict[int, list[Any]] = defaultdict(list)
    for version in sorted(versions, key=lambda v: -v.number):
        by_document[version.document_id].append(version)
    register = DocumentRegister(versions_by_document=by_document)
    for document in sorted(documents, key=lambda d: (d.identifier, d.id)):
        mine = by_document.get(document.id, [])
        approved = next((v for v in mine if v.status == Status.APPROVED), None)
        register.rows.append(
            RegisterRow(
                document=document,
                owner=people.get(document.owner_id, ""),
                approved=approved,
                approval=approvals.get(approved.id) if approved else None,
                in_progress=next((v for v in mine if v.status in (Status.DRAFT, Status.IN_REVIEW)), None),
                overdue=bool(document.next_review_on and document.next_review_on < as_of.date()),
            )
        )
    return register


def register_as_of(data: PackData) -> DocumentRegister:
    return data.once("document_register_read", _read_register)


def gather_document_register(data: PackData) -> None:
    data.parts["document_register"] = register_as_of(data)


# --- the AI policy ----------------------------------------------------------------------------------


@dataclass
class PolicyVersion:
    """An approved (or since superseded) version of the policy, with its acknowledgements on the date."""

    row: Any
    acknowledged: int
    expected: int

    @property
    def rate(self) -> int | None:
        return rate(self.acknowledged, self.expected)


@dataclass
class AiPolicy:
    document: Any
    owner: str
    approved: Any = None
    text: str = ""
    approval: Currency | None = None
    versions: list[PolicyVersion] = field(default_factory=list)
    expected: int = 0


def _expected(data: PackData) -> int:
    """Members who should acknowledge the policy on the date: active then, auditors excepted."""
    as_of = data.as_of
    rows = rows_as_of(Membership, as_of, management_system_id=data.management_system_id)
    return sum(1 for m in rows if m.role != Role.AUDITOR and (m.expires_at is None or m.expires_at > as_of))


def _approval(data: PackData, approved: Any) -> Currency | None:
    latest = latest_sign_offs_as_of(data, APPROVAL)
    currency = currencies(APPROVAL, latest, [(approved.id, approved.version, [approved])])[approved.id]
    # Name the document's version number, not the record's edit counter.
    currency.signed_version = currency.version = approved.number
    return currency


def gather_ai_policy(data: PackData) -> None:
    register = register_as_of(data)
    row = next((r for r in register.rows if r.document.key == AI_POLICY), None)
    if row is None:
        data.parts["ai_policy"] = None
        return
    policy = AiPolicy(document=row.document, owner=row.owner, approved=row.approved, expected=_expected(data))
    published = [
        v
        for v in register.versions_by_document.get(row.document.id, [])
        if v.status in (Status.APPROVED, Status.SUPERSEDED)
    ]
    counts = Counter(
        DocumentAcknowledgement.objects.filter(
            version_id__in=[v.id for v in published], acknowledged_at__lte=data.as_of
        ).values_list("version_id", flat=True)
    )
    policy.versions = [PolicyVersion(v, counts.get(v.id, 0), policy.expected) for v in published]
    if row.approved is not None:
        policy.text = render_markdown(row.approved.body)
        policy.approval = _approval(data, row.approved)
        data.document_control(
            "ai_policy",
            identifier=row.document.identifier,
            version=f"Version {row.approved.number} (approved)",
            owner=row.owner,
            approval=policy.approval,
            next_review=row.document.next_review_on,
        )
    else:
        data.document_control(
            "ai_policy",
            identifier=row.document.identifier,
            version="No approved version",
            owner=row.owner,
            note=f"No version of the AI policy was approved as of {data.as_of:%d %b %Y}.",
        )
    data.parts["ai_policy"] = policy


def register() -> None:
    """Declare the document register and the AI policy sections."""
    register_pack_section(
        "document_register",
        title="Document register",
        clause="7.5",
        kinds={STAGE1, FULL},
        order=5,
        gather=gather_document_register,
        template="governance/documents/pack/section_document_register.html",
    )
    register_pack_section(
        "ai_policy",
        title="AI policy",
        clause="5.2, A.2",
        kinds={STAGE1, FULL},
        order=14,
        gather=gather_ai_policy,
        template="governance/documents/pack/section_ai_policy.html",
    )
