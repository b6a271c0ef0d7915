"""Append-only hash chains of flat records, for any model: append under a per-chain lock, verify in constant memory.

A chain is the rows of one model that share the values of its ``key_fields`` (the gateway's
events of one AI system), numbered from 1 by ``sequence``. Each row holds the ``previous_digest``
of the row before it (``GENESIS_DIGEST`` for the first) and its own ``digest``: SHA-256 over the
canonical encoding of its ``fields`` plus the key, the sequence and the previous digest. Changing
a row breaks its digest, removing one leaves a sequence gap, reordering breaks a chain link.

How a model plugs in (the gateway's event ledger in ``gateway.ledger``)::

    EVENTS = chain.Chain(model=GatewayEvent, key_fields=("ai_system_id",), fields=("type", "occurred_at", ...))
    event = chain.append(EVENTS, key={"ai_system_id": 7}, values={"type": "call", ...})
    result = chain.verify(EVENTS, GatewayEvent.objects.filter(management_system=ms))

``append`` takes a transaction-scoped lock on the chain (PostgreSQL: ``pg_advisory_xact_lock`` on
a hash of the chain's key; SQLite serialises writing transactions itself), reads the head and
inserts the next row, so concurrent appends to one chain keep one unbroken chain. ``verify``
streams the raw rows of a ``values_list`` query ordered by key and sequence in chunks (a
server-side cursor on PostgreSQL) and never holds more than one chunk; it encodes each chunk a
column at a time into exactly the bytes ``encode`` gives, without building a dict per row. Rows are only ever inserted: the models refuse updates, and each app's migration adds
PostgreSQL triggers refusing UPDATE and DELETE (``aims.append_only``).

``register_chain_verifier(name, verify)`` lets ``manage.py verify_ledger`` check an app's chains
without ``aims`` importing the app.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache, partial
from itertools import compress, count
from json.encoder import encode_basestring as _json_string
from operator import attrgetter, methodcaller, ne
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models, transaction
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime

from aims.ledger import plain

GENESIS_DIGEST = "0" * 64
_DIGEST_FIELD, _PREVIOUS_FIELD, _SEQUENCE_FIELD = "digest", "previous_digest", "sequence"
_SIMPLE = (str, int, bool, type(None))
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Chain:
    """Which model holds a kind of chain, what identifies one chain in it and which fields each digest covers."""

    model: type[models.Model]
    key_fields: tuple[str, ...]
    fields: tuple[str, ...]
    label: str = "entry"

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns verification reads: id, key, sequence, links, then the digested fields."""
        return ("pk", *self.key_fields, _SEQUENCE_FIELD, _PREVIOUS_FIELD, _DIGEST_FIELD, *self.fields)


@dataclass(frozen=True)
class BrokenEntry:
    """The first entry that does not verify: its chain, sequence, id, why and in words."""

    key: tuple[Any, ...]
    sequence: int
    pk: Any
    reason: str  # "digest mismatch", "chain link mismatch" or "sequence gap"
    detail: str


@dataclass
class ChainResult:
    """What verifying chains found: ``ok``, how many entries were ``checked``, the ``first_broken``."""

    checked: int = 0
    first_broken: BrokenEntry | None = None
    chains: int = 0

    @property
    def ok(self) -> bool:
        return self.first_broken is None


# --- canonical encoding -------------------------------------------------------------------


def _plain_value(value: Any) -> Any:
    if isinstance(value, _SIMPLE):
        return value
    if isinstance(value, datetime) and value.tzinfo is UTC:  # the common case, without ledger.plain's checks
        return f"{value:%Y-%m-%dT%H:%M:%S.%f}Z"
    return plain(value)


def encode(entry: dict[str, Any]) -> bytes:
    """Canonical bytes of a flat entry: sorted keys, no whitespace, UTF-8, the ledger's scalar formats."""
    return _ENCODER.encode({name: _plain_value(value) for name, value in entry.items()}).encode("utf-8")


def entry_digest(entry: dict[str, Any]) -> str:
    """SHA-256 hex digest of an entry's canonical encoding."""
    return hashlib.sha256(encode(entry)).hexdigest()


def _payload(spec: Chain, key: dict[str, Any], sequence: int, previous: str, values: dict[str, Any]) -> dict:
    return {**key, **{name: values.get(name) for name in spec.fields}, "sequence": sequence, "previous": previous}


# --- appending ----------------------------------------------------------------------------


def lock(spec: Chain, key: dict[str, Any]) -> None:
    """Hold the chain's lock until the end of the transaction (PostgreSQL; SQLite serialises writers itself)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(spec, key)])


def _lock_id(spec: Chain, key: dict[str, Any]) -> int:
    name = f"{spec.model._meta.label_lower}:{json.dumps([key[k] for k in spec.key_fields])}"
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@dataclass(frozen=True)
class _Statements:
    """The head query and the INSERT of one chain model on one database, built once per process."""

    head: str
    insert: str
    fields: tuple[models.Field, ...]  # the INSERT's columns, in order
    returns_pk: bool


_STATEMENTS: dict[tuple[type[models.Model], tuple[str, ...], str], _Statements] = {}


def _statements(spec: Chain) -> _Statements:
    cache_key = (spec.model, spec.key_fields, connection.alias)
    statements = _STATEMENTS.get(cache_key)
    if statements is None:
        meta, quote = spec.model._meta, connection.ops.quote_name
        column = {name: meta.get_field(name).column for name in (*spec.key_fields, _SEQUENCE_FIELD, _DIGEST_FIELD)}
        where = " AND ".join(f"{quote(column[name])} = %s" for name in spec.key_fields)
        # Names from the model's own metadata, quoted; every value is a parameter.
        table, sequence, digest = quote(meta.db_table), quote(column[_SEQUENCE_FIELD]), quote(column[_DIGEST_FIELD])
        head = f"SELECT {sequence}, {digest} FROM {table} WHERE {where} ORDER BY {sequence} DESC LIMIT 1"  # noqa: S608
        fields = tuple(f for f in meta.local_concrete_fields if not (f.primary_key and f.db_returning))
        returns_pk = meta.pk in meta.local_concrete_fields and meta.pk not in fields
        columns = ", ".join(quote(f.column) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        insert = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        if returns_pk and connection.features.can_return_columns_from_insert:
            insert += f" RETURNING {quote(meta.pk.column)}"
        statements = _STATEMENTS[cache_key] = _Statements(head, insert, fields, returns_pk)
    return statements


def _entry(
    spec: Chain, statements: _Statements, key: dict[str, Any], values: dict[str, Any], head: tuple[int, str] | None
) -> tuple[models.Model, list[Any]]:
    """The next entry after ``head`` (sequence, digest), digested, and its INSERT's parameters."""
    sequence, previous = (head[0] + 1, head[1]) if head else (1, GENESIS_DIGEST)
    entry = spec.model(**key, **values, sequence=sequence, previous_digest=previous)
    # Digest what the database will hand back: values as the model field stores them.
    stored = {name: field.to_python(getattr(entry, name)) for name, field in _digested_fields(spec)}
    entry.digest = entry_digest(_payload(spec, key, sequence, previous, stored))
    db = connections[DEFAULT_DB_ALIAS]  # ``connection`` itself, without its proxy's look-up on every use
    return entry, [field.get_db_prep_save(field.pre_save(entry, True), db) for field in statements.fields]


@cache
def _digested_fields(spec: Chain) -> tuple[tuple[str, models.Field], ...]:
    """The digested fields' names with their model fields, looked up once per process."""
    return tuple((name, spec.model._meta.get_field(name)) for name in spec.fields)


def _appended(entry: models.Model) -> models.Model:
    entry._state.adding, entry._state.db = False, connection.alias
    return entry


def append(spec: Chain, *, key: dict[str, Any], values: dict[str, Any]) -> models.Model:
    """Insert the next entry of the chain named by ``key`` (under the chain's lock) and return it.

    One query for the head and one INSERT (built once per process, the values prepared as the
    model's fields prepare them for ``save()``): the same row as ``save(force_insert=True)``, without
    the ORM's per-call query compiling. Inside a transaction it takes no savepoint of its own.
    """
    statements = _statements(spec)
    _HEADS.pop(_head_key(spec, key), None)  # this transaction may still roll back: the next quick append reads
    with transaction.atomic(savepoint=False):
        lock(spec, key)
        with connection.cursor() as cursor:
            cursor.execute(statements.head, [key[name] for name in spec.key_fields])
            entry, params = _entry(spec, statements, key, values, cursor.fetchone())
            cursor.execute(statements.insert, params)
            if statements.returns_pk:
                if connection.features.can_return_columns_from_insert:
                    entry.pk = cursor.fetchone()[0]
                else:
                    meta = spec.model._meta
                    entry.pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
    return _appended(entry)


# --- appending in one statement (PostgreSQL, outside a transaction) -------------------------

# The head (sequence, digest) each chain had after this process last appended to it in one statement.
# Only a hint: the statement inserts nothing when the hint is stale, and the head is then read.
_HEADS: dict[tuple[Any, ...], tuple[int, str]] = {}
_QUICK: dict[tuple[Any, ...], str] = {}
# One lock per chain for this process's quick appends: its threads append to a chain one after the other,
# so each reads the head the one before it left (the hint is stale only after another process appended).
# Without it, two threads reading the same hint at once both aim at the same sequence and one of them pays
# for the fallback's transaction (at 100 calls/s, most of the appends). The database serialises them on
# the chain's advisory lock anyway, so waiting here costs no throughput; the holder is outside any
# transaction and holds no database lock while it waits, so this lock cannot deadlock with one.
_QUICK_LOCKS: dict[tuple[Any, ...], threading.Lock] = {}
_QUICK_LOCKS_LOCK = threading.Lock()


_LOCK_CTE = "chain_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(%s))"


def _head_key(spec: Chain, key: dict[str, Any]) -> tuple[Any, ...]:
    return (spec.model, connection.alias, *(key[name] for name in spec.key_fields))


def _quick_statement(spec: Chain, statements: _Statements, before: str) -> str:
    """``[WITH before] INSERT … SELECT <entry> WHERE <the head is still the expected one> RETURNING pk``.

    The chain's advisory lock is taken in the statement (a MATERIALIZED CTE the SELECT reads from),
    so an ``append`` holding the lock in its transaction never meets a row inserted under it.
    """
    cache_key = (spec.model, spec.key_fields, connection.alias, before)
    sql = _QUICK.get(cache_key)
    if sql is None:
        meta, quote = spec.model._meta, connection.ops.quote_name
        table = quote(meta.db_table)
        column = {
            name: quote(meta.get_field(name).column) for name in (*spec.key_fields, _SEQUENCE_FIELD, _DIGEST_FIELD)
        }
        where = " AND ".join(f"{column[name]} = %s" for name in spec.key_fields)
        sequence, digest = column[_SEQUENCE_FIELD], column[_DIGEST_FIELD]
        # Each value cast to its column's type: an INSERT … SELECT does not infer parameter types.
        values = ", ".join(f"CAST(%s AS {field.cast_db_type(connection)})" for field in statements.fields)
        columns = ", ".join(quote(field.column) for field in statements.fields)
        ctes = [_LOCK_CTE, *([before] if before else [])]
        # Names from the model's own metadata, quoted; every value is a parameter.
        sql = (
            f"WITH {', '.join(ctes)} INSERT INTO {table} ({columns}) SELECT {values} FROM chain_lock "  # noqa: S608
            f"WHERE (%s OR EXISTS (SELECT 1 FROM {table} WHERE {where} AND {sequence} = %s AND {digest} = %s)) "
            f"AND NOT EXISTS (SELECT 1 FROM {table} WHERE {where} AND {sequence} > %s) "
            f"RETURNING {quote(meta.pk.column)}"
        )
        _QUICK[cache_key] = sql
    return sql


def _quick_lock(head_key: tuple[Any, ...]) -> threading.Lock:
    lock = _QUICK_LOCKS.get(head_key)
    if lock is None:
        with _QUICK_LOCKS_LOCK:
            lock = _QUICK_LOCKS.setdefault(head_key, threading.Lock())
    return lock


def quick_append_possible() -> bool:
    """Whether ``quick_append`` can append here: PostgreSQL, and not inside a transaction."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def quick_append(
    spec: Chain, *, key: dict[str, Any], values: dict[str, Any], before: tuple[str, list[Any]] = ("", [])
) -> models.Model:
    """Append in ONE statement, committed at once: the same entry as ``append``, without a transaction.

    For a hot path on PostgreSQL outside any transaction (``quick_append_possible``), where each
    statement is a round trip: ``append`` takes six (begin, lock, head, insert, commit and the
    caller's own). The entry follows the head this process last appended to the chain, and the
    statement inserts it only if that is still the head (nothing after it) under the chain's lock.
    When it is not (another process appended), or another writer took the sequence first (the
    chain's unique (key, sequence) constraint refuses the second), it appends as ``append`` does,
    in a transaction that reads the head under the lock. This process's threads take turns on each
    chain (``_QUICK_LOCKS``), so only another process's appends make the hint stale. ``before`` is a data-modifying CTE (``name AS (...)``)
    and its parameters, executed in the same statement (the gateway stores the body with it); it
    should read ``FROM chain_lock`` so that it writes only once the chain's lock is held.
    """
    if not quick_append_possible():
        raise RuntimeError("quick_append needs PostgreSQL outside a transaction; use append.")
    head_key = _head_key(spec, key)
    with _quick_lock(head_key):
        return _quick_append_locked(spec, head_key, key, values, before)


def _quick_append_locked(
    spec: Chain, head_key: tuple[Any, ...], key: dict[str, Any], values: dict[str, Any], before: tuple[str, list[Any]]
) -> models.Model:
    """``quick_append``'s work, under the process's lock of the chain."""
    statements = _statements(spec)
    key_values = [key[name] for name in spec.key_fields]
    head = _HEADS.get(head_key)
    if head is None:
        with connection.cursor() as cursor:
            cursor.execute(statements.head, key_values)
            head = cursor.fetchone()
    entry, params = _entry(spec, statements, key, values, head)
    sequence, previous = head if head else (0, GENESIS_DIGEST)
    row = None
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                _quick_statement(spec, statements, before[0]),
                [_lock_id(spec, key), *before[1], *params, head is None, *key_values, sequence, previous,
                 *key_values, sequence],
            )  # fmt: skip
            row = cursor.fetchone()
    except IntegrityError as error:
        if not _is_sequence_clash(spec, error):
            raise
    if row is not None:
        entry.pk = row[0]
    else:
        # The hint was stale, or another writer got there first (a statement waiting for the lock still
        # sees the chain as it was when it began): append in a transaction, which reads the head under the lock.
        with transaction.atomic():
            if before[0]:
                with connection.cursor() as cursor:
                    cursor.execute(f"WITH {_LOCK_CTE}, {before[0]} SELECT 1", [_lock_id(spec, key), *before[1]])
            entry = append(spec, key=key, values=values)  # takes the lock again (it is this transaction's)
    _HEADS[head_key] = (entry.sequence, entry.digest)  # committed: outside any transaction
    return _appended(entry)


@cache
def _sequence_constraints(model: type[models.Model]) -> frozenset[str]:
    """Names of the model's unique constraints on its chain's sequence."""
    return frozenset(
        constraint.name
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and _SEQUENCE_FIELD in constraint.fields
    )


def _is_sequence_clash(spec: Chain, error: IntegrityError) -> bool:
    """Whether ``error`` is the chain's (key, sequence) uniqueness (not a missing AI system, say)."""
    name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    return name in _sequence_constraints(spec.model)


# --- verifying ----------------------------------------------------------------------------


def verify(spec: Chain, queryset: models.QuerySet | None = None, *, chunk_size: int = 5000) -> ChainResult:
    """Recompute every digest, link and sequence of the chains in ``queryset``, streaming; stop at the first broken."""
    queryset = spec.model._default_manager.all() if queryset is None else queryset
    # Datetimes are read as text in one fixed form and encoded from the text (parsing them into
    # datetimes costs more than the rest of a row): SQLite's stored text as it is (Django's own
    # converter reads any other form); PostgreSQL's in UTC with microseconds (years 1000 to 9999,
    # the others as the database prints them, which the encoder leaves to its generic path).
    text = datetime_as_text(queryset.db)
    as_text = set()
    if text is not None:
        as_text = {i for i, name in enumerate(spec.columns) if _internal_type(spec, name) == "DateTimeField"}
    columns = [text(name) if i in as_text else name for i, name in enumerate(spec.columns)]
    rows = queryset.order_by(*spec.key_fields, _SEQUENCE_FIELD).values_list(*columns)
    # Chunks of at most _BATCH rows: the column-wise encoder is fastest with buffers that size.
    return _check(spec, _stream(rows, min(chunk_size, _BATCH), datetimes_as_text=as_text))


_BATCH = 2000


def datetime_as_text(alias: str) -> Callable[[str], models.Func] | None:
    """What selects a datetime column as its text in Django's SQLite form (SQLite, PostgreSQL), else None."""
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        return partial(Cast, output_field=models.TextField())
    return _UTCText if vendor == "postgresql" else None


def _parse_time_text(value: Any, expression: Any, connection: Any) -> Any:
    """PostgreSQL's text of a timestamp as a datetime, or the text itself when it is none (BC, infinity)."""
    if type(value) is not str:
        return value
    try:
        return parse_datetime(value) or value
    except ValueError:
        return value


class _UTCText(models.Func):
    """PostgreSQL: a timestamp with time zone as ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC (SQLite's form)."""

    template = (
        "CASE WHEN %(expressions)s >= '1000-01-01 00:00:00+00' AND %(expressions)s < '10000-01-01 00:00:00+00' "
        "THEN to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') "
        "ELSE (%(expressions)s)::text END"
    )
    output_field = models.TextField()


def _internal_type(spec: Chain, name: str) -> str:
    if name == "pk":
        return spec.model._meta.pk.get_internal_type()
    return spec.model._meta.get_field(name).get_internal_type()


def _stream(
    rows: models.QuerySet, chunk_size: int, *, datetimes_as_text: set[int] = frozenset()
) -> Iterator[tuple[list[tuple], Callable]]:
    """Raw rows of a ``values_list`` query in chunks (a server-side cursor on PostgreSQL), with its converters.

    Yields ``(chunk, convert)``: ``convert(index, value)`` applies Django's own database
    converters for the column at ``index`` (for the columns the fast encoder does not know);
    the columns in ``datetimes_as_text`` are datetimes selected as their text.
    """
    connection = connections[rows.db]
    compiler = rows.query.get_compiler(using=rows.db)
    sql, params = compiler.as_sql()
    expressions = [selected[0] for selected in compiler.select[: compiler.col_count]]
    converters = compiler.get_converters(expressions)
    for index in datetimes_as_text:
        # SQLite's own converter reads its text; PostgreSQL's text outside _UTCText's years is parsed here.
        text_converter = getattr(connection.ops, "convert_datetimefield_value", _parse_time_text)
        converters[index] = ([text_converter], expressions[index])

    def convert(index: int, value: Any) -> Any:
        functions, expression = converters.get(index, ((), None))
        for function in functions:
            value = function(value, expression, connection)
        return value

    # Naive datetimes (SQLite) are in the connection's zone; the canonical form reads them as UTC when it is UTC.
    convert.naive_is_utc = not settings.USE_TZ or connection.timezone is UTC

    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(chunk_size):
            yield chunk, convert


# --- the fast canonical encoder of verification -------------------------------------------
# It produces exactly ``encode(payload)`` (tests compare the two on arbitrary values) from raw
# database rows, a chunk and a column at a time, with C-level calls only: each column becomes a
# slot of the chunk's ``%`` template, either its one encoded value baked into the template (a
# column with one value in the chunk: the management system, an event type, an empty field) or a
# ``%d``/``"%s"``/``%s`` slot filled from the column as the database returned it (integers; text
# that needs no JSON escaping, checked with one search of the column) or as encoded here. Only
# values no fast form covers go through ``_plain_value``, one at a time.

_ESCAPED_BYTES = bytes(range(32)) + b'"\\'  # what the JSON encoder escapes when ensure_ascii is off
_NONE = type(None)
_ISOFORMAT = partial(datetime.isoformat, timespec="microseconds")
_TZINFO = attrgetter("tzinfo")
_HEXDIGEST, _UTF8 = methodcaller("hexdigest"), methodcaller("encode", "utf-8")

# A column's part of a chunk's template: ``(fragment, values)``. The fragment is the slot's text
# (``%`` doubled) when ``values`` is None, else a ``%`` conversion filled from ``values``.
_Slot = tuple[str, Sequence[Any] | None]


def _constant(text: str) -> _Slot:
    return text.replace("%", "%%"), None


def _generic(value: Any) -> str:
    return _ENCODER.encode(_plain_value(value))


def _one_by_one(values: Sequence[Any], convert: Callable[[Any], Any]) -> _Slot:
    return "%s", [_generic(convert(v)) for v in values]


def _is_constant(values: Sequence[Any]) -> bool:
    first = values[0]
    return type(first) in _SIMPLE and values.count(first) == len(values)


def _encode_int_column(values: Sequence[Any], convert: Callable[[Any], Any]) -> _Slot:
    types = set(map(type, values))
    if types == {int}:
        return _constant(str(values[0])) if _is_constant(values) else ("%d", values)
    if types == {_NONE}:
        return _constant("null")
    if types == {int, _NONE}:  # str(None) is 'None', which no integer's text contains
        return "%s", "\n".join(map(str, values)).replace("None", "null").split("\n")
    return "%s", [str(v) if type(v) is int else ("null" if v is None else _generic(convert(v))) for v in values]


def _encode_str_column(values: Sequence[Any], convert: Callable[[Any], Any]) -> _Slot:
    if set(map(type, values)) == {str}:
        if _is_constant(values):
            return _constant(_json_string(values[0]))
        if _needs_no_escape("".join(values)):
            return '"%s"', values
        # One C call for the column: '["a","b"]'. Inside an encoded string every quote is escaped,
        # so '","' occurs only between two of them.
        return '"%s"', _ENCODER.encode(values)[2:-2].split('","')
    return "%s", [
        _json_string(v) if type(v) is str else ("null" if v is None else _generic(convert(v))) for v in values
    ]


def _needs_no_escape(text: str) -> bool:
    """Whether JSON leaves this (ASCII) text as it is: no quote, backslash or control character."""
    if not text.isascii():
        return False  # the JSON encoder's own path
    data = text.encode("ascii")
    return len(data.translate(None, _ESCAPED_BYTES)) == len(data)


def _sqlite_time_texts(values: Sequence[str]) -> list[str] | None:
    """A column of datetimes as Django writes them to SQLite, encoded as ``_datetime_text`` does, or None.

    Without the quotes and the final ``Z`` (the template's). None unless every value has the shape
    ``_datetime_text`` reads (checked a character position at a time over the whole column).
    """
    n = len(values)
    if not set(map(len, values)) <= {19, 26}:
        return None
    if len(values[0]) != 26 or values.count(values[0]) != n:
        values = list(values)
        for i in compress(count(), map((19).__eq__, map(len, values))):  # no fraction: the canonical form adds one
            values[i] += ".000000"
    joined = "".join(values)
    shaped = (
        joined[10::26] == " " * n
        and joined[19::26] == "." * n
        and joined[4::26] == joined[7::26] == "-" * n
        and joined.count(" ") == n
        and "0" not in joined[::26]  # no year before 1000 (see _datetime_text)
        and "\n" not in joined
    )
    return "\n".join(values).replace(" ", "T").split("\n") if shaped else None


def _encode_bool_column(values: Sequence[Any], convert: Callable[[Any], Any]) -> _Slot:
    return _one_by_one(values, convert)


def _datetime_text(text: str) -> str | None:
    """The canonical form of a datetime stored as text the way Django writes it (UTC, SQLite), else None."""
    if text[:1] == "0":  # a year before 1000: its canonical form has no leading zeros (strftime's)
        return None
    if len(text) == 26 and text[10] == " " and text[19] == "." and text[4] == text[7] == "-":
        return f'"{text[:10]}T{text[11:]}Z"'
    if len(text) == 19 and text[10] == " " and text[4] == text[7] == "-":
        return f'"{text[:10]}T{text[11:]}.000000Z"'
    return None


def _encode_datetime_column(values: Sequence[Any], convert: Callable[[Any], Any]) -> _Slot:
    types = set(map(type, values))
    if types == {str}:  # SQLite, selected as text
        texts = _sqlite_time_texts(values)
        if texts is not None:
            return '"%sZ"', texts
    elif types == {datetime} and set(map(_TZINFO, values)) == {UTC} and min(values).year >= 1000:
        # PostgreSQL: aware, in UTC (the connection's zone); isoformat pads years, strftime does not.
        return '"%sZ"', "\n".join(map(_ISOFORMAT, values)).replace("+00:00", "").split("\n")
    naive_is_utc = getattr(convert, "naive_is_utc", False)
    out = []
    for value in values:
        if type(value) is datetime and value.year >= 1000:
            if value.tzinfo is None:  # SQLite: naive, in UTC (the connection's zone), as Django's converter reads it
                if not naive_is_utc:
                    out.append(_generic(convert(value)))
                    continue
            elif value.tzinfo is not UTC:  # PostgreSQL: aware, in the connection's zone
                value = value.astimezone(UTC)
            text = value.replace(tzinfo=None).isoformat() if value.tzinfo is not None else value.isoformat()
            out.append(f'"{text}Z"' if value.microsecond else f'"{text}.000000Z"')
            continue
        text = _datetime_text(value) if type(value) is str else None
        out.append(text if text is not None else _generic(convert(value)))
    return "%s", out


@lru_cache(maxsize=4096)
def _json_text(text: str) -> str:
    return _generic(json.loads(text))


def _encode_json_column(values: Sequence[Any], convert: Callable[[Any], Any]) -> _Slot:
    # JSON columns arrive as their text (Django loads them itself): equal texts encode alike, so they are cached.
    if set(map(type, values)) == {str}:
        return _constant(_json_text(values[0])) if _is_constant(values) else ("%s", list(map(_json_text, values)))
    return "%s", [_json_text(v) if type(v) is str else _generic(convert(v)) for v in values]


def _encode_other_column(values: Sequence[Any], convert: Callable[[Any], Any]) -> _Slot:
    return _one_by_one(values, convert)


_COLUMN_ENCODERS: dict[str, Callable[[Sequence[Any], Callable[[Any], Any]], _Slot]] = {
    **dict.fromkeys(
        (
            "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
            "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
        ),
        _encode_int_column,
    ),
    **dict.fromkeys(("CharField", "TextField", "SlugField", "EmailField"), _encode_str_column),
    "BooleanField": _encode_bool_column,
    "DateTimeField": _encode_datetime_column,
    "JSONField": _encode_json_column,
}  # fmt: skip


def _column_encoder(spec: Chain, name: str) -> Callable[[Sequence[Any], Callable[[Any], Any]], _Slot]:
    if name in ("sequence", "previous"):
        return _encode_int_column if name == "sequence" else _encode_str_column
    model_field = spec.model._meta.get_field(name)
    column = getattr(model_field, "target_field", model_field)  # a foreign key stores its target's type
    if model_field.get_internal_type() == "JSONField":
        return _encode_json_column
    return _COLUMN_ENCODERS.get(column.get_internal_type(), _encode_other_column)


def _template(names: Sequence[str], fragments: Sequence[str] | None = None) -> str:
    """``{"name":%s,...}`` with the names in the order ``sort_keys`` puts them, for ``%`` formatting.

    ``fragments`` (by sorted name) are the slots' texts: a conversion, or a constant value with ``%`` doubled.
    """
    ordered = sorted(names)
    fragments = fragments or ["%s"] * len(ordered)
    parts = [
        f"{_json_string(name).replace('%', '%%')}:{fragment}" for name, fragment in zip(ordered, fragments, strict=True)
    ]
    return "{" + ",".join(parts) + "}"


def _chunk_digests(
    spec: Chain, encoders, columns: list[tuple], convert: Callable, templates: dict[tuple[str, ...], str]
) -> list[str]:
    """The digests of a chunk of raw rows (its ``spec.columns``, as columns), recomputed with the fast encoder."""
    naive_is_utc = getattr(convert, "naive_is_utc", False)
    slots = []
    for index, encoder in encoders:
        column_convert = partial(convert, index)
        column_convert.naive_is_utc = naive_is_utc
        slots.append(encoder(columns[index], column_convert))
    fragments = tuple(fragment for fragment, _values in slots)
    template = templates.get(fragments)
    if template is None:
        names = [name for _index, name in spec_payload_names(spec)]
        template = templates[fragments] = _template(names, fragments)
    filled = [values for _fragment, values in slots if values is not None]
    texts = map(template.__mod__, zip(*filled, strict=True)) if filled else [template % ()] * len(columns[0])
    return list(map(_HEXDIGEST, map(hashlib.sha256, map(_UTF8, texts))))


@lru_cache(maxsize=64)
def spec_payload_names(spec: Chain) -> tuple[tuple[int, str], ...]:
    """The payload's names in sorted order, each with where its value is in a row of ``spec.columns``."""
    n_key = len(spec.key_fields)
    position = {
        **{name: 1 + i for i, name in enumerate(spec.key_fields)},
        "sequence": 1 + n_key,
        "previous": 2 + n_key,
        **{name: 4 + n_key + i for i, name in enumerate(spec.fields)},
    }
    return tuple((position[name], name) for name in sorted(position))


def _check(spec: Chain, chunks: Iterator[tuple[list[tuple], Callable]]) -> ChainResult:
    result = ChainResult()
    n_key = len(spec.key_fields)
    encoders = [(index, _column_encoder(spec, name)) for index, name in spec_payload_names(spec)]
    templates: dict[tuple[str, ...], str] = {}
    state = _ChainPosition()
    for chunk, convert in chunks:
        columns = list(zip(*chunk, strict=True))
        recomputed = _chunk_digests(spec, encoders, columns, convert, templates)
        keys = list(zip(*columns[1 : 1 + n_key], strict=True))
        sequences, previous, digests = columns[1 + n_key], columns[2 + n_key], columns[3 + n_key]
        if not state.chunk_verifies(keys, sequences, previous, digests, recomputed, result):
            for row, key, digest in zip(chunk, keys, recomputed, strict=True):  # find the first problem, in order
                broken = state.step(spec, row[0], key, row[1 + n_key], row[2 + n_key], row[3 + n_key], digest, result)
                if broken is not None:
                    result.first_broken = broken
                    return result
    return result


class _ChainPosition:
    """Where verification stands: the current chain's key, and the sequence and link the next entry must have."""

    def __init__(self) -> None:
        self.key: tuple | None = None
        self.sequence, self.previous = 1, GENESIS_DIGEST

    def chunk_verifies(self, keys, sequences, previous, digests, recomputed, result: ChainResult) -> bool:
        """Check a whole chunk with list comparisons; False (and nothing counted) if any entry needs a closer look."""
        if list(digests) != recomputed:
            return False
        # Where a new chain starts: each key against the one before it (C-level calls only).
        starts = list(compress(count(), map(ne, keys, [self.key, *keys[:-1]])))
        expected_previous = [self.previous, *digests[:-1]]
        expected_sequence = [self.sequence, *map((1).__add__, sequences[:-1])]
        for i in starts:
            expected_previous[i], expected_sequence[i] = GENESIS_DIGEST, 1
        if list(previous) != expected_previous or list(sequences) != expected_sequence:
            return False
        result.checked += len(keys)
        result.chains += len(starts)
        self.key, self.sequence, self.previous = keys[-1], sequences[-1] + 1, digests[-1]
        return True

    def step(self, spec: Chain, pk, key, sequence, previous, digest, recomputed, result) -> BrokenEntry | None:
        if key != self.key:
            self.key, self.sequence, self.previous = key, 1, GENESIS_DIGEST
            result.chains += 1
        result.checked += 1
        problem = _problem(spec, sequence, previous, digest, recomputed, self.sequence, self.previous)
        if problem:
            return BrokenEntry(key, sequence, pk, *problem)
        self.sequence, self.previous = sequence + 1, digest
        return None


def _problem(
    spec: Chain,
    sequence: int,
    previous: str,
    digest: str,
    recomputed: str,
    expected_sequence: int,
    expected_previous: str,
) -> tuple[str, str] | None:
    if recomputed != digest:
        return "digest mismatch", f"The {spec.label} #{sequence} was altered after it was written."
    if sequence != expected_sequence:
        return "sequence gap", (
            f"The {spec.label} #{sequence} follows #{expected_sequence - 1}: "
            f"{sequence - expected_sequence} entr{'y' if sequence - expected_sequence == 1 else 'ies'} missing."
            if sequence > expected_sequence
            else f"The {spec.label} #{sequence} is out of order (expected #{expected_sequence})."
        )
    if previous != expected_previous:
        return "chain link mismatch", (
            f"The {spec.label} #{sequence} does not link to the entry before it "
            f"(expected {expected_previous[:12]}…): one was rewritten or replaced."
        )
    return None


# --- verifiers registered by apps ---------------------------------------------------------


@dataclass(frozen=True)
class ChainVerifier:
    """A named check of an app's chains: ``verify(management_system or None) -> ChainResult``; ``describe`` words a break."""

    name: str
    verify: Callable[[Any], ChainResult]
    describe: Callable[[BrokenEntry], str] = field(default=lambda broken: f"#{broken.sequence}: {broken.reason}")


_VERIFIERS: dict[str, ChainVerifier] = {}


def register_chain_verifier(
    name: str, verify: Callable[[Any], ChainResult], *, describe: Callable[[BrokenEntry], str] | None = None
) -> ChainVerifier:
    """Declare a kind of chain ``manage.py verify_ledger`` checks (call from AppConfig.ready(); twice replaces)."""
    verifier = ChainVerifier(name, verify, describe) if describe else ChainVerifier(name, verify)
    _VERIFIERS[name] = verifier
    return verifier


def chain_verifiers() -> list[ChainVerifier]:
    """The registered chain verifiers, in registration order."""
    return list(_VERIFIERS.values())
