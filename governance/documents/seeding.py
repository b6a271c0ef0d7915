"""Seed the documents ISO/IEC 42001 requires in a management system, each with a draft of its starter text.

``seed_required_documents`` runs whenever a management system is created (``aims.hooks``), so it
is cheap: a handful of queries for all documents, their draft versions, their requirements and
history (``bulk_create_with_history``). It is idempotent by ``key``: run again (the management
command, the button on the master list) it adds only what is missing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from aims.models import ManagementSystem
from aims.services import next_reference
from controls.catalog import ANNEX_A, CLAUSES
from controls.models import Control
from governance.documents.required import REQUIRED
from governance.documents.services import content_digest
from governance.models import Document, DocumentVersion

REASON = "Required document seeded with its starter text"


def _number(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])


def seed_required_documents(management_system: ManagementSystem, user: Any = None) -> list[Document]:
    """Add the required documents the management system lacks (by key); return those added."""
    with transaction.atomic():
        have = set(Document.objects.filter(management_system=management_system).values_list("key", "identifier"))
        keys, identifiers = {k for k, _i in have}, {i for _k, i in have}
        wanted = [spec for spec in REQUIRED if spec.key not in keys and spec.identifier not in identifiers]
        if not wanted:
            return []
        first_doc = _number(next_reference(Document, management_system))
        first_version = _number(next_reference(DocumentVersion, management_system))
        documents = [
            Document(
                management_system=management_system,
                reference=f"DOC-{first_doc + i:03d}",
                key=spec.key,
                identifier=spec.identifier,
                title=spec.title,
                doc_type=spec.doc_type,
                review_cycle_months=spec.review_cycle_months,
            )  # fmt: skip
            for i, spec in enumerate(wanted)
        ]
        _bulk(Document, documents, user)
        by_key = {
            d.key: d
            for d in Document.objects.filter(management_system=management_system, key__in=[s.key for s in wanted])
        }
        versions = [
            DocumentVersion(
                management_system=management_system,
                reference=f"DV-{first_version + i:03d}",
                document=by_key[spec.key],
                number=1,
                body=spec.starter_text,
                sha256=content_digest(spec.starter_text, None),
            )  # fmt: skip
            for i, spec in enumerate(wanted)
        ]
        _bulk(DocumentVersion, versions, user)
        _link_requirements(wanted, by_key)
        return [by_key[spec.key] for spec in wanted]


def _bulk(model: type, rows: list[Any], user: Any) -> list[Any]:
    return bulk_create_with_history(rows, model, default_user=user, default_change_reason=REASON)


def _link_requirements(wanted: list[Any], by_key: dict[str, Document]) -> None:
    """Link each document to its clauses and controls (the catalogue, when it is loaded)."""
    keys = {key for spec in wanted for key in spec.requirements}
    controls = {
        c.key: c.pk for c in Control.objects.filter(framework__key__in=[CLAUSES, ANNEX_A], key__in=keys).only("key")
    }
    pairs = [(by_key[spec.key].pk, controls[key]) for spec in wanted for key in spec.requirements if key in controls]
    if not pairs:
        return
    through = Document.requirements.through
    rows = through.objects.bulk_create([through(document_id=doc, control_id=control) for doc, control in pairs])
    # The links are part of the documents' first version, as a service's save records them.
    history = Document.history.model
    first = dict(history.objects.filter(id__in={doc for doc, _c in pairs}).values_list("id", "history_id"))
    versioned = history._meta.get_field("historicaldocument_requirements").related_model
    versioned.objects.bulk_create(
        [
            versioned(
                id=row.pk, history_id=first[row.document_id], document_id=row.document_id, control_id=row.control_id
            )
            for row in rows
        ]
    )
