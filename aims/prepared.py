"""Queries on a hot path compiled once and run again with new values, skipping the ORM's compiler.

Building and compiling a QuerySet costs more CPU than the query itself when the query is small and
the database is near (a fraction of a millisecond each time). The governed gateway runs the same
few lookups on every model call; ``Prepared`` compiles such a query once per database connection,
with stand-in values, and afterwards only swaps in the real values and applies the backend's
converters to the rows, exactly as ``values_list`` would.

A prepared query is a ``values_list`` QuerySet built by a function of its parameters. Its
parameters must reach the SQL as they are (integers and strings compared with ``=``), so that
each stand-in can be found among the compiled parameters and replaced: pick stand-ins no real
value equals.

``instance(model, names, values)`` builds a model instance from a slice of a row, as the ORM
does for ``select_related``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, models
from django.db.models import QuerySet

__all__ = ["Prepared", "columns", "instance"]


class Prepared:
    """A ``values_list`` query compiled once per connection and re-run with new parameter values."""

    def __init__(self, build: Callable[..., QuerySet], *stand_ins: Any) -> None:
        self.build = build
        self.stand_ins = stand_ins
        self._compiled: dict[int, tuple[Any, str, list[Any], list[int], list]] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple[str, list[Any], list[int], Any, list]:
        connection = connections[alias]
        key = id(connection)
        compiled = self._compiled.get(key)
        if compiled is not None and compiled[0] is connection:
            return compiled[1:]
        queryset = self.build(*self.stand_ins)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        positions = []
        for stand_in in self.stand_ins:
            found = [i for i, value in enumerate(params) if value == stand_in and type(value) is type(stand_in)]
            if len(found) != 1:
                raise ValueError(f"Stand-in {stand_in!r} appears {len(found)} times in the compiled query.")
            positions.append(found[0])
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        with self._lock:
            self._compiled[key] = (connection, sql, params, positions, compiler, converters)
        return sql, params, positions, compiler, converters

    def rows(self, *values: Any, using: str = "default") -> list[tuple]:
        """The rows of the query with these values in place of the stand-ins."""
        if len(values) != len(self.stand_ins):
            raise TypeError(f"Expected {len(self.stand_ins)} values, got {len(values)}.")
        sql, template, positions, compiler, converters = self._compile(using)
        params = list(template)
        for position, value in zip(positions, values, strict=True):
            params[position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows

    def first(self, *values: Any, using: str = "default") -> tuple | None:
        rows = self.rows(*values, using=using)
        return rows[0] if rows else None


def columns(model: type[models.Model], prefix: str = "") -> list[str]:
    """The lookups of a model's concrete fields (attribute names), under ``prefix`` when it is related."""
    return [f"{prefix}{field.attname}" for field in model._meta.concrete_fields]


def instance(model: type[models.Model], row: Sequence[Any], start: int = 0, using: str = "default") -> models.Model:
    """The model instance of ``row[start:]``'s concrete fields, as ``QuerySet`` would build it."""
    names = [field.attname for field in model._meta.concrete_fields]
    return model.from_db(using, names, list(row[start : start + len(names)]))
