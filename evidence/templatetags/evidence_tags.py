"""Template tags other areas use to show the evidence linked to their records, with its age."""

from __future__ import annotations

from typing import Any

from django import template

from evidence import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def evidence_of(context: template.Context, record: Any) -> list:
    """Current evidence of one record; one query per page and kind of record, however many rows.

    For a table of records of one model (the SoA's rows, say), the evidence of every record
    of that model in the management system is read once and kept on the request.
    """
    request = context.get("request")
    if request is None:
        return selectors.evidence_for(record)
    cache = request.__dict__.setdefault("_evidence_by_target", {})
    key = (type(record), record.management_system_id)
    if key not in cache:
        cache[key] = selectors.evidence_by_target(type(record), management_system_id=record.management_system_id)
    return cache[key].get(record.pk, [])


@register.inclusion_tag("evidence/partials/evidence_panel.html", takes_context=True)
def evidence_panel(context: template.Context, record: Any) -> dict:
    """A record page's evidence list, with each item's age and stale flag."""
    return {
        "evidence_rows": selectors.evidence_panel_rows(record),
        "request": context.get("request"),
    }
