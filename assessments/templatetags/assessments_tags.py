"""Template tags other areas use to show risk information (the SoA rows' risks, an AI system's impact)."""

from __future__ import annotations

from typing import Any

from django import template

from assessments import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def soa_risks(context: template.Context, control: Any, management_system: Any) -> Any:
    """The risks linked to an SoA row's control, in brief (the first few, how many, where the rest are).

    Two queries per page however many rows and risks: read for every control at the first row and
    kept on the request (each row is rendered through its own ``{% include %}``).
    """
    request = context["request"]
    cache = request.__dict__.setdefault("_assessments_soa_risks", {})
    if management_system.pk not in cache:
        cache[management_system.pk] = selectors.soa_risks_by_control(
            user=request.user, management_system=management_system
        )
    return cache[management_system.pk].get(control.pk)


@register.inclusion_tag("assessments/partials/ai_system_impact.html", takes_context=True)
def ai_system_impact(context: template.Context, ai_system: Any) -> dict:
    """The AI system page's box: its latest impact assessment, the decision, approval and whether review is overdue."""
    request = context["request"]
    from aims import access

    return selectors.ai_system_impact_context(user=request.user, ai_system=ai_system) | {
        "can_create_assessment": access.can(request.user, access.Action.CREATE, ai_system.management_system),
        "request": request,
    }


@register.filter
def people_label(scale: list, value: int) -> str:
    """The label of a number-of-people rating on an impact criteria scale."""
    try:
        return scale[int(value) - 1].get("label", "")
    except (IndexError, TypeError, ValueError, AttributeError):
        return ""
