"""Evidence in audit packs: the index as of the pack's date, and each record's evidence references."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from aims.pack_sections import PackData
from evidence.models import Evidence, EvidenceLink

EVIDENCE_FIELDS = [
    "id", "reference", "title", "description", "evidence_date", "kind", "url", "file", "original_name",
    "file_extension", "content_type", "size", "sha256", "supersedes_id", "uploaded_by_id", "created_at",
]  # fmt: skip


@dataclass
class EvidenceIndex:
    """Evidence recorded by the pack's moment, and which records each item was linked to."""

    rows: list[Evidence]
    by_target: dict[tuple[int, int], list[Evidence]] = field(default_factory=dict)
    attached: list[Any] = field(default_factory=list)  # the records given ``pack_evidence``

    def of(self, model: type[models.Model], record_id: int) -> list[Evidence]:
        """Evidence linked to one record, as of the pack's moment."""
        return self.by_target.get((ContentType.objects.get_for_model(model).pk, record_id), [])


def _read_index(data: PackData) -> EvidenceIndex:
    as_of = data.as_of
    rows = list(
        Evidence.objects.filter(management_system_id=data.management_system_id, created_at__lte=as_of)
        .only(*EVIDENCE_FIELDS)
        .order_by("reference")
    )
    superseded_by = {row.supersedes_id: row for row in rows if row.supersedes_id}
    references = {row.id: row.reference for row in rows}
    stale_before = as_of.date() - timedelta(days=settings.EVIDENCE_STALE_DAYS)
    for row in rows:
        row.superseded_as_of = superseded_by.get(row.id)
        row.stale_as_of = row.evidence_date < stale_before
        row.supersedes_reference = references.get(row.supersedes_id, "")
    by_id = {row.id: row for row in rows}
    # Evidence and its links never change after upload, so today's links of the evidence
    # recorded by the date are the links as they stood then.
    by_target: dict[tuple[int, int], list[Evidence]] = defaultdict(list)
    links = EvidenceLink.objects.filter(evidence_id__in=list(by_id)).values_list(
        "target_type_id", "target_id", "evidence_id"
    )
    for type_id, target_id, evidence_id in links:
        by_target[(type_id, target_id)].append(by_id[evidence_id])
    return EvidenceIndex(rows=rows, by_target=dict(by_target))


def evidence_index(data: PackData) -> EvidenceIndex:
    """The pack's evidence index, read once however many sections ask for it."""
    return data.once("evidence_index", _read_index)


def attach_pack_evidence(data: PackData, model: type[models.Model], records: list[Any]) -> None:
    """Give each record (a history row as of the date) ``pack_evidence``: the evidence linked to it."""
    index = evidence_index(data)
    for record in records:
        record.pack_evidence = index.of(model, record.id)
        index.attached.append(record)


def gather_evidence(data: PackData) -> None:
    """The evidence index section: every item recorded by the date, with its digest."""
    index = evidence_index(data)
    data.parts["evidence"] = index.rows
    data.parts["stale_days"] = settings.EVIDENCE_STALE_DAYS
    data.scope_fact("Evidence items", f"{len(index.rows)} recorded by the as-of date")


def _linked(index: EvidenceIndex, records: dict[type, set[int]]) -> set[int]:
    """Ids of the evidence linked to any of these records (by model)."""
    found: set[int] = set()
    for model, ids in records.items():
        type_id = ContentType.objects.get_for_model(model).pk
        for record_id in ids:
            found.update(e.id for e in index.by_target.get((type_id, record_id), []))
    return found


def _concerning_chosen_systems(data: PackData, index: EvidenceIndex) -> set[int]:
    """Ids of the evidence of the chosen AI systems.

    Linked to a record that concerns them (a system, its risks, its assessments...); or to a
    record shown whole that names them (an SoA row) and to nothing left out. Evidence a section
    left out itself (``data.left_out[Evidence]``: another system's gateway activity) never is.
    """
    strong = _linked(index, data.kept)
    weak = _linked(index, data.noted) - _linked(index, data.left_out)
    return (strong | weak) - data.left_out.get(Evidence, set())


def settle_evidence(data: PackData) -> None:
    """The evidence of a scoped pack, once every section is gathered: what its index and bundle hold.

    With AI systems chosen: only the evidence linked to those systems or to records that concern
    them, and every record's evidence references are trimmed to it. Scoped to clauses or sections
    only: the evidence of the records the pack shows (all of it, if the evidence index is in scope).
    """
    index = evidence_index(data)
    if data.pack_scope.by_systems:
        wanted = _concerning_chosen_systems(data, index)
        for record in index.attached:
            record.pack_evidence = [e for e in record.pack_evidence if e.id in wanted]
    elif "evidence" in data.parts:
        return
    else:
        wanted = {e.id for record in index.attached for e in record.pack_evidence}
    data.parts["evidence"] = [row for row in index.rows if row.id in wanted]
