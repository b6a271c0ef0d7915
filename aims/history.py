"""Versioned registers: writing one history row per change, and reading field-level diffs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import F, Q, QuerySet, Value, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest
from simple_history.manager import HistoryDescriptor
from simple_history.models import HistoricalRecords


class CachedHistoryDescriptor(HistoryDescriptor):
    """simple-history's ``Model.history`` descriptor, building its manager class once.

    The stock descriptor calls ``Manager.from_queryset`` on every access, which creates a class by
    introspecting the queryset's methods (``inspect.getmembers``): about 0.3 ms each time, and a
    record's page reads ``.history`` a dozen times (diffs, sign-off status, last editor).
    """

    def __get__(self, instance: Any, owner: Any) -> Any:
        manager_class = self.__dict__.get("_manager_class")
        if manager_class is None:
            manager_class = self._manager_class = self.manager_class.from_queryset(self.queryset_class)
        return manager_class(self.model, instance)


def cache_history_descriptors(cls: type) -> None:
    """Swap the stock ``HistoryDescriptor`` attributes of a class for ``CachedHistoryDescriptor``."""
    for name, value in list(vars(cls).items()):
        if type(value) is HistoryDescriptor:
            setattr(cls, name, CachedHistoryDescriptor(value.model, value.manager_class, value.queryset_class))


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
            cache_history_descriptors(sender)  # Model.history
            cache_history_descriptors(getattr(sender, sender._meta.simple_history_manager_attribute).model)  # m2m


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
_SKIPPED = ("updated_at", "version", "created_at")

HISTORY_PAGE_SIZE = 50
"""Versions on one page of a history, page or API."""

HISTORY_PAGE_PARAM = "history_page"
"""The query parameter of a history page's pager (the page's own lists keep ``page``)."""


def versions_of(history_rows: Any, model: type[models.Model], *, older: Any = ()) -> list[Version]:
    """Turn history rows (newest first) into versions with field-level diffs.

    Each row is diffed against the previous row of the same record: the next one of that record
    in ``history_rows``, else in ``older`` (rows shown by no version, only diffed against, such
    as the row just before a page). The queries do not depend on the number of rows: the
    many-to-many links of all rows in one query per versioned many-to-many field, and the
    names shown in one query per changed relation (users come with the rows: select them).
    """
    rows = list(history_rows)
    bases = rows + [row for row in older if row is not None]
    m2m_fields = {name: model._meta.get_field(name) for name in getattr(model, "_history_m2m_fields", [])}
    fields = _diffed_fields(model, m2m_fields)
    previous = _previous_rows(bases)
    links = _links_of_fields(model, list(m2m_fields), [row.history_id for row in bases])
    raw: list[tuple[Any, list[tuple[str, Any, Any]]]] = []
    for row in rows:
        before = previous.get(row.history_id)
        changes: list[tuple[str, Any, Any]] = []
        if before is not None:
            for field in fields:
                old, new = getattr(before, field.attname), getattr(row, field.attname)
                if old != new:
                    changes.append((field.name, old, new))
            for name in m2m_fields:
                old, new = links[name].get(before.history_id, []), links[name].get(row.history_id, [])
                if old != new:
                    changes.append((name, old, new))
            changes.sort(key=lambda change: change[0])
        raw.append((row, changes))
    names = _related_names(model, m2m_fields, [change for _row, changes in raw for change in changes])
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


def history_page(
    history_rows: QuerySet,
    model: type[models.Model],
    number: Any,
    *,
    per_page: int = HISTORY_PAGE_SIZE,
    invalid: str = "clamp",
) -> Page:
    """One page (``number``, 1-based) of a history, newest first, as a ``Page`` of versions.

    Queries: the count, the page's rows with the one row before the page (so the oldest version
    on the page is diffed), and, for a history of several records, the previous row of each
    record whose previous row is not among them; then what ``versions_of`` reads. A page number
    out of range gives the last page (not a number: the first), as the project's lists do;
    ``invalid="raise"`` raises ``InvalidPage`` instead (the API's 404).
    """
    paginator = Paginator(history_rows, per_page)
    page = paginator.page(number) if invalid == "raise" else paginator.get_page(number)
    versions_on(page, model)
    return page


def paged_history(
    request: HttpRequest, history_rows: QuerySet, model: type[models.Model], *, param: str = HISTORY_PAGE_PARAM
) -> Page:
    """The page of a history a detail page shows (``?<param>=N``), with its pager's links.

    ``partials/history.html`` shows the versions and, past one page, a pager whose links keep the
    page's other query parameters: ``previous_query`` (newer versions) and ``next_query`` (older).
    """
    page = history_page(history_rows, model, request.GET.get(param))
    page.previous_query = _with(request, param, page.previous_page_number()) if page.has_previous() else ""
    page.next_query = _with(request, param, page.next_page_number()) if page.has_next() else ""
    return page


def paged_rows(request: HttpRequest, history_rows: QuerySet, *, param: str, per_page: int = HISTORY_PAGE_SIZE) -> Page:
    """One page (``?<param>=N``) of a child table's history rows, newest first, with its pager's links.

    For the changes to a record's child rows (an audit's checks, a risk's treatment actions ...),
    listed as rows rather than diffed: two queries (the count and the page), whatever the number
    of changes, as long as ``history_rows`` selects what the table shows. Out of range: the last
    page; not a number: the first. ``partials/history_pager.html`` shows the pager.
    """
    page = Paginator(history_rows, per_page).get_page(request.GET.get(param))
    page.previous_query = _with(request, param, page.previous_page_number()) if page.has_previous() else ""
    page.next_query = _with(request, param, page.next_page_number()) if page.has_next() else ""
    return page


def _with(request: HttpRequest, param: str, number: int) -> str:
    query = request.GET.copy()
    query[param] = str(number)
    return f"?{query.urlencode()}"


def versions_on(page: Page, model: type[models.Model]) -> list[Version]:
    """Replace a history ``Page``'s rows by their versions (see ``history_page``) and return them."""
    paginator = page.paginator
    queryset = paginator.object_list
    bottom = (page.number - 1) * paginator.per_page
    fetched = list(queryset[bottom : bottom + paginator.per_page + 1])
    rows, older = fetched[: paginator.per_page], fetched[paginator.per_page :]
    if older:
        older = older + _previous_of_records(queryset, rows, older)
    page.object_list = versions_of(rows, model, older=older)
    return page.object_list


def _previous_of_records(queryset: QuerySet, rows: list[Any], older: list[Any]) -> list[Any]:
    """The latest row before ``older[-1]`` of each record on the page that has no previous row fetched."""
    known = {row.id for row in older}
    seen: set[Any] = set()
    wanted: set[Any] = set()
    for row in reversed(rows):  # oldest first: a record's oldest row on the page comes first
        if row.id not in seen and row.id not in known and row.history_type != "+":
            wanted.add(row.id)
        seen.add(row.id)
    if not wanted:
        return []
    last = older[-1]
    before = Q(history_date__lt=last.history_date) | Q(history_date=last.history_date, history_id__lt=last.history_id)
    newest = Window(RowNumber(), partition_by=[F("id")], order_by=[F("history_date").desc(), F("history_id").desc()])
    return list(queryset.filter(before, id__in=wanted).annotate(_newest=newest).filter(_newest=1))


def _diffed_fields(model: type[models.Model], m2m_fields: dict[str, Any]) -> list[models.Field]:
    """The fields a diff compares: as simple-history's ``diff_against``, the tracked editable fields."""
    tracked = model.history.model.tracked_fields
    return [f for f in tracked if f.editable and f.name not in m2m_fields and f.name not in _SKIPPED]


def _previous_rows(rows: list[Any]) -> dict[int, Any]:
    """history_id -> the next older row of the same record in ``rows`` (newest first)."""
    previous: dict[int, Any] = {}
    newer: dict[Any, Any] = {}
    for row in reversed(rows):
        if row.id in newer:
            previous[row.history_id] = newer[row.id]
        newer[row.id] = row
    return previous


def m2m_history_links(model: type[models.Model], name: str) -> QuerySet:
    """Every version's links of a versioned many-to-many field: rows of ``history_id`` and ``<target model>_id``."""
    history_model = model.history.model
    return history_model._meta.get_field(f"{history_model._meta.model_name}_{name}").related_model.objects.all()


def _links_by_history(model: type[models.Model], name: str, history_ids: list[int]) -> dict[int, list[int]]:
    """history_id -> the sorted ids a versioned many-to-many field linked to at that version (one query)."""
    return _links_of_fields(model, [name], history_ids)[name]


def _links_of_fields(model: type[models.Model], names: list[str], history_ids: list[int]) -> dict[str, Any]:
    """field name -> ``_links_by_history`` of that field: one query for all the fields (a UNION ALL)."""
    if not history_ids or not names:
        return {name: {} for name in names}
    parts = []
    for number, name in enumerate(names):
        target = model._meta.get_field(name).related_model._meta.model_name
        if target == model._meta.model_name:
            target = f"to_{target}"
        rows = m2m_history_links(model, name).filter(history_id__in=history_ids).order_by()
        parts.append(rows.values_list("history_id", f"{target}_id").annotate(field=Value(number)))
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    links: list[dict[int, list[int]]] = [{} for _name in names]
    for history_id, target_id, number in query:
        links[number].setdefault(history_id, []).append(target_id)
    return {
        name: {history_id: sorted(ids) for history_id, ids in by_history.items()}
        for name, by_history in zip(names, links, strict=True)
    }


def _related_names(
    model: type[models.Model], m2m_fields: dict[str, Any], changes: list[tuple[str, Any, Any]]
) -> dict[str, dict[Any, str]]:
    """field name -> {id: str(object)} for the relations the changes mention: one query per field."""
    wanted: dict[str, set[Any]] = {}
    for name, old, new in changes:
        field = model._meta.get_field(name)
        if name in m2m_fields:
            wanted.setdefault(name, set()).update(old + new)
        elif field.is_relation and field.many_to_one and not field.choices:
            wanted.setdefault(name, set()).update(v for v in (old, new) if v is not None)
    names: dict[str, dict[Any, str]] = {}
    for name, ids in wanted.items():
        related = model._meta.get_field(name).related_model
        names[name] = {obj.pk: str(obj) for obj in related._default_manager.filter(pk__in=ids)} if ids else {}
    return names


def _field_change(model, m2m_fields, names, field_name: str, old: Any, new: Any) -> FieldChange:
    field = model._meta.get_field(field_name)
    label = str(field.verbose_name)
    if field_name in m2m_fields:
        lookup = names.get(field_name, {})

        def show(ids: list[int]) -> str:
            return ", ".join(sorted(lookup.get(i, f"#{i} (deleted)") for i in ids)) or "(none)"

        return FieldChange(field_name, label, show(old), show(new))
    if field.choices:
        choices = dict(field.flatchoices)
        return FieldChange(field_name, label, choices.get(old, old), choices.get(new, new))
    if field.is_relation and field.many_to_one:
        lookup = names.get(field_name, {})
        return FieldChange(field_name, label, lookup.get(old, old), lookup.get(new, new))
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
    by_history = _links_by_history(model, name, [row.history_id for row in rows])
    return {row.id: by_history[row.history_id] for row in rows if row.history_id in by_history}


def by_id(rows: Any) -> dict[int, Any]:
    """Rows keyed by their record id."""
    return {row.id: row for row in rows}


def split_closed(rows: list[Any]) -> tuple[list[Any], list[Any]]:
    """(open, closed): records (or history rows) retired or withdrawn go to the second list."""
    open_rows = [row for row in rows if getattr(row, "retired_at", None) is None]
    closed = [row for row in rows if getattr(row, "retired_at", None) is not None]
    return open_rows, closed
