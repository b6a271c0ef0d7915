"""The kit's template filters: how the register shows a plain value."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

register = template.Library()

EMPTY = mark_safe('<span class="muted">(empty)</span>')


@register.filter
def shown(value: Any) -> SafeString:
    """A value as the register shows it: Yes or No for a boolean, "(empty)" for nothing, else the value.

    Rendered as ``{{ value }}`` renders it (local time, localized, escaped). A filter rather than an
    included template: a history page shows two values per changed field, and an include per cell
    cost about three times as much.
    """
    if value is True:
        return mark_safe("Yes")
    if value is False:
        return mark_safe("No")
    if value is None or value == "":
        return EMPTY
    return conditional_escape(localize(template_localtime(value)))
