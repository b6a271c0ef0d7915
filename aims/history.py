"""Versioned registers: writing one history row per change, and reading field-level diffs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from simple_history.models import HistoricalRecords


class RegisterHistory(HistoricalRecords):
    """HistoricalRecords that lets services write exactly one history row per change.

    Services save the row and its many-to-many links with history switched off, then
    call ``record_version`` once, so a form save is one version, links included.
    """

    def finalize(self, sender: type[models.Model], **kwargs: Any) -> None:
        before = hasattr(sender._meta, "simple_history_manager_attribute")
        super().finalize(sender, **kwargs)
        if not before and hasattr(sender._meta, "simple_history_manager_attribute"):
            sender._register_history = self


def record_version(instance: models.Model, *, created: bool) -> None:
    """Write one history row for the instance's current state (links included)."""
    type(instance)._register_history.create_historical_record(instance, "+" if created else "~")


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Version:
    history_id: int
    date: datetime
    user: Any
    reason: str
    kind: str
    changes: list[FieldChange]
    record: Any


_KINDS = {"+": "Created", "~": "Changed", "-": "Deleted"}


def _display(record: Any, field: models.Field, value: Any) -> Any:
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def versions_of(history_rows: list[Any], model: type[models.Model]) -> list[Version]:
    """Turn history rows (newest first) into versions with field-level diffs."""
    rows = list(history_rows)
    m2m_fields = {name: model._meta.get_field(name) for name in getattr(model, "_history_m2m_fields", [])}
    skip = ["updated_at", "version", "created_at"]
    raw: list[tuple[Any, list[tuple[str, Any, Any]]]] = []
    linked_ids: dict[str, set[int]] = {name: set() for name in m2m_fields}
    for index, row in enumerate(rows):
        previous = rows[index + 1] if index + 1 < len(rows) else None
        changes: list[tuple[str, Any, Any]] = []
        if previous is not None:
            for change in row.diff_against(previous, excluded_fields=skip).changes:
                if change.field in m2m_fields:
                    target = m2m_fields[change.field].m2m_reverse_field_name()
                    old = [r[target] for r in change.old]
                    new = [r[target] for r in change.new]
                    linked_ids[change.field].update(old + new)
                    changes.append((change.field, old, new))
                else:
                    changes.append((change.field, change.old, change.new))
        raw.append((row, changes))
    names = _linked_names(m2m_fields, linked_ids)
    return [
        Version(
            history_id=row.history_id,
            date=row.history_date,
            user=row.history_user,
            reason=row.history_change_reason or "",
            kind=_KINDS.get(row.history_type, row.history_type),
            changes=[_field_change(model, m2m_fields, names, *change) for change in changes],
            record=row,
        )
        for row, changes in raw
    ]


def _linked_names(m2m_fields: dict[str, Any], linked_ids: dict[str, set[int]]) -> dict[str, dict[int, str]]:
    names: dict[str, dict[int, str]] = {}
    for name, field in m2m_fields.items():
        ids = linked_ids[name]
        objects = field.related_model._default_manager.filter(pk__in=ids) if ids else []
        names[name] = {obj.pk: str(obj) for obj in objects}
    return names


def _field_change(model, m2m_fields, names, field_name: str, old: Any, new: Any) -> FieldChange:
    field = model._meta.get_field(field_name)
    label = str(field.verbose_name)
    if field_name in m2m_fields:
        lookup = names[field_name]

        def show(ids: list[int]) -> str:
            return ", ".join(sorted(lookup.get(i, f"#{i} (deleted)") for i in ids)) or "(none)"

        return FieldChange(field_name, label, show(old), show(new))
    if field.choices:
        choices = dict(field.flatchoices)
        return FieldChange(field_name, label, choices.get(old, old), choices.get(new, new))
    if field.is_relation and field.many_to_one:
        related = {
            obj.pk: str(obj) for obj in field.related_model._default_manager.filter(pk__in=[v for v in (old, new) if v])
        }
        return FieldChange(field_name, label, related.get(old, old), related.get(new, new))
    return FieldChange(field_name, label, old, new)


# --- reading registers as they were at a moment ---------------------------------------------


def rows_as_of(model: type[models.Model], as_of: datetime, **filters: Any) -> list[Any]:
    """The latest history row of each record at as_of (deleted records dropped), by reference."""
    qs = model.history.filter(history_date__lte=as_of, **filters).latest_of_each()
    order = "reference" if any(f.name == "reference" for f in model._meta.fields) else "id"
    return [row for row in qs.order_by(order, "id") if row.history_type != "-"]


def links_as_of(model: type[models.Model], name: str, rows: Any) -> dict[int, list[int]]:
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
    links: dict[int, list[int]] = {}
    for history_id, target_id in through.objects.filter(history_id__in=list(by_history)).values_list(
        "history_id", f"{target}_id"
    ):
        links.setdefault(by_history[history_id], []).append(target_id)
    return links


def by_id(rows: Any) -> dict[int, Any]:
    """Rows keyed by their record id."""
    return {row.id: row for row in rows}


def split_closed(rows: list[Any]) -> tuple[list[Any], list[Any]]:
    """(open, closed): records (or history rows) retired or withdrawn go to the second list."""
    open_rows = [row for row in rows if getattr(row, "retired_at", None) is None]
    closed = [row for row in rows if getattr(row, "retired_at", None) is not None]
    return open_rows, closed
