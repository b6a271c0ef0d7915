"""What evidence can be linked to: a registry each app fills for its own records.

Evidence imports no feature app. An app that owns records evidence may point at declares
them from its ``AppConfig.ready()``::

    import evidence

    evidence.register_linkable(
        AISystem,
        key="ai_systems",                 # the form and API field holding the linked ids
        label="AI systems",
        order=10,
        url=lambda system: reverse("registers:ai_system_detail", args=[system.management_system_id, system.pk]),
    )

The evidence form, its API serializer, its detail page and the pack's evidence references
are all built from these declarations, so a new register becomes linkable without a
change to this app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet


@dataclass(frozen=True)
class Linkable:
    """One kind of record evidence may be linked to."""

    key: str
    model: type[models.Model]
    label: str
    order: int = 100
    choices: Callable[[Any], QuerySet] | None = None
    describe: Callable[[Any], str] | None = None
    url: Callable[[Any], str | None] | None = None
    help_text: str = ""
    compact: bool = False

    def queryset(self, management_system: Any) -> QuerySet:
        """The records of a management system that evidence may be linked to (for forms and the API)."""
        if self.choices is not None:
            return self.choices(management_system)
        return self.model._default_manager.filter(management_system=management_system).order_by("reference")

    def text(self, obj: Any) -> str:
        return self.describe(obj) if self.describe else str(obj)

    def link(self, obj: Any) -> str | None:
        return self.url(obj) if self.url else None


_LINKABLES: dict[str, Linkable] = {}


def register_linkable(
    model: type[models.Model],
    *,
    key: str,
    label: str,
    order: int = 100,
    choices: Callable[[Any], QuerySet] | None = None,
    describe: Callable[[Any], str] | None = None,
    url: Callable[[Any], str | None] | None = None,
    help_text: str = "",
    compact: bool = False,
) -> Linkable:
    """Let evidence be linked to records of ``model`` (registering a key again replaces it).

    ``compact`` shows the choice as a multi-select list rather than checkboxes (long lists).
    """
    spec = Linkable(key, model, label, order, choices, describe, url, help_text, compact)
    _LINKABLES[key] = spec
    return spec


def linkables() -> list[Linkable]:
    """Every linkable kind, in display order."""
    return sorted(_LINKABLES.values(), key=lambda s: (s.order, s.key))


def linkable(key: str) -> Linkable:
    """The linkable kind registered under a key, or LookupError."""
    try:
        return _LINKABLES[key]
    except KeyError:
        raise LookupError(f"Evidence cannot be linked to {key!r}: no such kind is registered.") from None


def linkable_for(model: type[models.Model]) -> Linkable | None:
    """The linkable kind of a model, if it is one."""
    return next((spec for spec in _LINKABLES.values() if spec.model is model), None)
