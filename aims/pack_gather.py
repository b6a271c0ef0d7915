"""The pack sections the core owns: scope, members, the sign-off chain and the change log.

Each reads the registers as they were at the pack's as-of moment with a fixed number of
queries. ``signoffs_as_of`` and ``latest_sign_offs_as_of`` are shared with the sections of
other apps (a risk's acceptance, an impact assessment's approval), so that every section
shows the same sign-off rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import models

from aims import ledger
from aims.history import rows_as_of
from aims.models import ManagementSystem, Membership, RegisterModel, SignOff
from aims.pack_sections import ALL_KINDS, FULL, STAGE1, STAGE2, PackData, register_pack_section


def gather_scope(data: PackData) -> None:
    """Nothing to read: the scope is the management system as of the date (already on ``data``)."""
    data.parts.setdefault("scope_facts", [])


def memberships_as_of(data: PackData) -> list[Any]:
    """The memberships that gave access to the register at the as-of moment (read once per pack)."""

    def read(d: PackData) -> list[Any]:
        rows = rows_as_of(Membership, d.as_of, management_system_id=d.management_system_id)
        return [row for row in rows if row.expires_at is None or row.expires_at > d.as_of]

    return data.once("memberships_as_of", read)


def gather_members(data: PackData) -> None:
    data.parts["members"] = sorted(memberships_as_of(data), key=lambda m: (m.role, m.user_id))


# --- sign-offs --------------------------------------------------------------------------------


def signoffs_as_of(data: PackData) -> list[SignOff]:
    """Every sign-off recorded by the as-of moment, in chain order (read once per pack)."""
    return data.once(
        "signoffs",
        lambda d: list(
            SignOff.objects.filter(management_system_id=d.management_system_id, signed_at__lte=d.as_of)
            .select_related("subject_type")
            .order_by("sequence")
        ),
    )


def latest_sign_offs_as_of(data: PackData, kind: str) -> dict[int, SignOff]:
    """The latest sign-off of each subject of one kind by the as-of moment, by subject id."""
    latest: dict[int, SignOff] = {}
    for signoff in signoffs_as_of(data):
        if signoff.kind == kind:
            latest[signoff.subject_id] = signoff
    return latest


def gather_signoffs(data: PackData) -> None:
    """The sign-off chain by the as-of moment, each with what it signed, named as it was then."""
    signoffs = signoffs_as_of(data)
    if data.pack_scope.by_systems:  # a scoped pack leaves out what was signed for other AI systems only
        signoffs = [s for s in signoffs if not data.is_left_out(s.subject_type.model_class(), s.subject_id)]
        data.parts["signoffs"] = signoffs
    labels = _subject_labels(signoffs, data.as_of)
    for signoff in signoffs:
        signoff.kind_label = ledger.kind_label(signoff.kind)
        key = (signoff.subject_type_id, signoff.subject_id)
        signoff.subject_label = labels.get(key, f"{signoff.subject_type.name} #{signoff.subject_id}")


def _subject_labels(signoffs: list[SignOff], as_of: datetime) -> dict[tuple[int, int], str]:
    """Reference and title of each signed subject as it stood at the date (one query per kind of subject)."""
    by_type: dict[Any, set[int]] = defaultdict(set)
    for signoff in signoffs:
        by_type[signoff.subject_type].add(signoff.subject_id)
    labels: dict[tuple[int, int], str] = {}
    for content_type, ids in by_type.items():
        model = content_type.model_class()
        if model is None:
            continue
        if model is ManagementSystem:
            labels.update({(content_type.pk, pk): "The management system" for pk in ids})
            continue
        if not hasattr(model, "history"):
            continue
        for row in rows_as_of(model, as_of, id__in=ids):
            name = getattr(row, "title", "") or getattr(row, "name", "")
            labels[(content_type.pk, row.id)] = f"{getattr(row, 'reference', '')} {name}".strip()
    return labels


# --- changes since the previous pack --------------------------------------------------------------

CHANGE_LIMIT = 400
_NOT_COMPARED = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "updated_at",
    "version",
}


def tracked_models() -> list[type[models.Model]]:
    """Every versioned register model with a management system (for the change log)."""
    found: list[type[models.Model]] = [ManagementSystem, Membership]
    for model in apps.get_models():
        if issubclass(model, RegisterModel) and hasattr(model, "history") and not model._meta.abstract:
            found.append(model)
    return found


def gather_changes(data: PackData) -> None:
    """Who changed what between the previous pack of this kind (set by the packs app) and this one."""
    previous = data.parts.get("previous_pack")
    if previous is None:
        data.parts["changes"] = []
        return
    changes = []
    for model in tracked_models():
        key = "id" if model is ManagementSystem else "management_system_id"
        window = list(
            model.history.filter(
                **{key: data.management_system_id}, history_date__gt=previous.as_of, history_date__lte=data.as_of
            ).order_by("-history_date")[:CHANGE_LIMIT]
        )
        window = [row for row in window if not data.is_left_out(model, row.id)]  # other AI systems' records
        _mark_changed_fields(model, window, data.as_of)
        for row in window:
            row.model_label = str(model._meta.verbose_name)
            changes.append(row)
    changes.sort(key=lambda r: r.history_date, reverse=True)
    data.parts["changes_truncated"] = len(changes) > CHANGE_LIMIT
    data.parts["changes"] = changes[:CHANGE_LIMIT]


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


def register() -> None:
    """Declare the core's pack sections."""
    register_pack_section(
        "scope",
        title="Scope and organisation",
        clause="4.3",
        kinds=ALL_KINDS,
        order=11,
        gather=gather_scope,
        template="aims/pack/section_scope.html",
    )
    register_pack_section(
        "members",
        title="Register access",
        clause="",
        kinds={STAGE1, FULL},
        order=16,  # after roles and competence (15), sorted before the objectives (16) by key
        gather=gather_members,
        template="aims/pack/section_members.html",
    )
    register_pack_section(
        "signoffs",
        title="Sign-off chain",
        clause="5.1, 6.1.3",
        kinds=ALL_KINDS,
        order=92,
        gather=gather_signoffs,
        template="aims/pack/section_signoffs.html",
    )
    register_pack_section(
        "changes",
        title="Changes since the previous pack",
        clause="7.5.3",
        kinds={STAGE2, FULL},
        order=100,
        gather=gather_changes,
        template="aims/pack/section_changes.html",
    )
