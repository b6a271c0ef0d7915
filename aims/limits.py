"""Limits on what a request may carry, shared by forms, serializers and parsers.

Every text field a person types into has a maximum length: the model's own for short
fields (``CharField``), ``TEXT_MAX`` for free text (``TextField``: a description, a
justification, a scope). JSON bodies and JSON files may nest at most ``JSON_MAX_DEPTH``
levels, far more than any record needs and far less than would exhaust the parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator

TEXT_MAX = 10_000  # characters of one free-text field
JSON_MAX_DEPTH = 32  # levels of nested arrays and objects
ID_MAX = 2**63 - 1  # the largest id a database column holds (a signed 64-bit integer)


def cap_text_fields(fields: Mapping[str, forms.Field], limit: int = TEXT_MAX) -> None:
    """Give every text field of a form that has no maximum length the shared one."""
    for field in fields.values():
        if isinstance(field, forms.CharField) and field.max_length is None:
            field.max_length = limit
            field.validators.append(MaxLengthValidator(limit))
            if not field.widget.is_hidden:
                field.widget.attrs.setdefault("maxlength", str(limit))


class TextLimitsFormMixin:
    """A form whose text fields without a maximum length get ``TEXT_MAX``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cap_text_fields(self.fields)


def parse_id(raw: object) -> int | None:
    """The id a query string names: a whole number in ASCII digits that fits a database id, else None.

    ``str.isdigit`` alone also accepts digits such as "²" that ``int`` refuses, ``int`` refuses
    more than 4300 digits, and a number past ``ID_MAX`` overflows the database driver: each
    would be a server error.
    """
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(ID_MAX)):
        return None
    value = int(text)
    return value if 0 < value <= ID_MAX else None


def json_problem(value: Any) -> str | None:
    """What makes parsed JSON unfit to store, or None: nesting past ``JSON_MAX_DEPTH``, or a NUL character.

    PostgreSQL refuses NUL (``\\u0000``) in ``jsonb`` and in text, so it would be a server error.
    """
    if json_depth_exceeds(value):
        return f"Nested arrays or objects go more than {JSON_MAX_DEPTH} levels deep."
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "Text may not contain NUL characters."
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


def json_depth_exceeds(value: Any, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether parsed JSON nests arrays and objects more than ``limit`` levels deep (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
