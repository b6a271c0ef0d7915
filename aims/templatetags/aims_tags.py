"""The kit's template filters: how the register shows a plain value."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.dates import MONTHS_3
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
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


@register.filter(expects_localtime=True)
def moment(value: Any) -> SafeString | str:
    """A moment as the register shows one: ``<time datetime="2026-12-02T05:35:54+00:00">2 Dec 2026, 05:35</time>``.

    The markup of ``<time datetime="{{ value|date:'c' }}">{{ value|date:"j M Y, H:i" }}</time>``
    (local time, the month's abbreviation as Django names it), written directly: formatting through
    ``DateFormat`` twice cost about sixty microseconds, and a history page shows fifty moments.
    """
    if not isinstance(value, datetime):
        return date_filter(value, "j M Y") if value else ""
    label = f"{value.day} {MONTHS_3[value.month].title()} {value.year:04d}, {value.hour:02d}:{value.minute:02d}"
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), label)
