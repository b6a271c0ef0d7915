"""URLs of many records of one kind, reversed once: a page naming hundreds of records does not reverse each."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

_ANY_PK = 2147483647  # stands for the record's id in the URL reversed once, then replaced by each id


def url_maker(name: str, *args: object) -> Callable[[object], str]:
    """A function of a record's id giving ``reverse(name, args=[*args, id])``, reversed once.

    The stand-in id is a number no prefix of the path contains (the management system's id comes
    first and is never that large), so replacing it names exactly the record's id.
    """
    pattern = reverse(name, args=[*args, _ANY_PK])
    marker = str(_ANY_PK)
    if pattern.count(marker) != 1:
        raise ValueError(f"Cannot make URLs of {name} from {pattern}.")
    head, tail = pattern.split(marker)
    return lambda pk: f"{head}{pk}{tail}"
