"""Read everything a pack shows, as it was at the pack's as-of moment.

Every register is read from its simple-history table (the latest version of each
record at or before ``as_of``; deleted records dropped), links from the historical
many-to-many tables, and people by id in one query at the end. The number of queries
is fixed by the number of sections, not by the size of the registers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models

from aims.models import ManagementSystem, Membership, RegisterModel
from aims.packs.models import AuditPack
from registers.models import AISystem, DatasetRecord, Evidence, ModelRecord, Supplier

# Which sections each kind of pack contains, in the auditor's order (issue 5, item 4).
SECTIONS = {
    AuditPack.Kind.STAGE1: [
        "scope", "members", "inventory", "risk_criteria", "risks", "treatment", "soa", "impact", "signoffs", "evidence",
    ],
    AuditPack.Kind.STAGE2: ["scope", "inventory", "treatment", "soa", "impact", "signoffs", "changes", "evidence"],
    AuditPack.Kind.FULL: [
        "scope", "members", "inventory", "risk_criteria", "risks", "treatment", "soa", "impact", "signoffs",
        "changes", "evidence",
    ],
}  # fmt: skip


SECTION_TITLES = {
    "scope": "Scope and organisation",
    "members": "Roles and members",
    "inventory": "AI system inventory",
    "risk_criteria": "Risk criteria",
    "risks": "Risk heat map and register",
    "treatment": "Risk treatment",
    "soa": "Statement of Applicability",
    "impact": "AI system impact assessments",
    "signoffs": "Sign-off chain",
    "changes": "Changes since the previous pack",
    "evidence": "Evidence index",
}


@dataclass
class PackData:
    """What the pack templates render."""

    pack: AuditPack
    management_system: Any
    sections: list[str]
    generated_at: datetime
    users: dict[int, Any] = field(default_factory=dict)
    parts: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["parts"][name]
        except KeyError:
            raise AttributeError(name) from None


# --- generic as-of readers --------------------------------------------------------------


def rows_as_of(model: type[models.Model], as_of: datetime, **filters: Any) -> list[Any]:
    """The latest history row of each record at as_of (deleted records dropped), by reference."""
    qs = model.history.filter(history_date__lte=as_of, **filters).latest_of_each()
    order = "reference" if any(f.name == "reference" for f in model._meta.fields) else "id"
    return [row for row in qs.order_by(order, "id") if row.history_type != "-"]


def links_as_of(model: type[models.Model], name: str, rows: Iterable[Any]) -> dict[int, list[int]]:
    """Linked ids of a versioned many-to-many field for each history row, keyed by record id."""
    rows = list(rows)
    if not rows:
        return {}
    history_model = model.history.model
    through = history_model._meta.get_field(f"{history_model._meta.model_name}_{name}").related_model
    target = model._meta.get_field(name).related_model._meta.model_name
    if target == model._meta.model_name:
        target = f"to_{target}"
    by_history = {row.history_id: row.id for row in rows}
    links: dict[int, list[int]] = defaultdict(list)
    for history_id, target_id in through.objects.filter(history_id__in=list(by_history)).values_list(
        "history_id", f"{target}_id"
    ):
        links[by_history[history_id]].append(target_id)
    return links


def by_id(rows: Iterable[Any]) -> dict[int, Any]:
    return {row.id: row for row in rows}


def _ms_as_of(management_system: ManagementSystem, as_of: datetime) -> Any:
    row = (
        ManagementSystem.history.filter(id=management_system.pk, history_date__lte=as_of)
        .order_by("-history_date")
        .first()
    )
    return row or management_system


# --- sections owned by this area --------------------------------------------------------


def gather_members(data: PackData) -> None:
    as_of = data.pack.as_of
    rows = rows_as_of(Membership, as_of, management_system_id=data.pack.management_system_id)
    members = [row for row in rows if row.expires_at is None or row.expires_at > as_of]
    data.parts["members"] = sorted(members, key=lambda m: (m.role, m.user_id))
    data.parts["member_user_ids"] = [m.user_id for m in members]


def gather_inventory(data: PackData) -> None:
    as_of, ms_id = data.pack.as_of, data.pack.management_system_id
    systems = rows_as_of(AISystem, as_of, management_system_id=ms_id)
    record_sets = {
        "model_records": by_id(rows_as_of(ModelRecord, as_of, management_system_id=ms_id)),
        "dataset_records": by_id(rows_as_of(DatasetRecord, as_of, management_system_id=ms_id)),
        "suppliers": by_id(rows_as_of(Supplier, as_of, management_system_id=ms_id)),
    }
    for name, records in record_sets.items():
        links = links_as_of(AISystem, name, systems)
        for system in systems:
            setattr(system, f"linked_{name}", [records[i] for i in sorted(links.get(system.id, [])) if i in records])
    data.parts["ai_systems"] = systems
    data.parts["in_scope_count"] = sum(1 for s in systems if s.in_scope)
    data.parts["ai_systems_by_id"] = by_id(systems)
    data.parts.update({name: list(records.values()) for name, records in record_sets.items()})


def gather_evidence(data: PackData) -> None:
    """Evidence recorded by as_of (evidence rows never change; a correction is a new row)."""
    as_of = data.pack.as_of
    rows = list(
        Evidence.objects.filter(management_system_id=data.pack.management_system_id, created_at__lte=as_of)
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
    data.parts["evidence"] = rows
    evidence_by_id = data.parts["evidence_by_id"] = by_id(rows)
    # Evidence and its links never change after upload, so today's link tables hold the as-of links.
    for field_name, key in EVIDENCE_LINKS.items():
        field = Evidence._meta.get_field(field_name)
        through = field.remote_field.through
        target = f"{field.m2m_reverse_field_name()}_id"
        links = defaultdict(list)
        linked = through.objects.filter(
            evidence__management_system_id=data.pack.management_system_id, evidence__created_at__lte=as_of
        ).values_list("evidence_id", target)
        for evidence_id, target_id in linked:
            links[target_id].append(evidence_by_id[evidence_id])
        data.parts[key] = links
    links = data.parts["evidence_by_system"]
    data.parts["stale_days"] = settings.EVIDENCE_STALE_DAYS
    for system in data.parts.get("ai_systems", []):
        system.pack_evidence = links.get(system.id, [])


EVIDENCE_LINKS = {
    "ai_systems": "evidence_by_system",
    "soa_rows": "evidence_by_soa_row",
    "risks": "evidence_by_risk",
    "impact_assessments": "evidence_by_impact",
}
EVIDENCE_FIELDS = [
    "id", "reference", "title", "description", "evidence_date", "kind", "url", "file", "original_name",
    "file_extension", "content_type", "size", "sha256", "supersedes_id", "uploaded_by_id", "created_at",
]  # fmt: skip


def tracked_models() -> list[type[models.Model]]:
    """Every versioned register model with a management system (for the change log)."""
    found = [ManagementSystem, Membership]
    for model in apps.get_models():
        if issubclass(model, RegisterModel) and hasattr(model, "history") and not model._meta.abstract:
            found.append(model)
    return found


def previous_pack(pack: AuditPack) -> AuditPack | None:
    """The latest ready pack of the same kind for an earlier as-of moment."""
    return (
        AuditPack.objects.filter(
            management_system_id=pack.management_system_id,
            kind=pack.kind,
            status=AuditPack.Status.READY,
            as_of__lt=pack.as_of,
        )
        .exclude(pk=pack.pk)
        .order_by("-as_of")
        .first()
    )


CHANGE_LIMIT = 400


def gather_changes(data: PackData) -> None:
    """Who changed what between the previous pack of this kind and this one."""
    pack = data.pack
    previous = previous_pack(pack)
    data.parts["previous_pack"] = previous
    if previous is None:
        data.parts["changes"] = []
        return
    changes = []
    for model in tracked_models():
        key = "id" if model is ManagementSystem else "management_system_id"
        window = model.history.filter(
            **{key: pack.management_system_id}, history_date__gt=previous.as_of, history_date__lte=pack.as_of
        ).order_by("-history_date")[:CHANGE_LIMIT]
        window = list(window)
        _mark_changed_fields(model, window, pack.as_of)
        for row in window:
            row.model_label = str(model._meta.verbose_name)
            changes.append(row)
    changes.sort(key=lambda r: r.history_date, reverse=True)
    data.parts["changes_truncated"] = len(changes) > CHANGE_LIMIT
    data.parts["changes"] = changes[:CHANGE_LIMIT]


_NOT_COMPARED = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "updated_at",
    "version",
}


def _mark_changed_fields(model: type[models.Model], window: list[Any], as_of: datetime) -> None:
    """Give each changed row the labels of the fields that differ from the version before it."""
    if not window:
        return
    ids = {row.id for row in window}
    wanted = {row.history_id for row in window}
    fields = [f for f in model.history.model._meta.concrete_fields if f.name not in _NOT_COMPARED]
    previous_of: dict[int, Any] = {}
    last: dict[int, Any] = {}
    for row in model.history.filter(id__in=ids, history_date__lte=as_of).order_by("history_date", "history_id"):
        if row.history_id in wanted:
            previous_of[row.history_id] = last.get(row.id)
        last[row.id] = row
    for row in window:
        before = previous_of.get(row.history_id)
        if row.history_type != "~" or before is None:
            row.changed_fields = []
            continue
        row.changed_fields = [
            str(f.verbose_name) for f in fields if getattr(row, f.attname) != getattr(before, f.attname)
        ]


# --- assembling -------------------------------------------------------------------------


def _extra_gatherers() -> dict[str, Any]:
    from aims.packs import gather_registers

    return gather_registers.GATHERERS


GATHERERS = {
    "members": gather_members,
    "inventory": gather_inventory,
    "evidence": gather_evidence,
    "changes": gather_changes,
}


def gather_pack(pack: AuditPack) -> PackData:
    """Read everything the pack's sections need, as of its as-of moment."""
    from django.utils import timezone

    sections = SECTIONS[pack.kind]
    data = PackData(
        pack=pack,
        management_system=_ms_as_of(pack.management_system, pack.as_of),
        sections=sections,
        generated_at=timezone.now(),
    )
    data.parts["toc"] = [(key, SECTION_TITLES[key]) for key in sections]
    gatherers = {**GATHERERS, **_extra_gatherers()}
    needed = {"inventory", "evidence", *sections}
    for name in ["inventory", "evidence", *[s for s in sections if s not in ("inventory", "evidence")]]:
        if name in needed and name in gatherers:
            gatherers[name](data)
    _load_users(data)
    return data


def _user_ids(data: PackData) -> set[int]:
    ids = {data.pack.requested_by_id}
    for value in data.parts.values():
        if isinstance(value, list):
            for row in value:
                for attr in _PERSON_ATTRS:
                    user_id = getattr(row, attr, None) if hasattr(row, attr) else None
                    if user_id:
                        ids.add(user_id)
    return ids


_PERSON_ATTRS = ("owner_id", "user_id", "history_user_id", "signer_id", "approved_by_id", "uploaded_by_id")


def _load_users(data: PackData) -> None:
    """Load every person the pack names in one query and give rows a ``<attr>_name``."""
    users = get_user_model().objects.in_bulk(_user_ids(data))
    data.users = users
    for value in data.parts.values():
        if not isinstance(value, list):
            continue
        for row in value:
            for attr in _PERSON_ATTRS:
                user_id = getattr(row, attr, None) if hasattr(row, attr) else None
                if user_id:
                    setattr(row, attr[:-3] + "_name", person_name(users.get(user_id)))
    data.parts["requested_by_name"] = person_name(users.get(data.pack.requested_by_id))


def person_name(user: Any) -> str:
    if user is None:
        return "(unknown)"
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full} ({user.get_username()})" if full else user.get_username()
