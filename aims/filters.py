"""Filters of register lists: one FilterSet per list, shared by the list page and its API list endpoint.

An app's ``filters.py`` declares a ``RegisterFilterSet`` per list. The page builds it from
``request.GET`` with the management system it shows, renders ``filterset.form`` and lists
``filterset.qs``; the API list endpoint names it as ``filterset_class`` and
``DjangoFilterBackend`` builds it from the query string. So a parameter means the same on
both. An invalid value is a form error on the page (that filter is ignored) and a 400
naming the parameter on the API.

- ``SearchFilter``: ``q``, rows whose fields contain the text.
- ``YesNoFilter``: ``yes`` for the rows meeting a condition, ``no`` for the others.
- ``FlagFilter``: a checkbox; ``1``/``true``/``on`` or ``0``/``false``/``off``.
- ``IntegerFilter``: a whole number.
- ``MemberFilter``, ``RecordChoiceFilter``: a user or a register row by id, among the members
  or rows of the management system the list is about (see ``RegisterFilterSet.choice_systems``).
- ``StatusFilter``: ``status``, open records (the default), ``closed`` (retired or withdrawn)
  or ``all``, for registers whose records are retired rather than deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django_filters.fields import ModelChoiceField
from drf_spectacular.utils import extend_schema_field

from aims import access
from aims.forms import user_label
from aims.limits import parse_id
from aims.models import ManagementSystem
from aims.selectors import active_members

ANY = "Any"
YES_NO = [("yes", "Yes"), ("no", "No")]


class RegisterFilterSet(django_filters.FilterSet):
    """The filters of one register list. Give ``queryset`` (from the area's selector) and, on a page,
    the ``management_system`` shown; the API gives the ``request`` instead."""

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
        management_system: ManagementSystem | None = None,
    ) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.management_system = management_system

    def choice_systems(self) -> ManagementSystem | QuerySet[ManagementSystem]:
        """The management system whose members and rows may be chosen.

        A page's own; on the API the one ``?management_system=`` names, else any the user may
        read (the rows are scoped already, so a choice from another one simply matches nothing).
        """
        if self.management_system is not None:
            return self.management_system
        if self.request is None:
            return ManagementSystem.objects.none()
        visible = access.visible_management_systems(self.request.user)
        ms_id = parse_id(self.data.get("management_system"))
        return visible.filter(pk=ms_id) if ms_id else visible

    def applied(self) -> dict[str, Any]:
        """The filters that narrow the list, by name (invalid values are left out: the form shows them).

        The status (open or closed records) is a tab of the list, not a filter to clear.
        """
        self.is_valid()
        cleaned = getattr(self.form, "cleaned_data", {})
        return {name: value for name, value in cleaned.items() if value not in (None, "", False) and name != "status"}

    @property
    def status(self) -> str:
        """Which records the list shows: open (the default), closed or all."""
        self.is_valid()
        return getattr(self.form, "cleaned_data", {}).get("status") or "open"

    @property
    def is_filtered(self) -> bool:
        """Whether any filter narrows the list (the page then offers to clear them)."""
        return bool(self.applied())

    def hidden_choices(self) -> list[tuple[str, Any]]:
        """(label, record) of each record chosen by a hidden filter (an AI system by id, from a link to the list).

        The filter bar has no field to show them, so the page names them in a notice.
        """
        applied = self.applied()
        return [
            (field.label, applied[field.name])
            for field in self.form.hidden_fields()
            if isinstance(self.filters.get(field.name), RecordChoiceFilter) and field.name in applied
        ]


def _parent(filter_: django_filters.Filter) -> RegisterFilterSet | None:
    # Declared filters have no FilterSet; each FilterSet's copies do.
    return getattr(filter_, "parent", None)


def _describe(filter_: django_filters.Filter, openapi_type: str, description: str) -> None:
    # For the API schema only: a help_text would be announced on the page, where the filter bar shows none.
    extend_schema_field({"type": openapi_type, "description": description})(filter_)


class SearchFilter(django_filters.CharFilter):
    """``q``: rows containing the text (case-insensitive) in any of the given fields."""

    def __init__(self, *fields: str, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Search")
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("widget", forms.SearchInput)
        super().__init__(**kwargs)
        self.search_fields = fields
        _describe(self, "string", f"Text contained in any of: {', '.join(fields)} (case-insensitive).")

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if not value:
            return qs
        match = Q()
        for field in self.search_fields:
            match |= Q(**{f"{field}__icontains": value})
        return qs.filter(match)


class YesNoFilter(django_filters.ChoiceFilter):
    """``yes``: rows meeting ``condition()``; ``no``: the other rows."""

    def __init__(self, condition: Callable[[], Any], **kwargs: Any) -> None:
        kwargs.setdefault("choices", YES_NO)
        kwargs.setdefault("empty_label", ANY)
        super().__init__(**kwargs)
        self.condition = condition  # called per request: conditions may depend on today's date

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value == "yes":
            return qs.filter(self.condition())
        if value == "no":
            return qs.exclude(self.condition())
        return qs


ON = {"1", "true", "on", "yes"}
OFF = {"", "0", "false", "off", "no"}


def _is_on(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ON


class FlagInput(forms.CheckboxInput):
    """A checkbox that hands the raw value to its field (a plain checkbox reads any text as ticked)."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, check_test=_is_on)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)

    def format_value(self, value: Any) -> str:
        return "1"


class FlagField(forms.BooleanField):
    """True for ``1``/``true``/``on``/``yes``, false for ``0``/``false``/``off``/``no`` or nothing; else invalid."""

    widget = FlagInput
    default_error_messages = {"invalid": "Enter 1 (or true) or 0 (or false)."}

    def to_python(self, value: Any) -> bool:
        if value is None or isinstance(value, bool):
            return bool(value)
        text = str(value).strip().lower()
        if text not in ON | OFF:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return text in ON


class FlagFilter(django_filters.BooleanFilter):
    field_class = FlagField

    def __init__(self, *args: Any, description: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _describe(self, "boolean", description)


STATUS_CHOICES = [("open", "Open"), ("closed", "Closed or withdrawn"), ("all", "Open and closed")]


class StatusFilter(django_filters.ChoiceFilter):
    """``status``: open records unless asked for ``closed`` (retired or withdrawn) ones, or ``all``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Status")
        kwargs.setdefault("choices", STATUS_CHOICES)
        kwargs.setdefault("widget", forms.HiddenInput)  # pages show it as tabs above the list
        super().__init__(**kwargs)
        _describe(self, "string", "open (default), closed (retired or withdrawn) or all.")

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value == "all":
            return qs
        return qs.filter(retired_at__isnull=value != "closed")


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class MemberChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return user_label(obj)


class MemberFilter(django_filters.ModelChoiceFilter):
    """A user by id, among the active members of the list's management system."""

    field_class = MemberChoiceField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", ANY)
        super().__init__(*args, **kwargs)
        _describe(self, "integer", f"{self.label}: the id of a member of the management system.")

    def get_queryset(self, request: Any) -> QuerySet:
        parent = _parent(self)
        return active_members(parent.choice_systems()) if parent else get_user_model().objects.none()


class RecordChoiceFilter(django_filters.ModelChoiceFilter):
    """A register row by id (an AI system, say), among the rows of the list's management system."""

    def __init__(self, model: type, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", ANY)
        super().__init__(*args, **kwargs)
        self.record_model = model
        _describe(
            self,
            "integer",
            f"{self.label}: the id of one of the management system's {model._meta.verbose_name_plural}.",
        )

    def get_queryset(self, request: Any) -> QuerySet:
        parent = _parent(self)
        if parent is None:
            return self.record_model.objects.none()
        systems = parent.choice_systems()
        lookup = "management_system__in" if isinstance(systems, QuerySet) else "management_system"
        return self.record_model.objects.filter(**{lookup: systems}).order_by("reference")
