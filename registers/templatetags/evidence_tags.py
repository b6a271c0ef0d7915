"""Template tags other areas use to show evidence and its age (SoA rows, AI systems)."""

from __future__ import annotations

from typing import Any

from django import template

from registers import evidence_selectors as selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def soa_row_evidence(context: template.Context, row: Any, management_system: Any) -> list:
    """Current evidence of one SoA row; one query per page, however many rows."""
    request = context.get("request")
    cache = request.__dict__.setdefault("_evidence_by_soa_row", {}) if request is not None else {}
    if management_system.pk not in cache:
        cache[management_system.pk] = selectors.evidence_by_soa_row(management_system=management_system)
    return cache[management_system.pk].get(row.pk, [])


@register.inclusion_tag("evidence/partials/evidence_panel.html", takes_context=True)
def ai_system_evidence(context: template.Context, ai_system: Any) -> dict:
    """The AI system page's evidence list with each item's age and stale flag."""
    return {
        "evidence_rows": selectors.evidence_for_ai_system(ai_system),
        "ms": ai_system.management_system,
        "request": context.get("request"),
    }
