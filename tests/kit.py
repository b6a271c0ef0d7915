"""The test kit every app's tests share: signing forms, the permission-matrix harness, query counts.

- ``sign_data(kind, subject, statement)``: the POST data of the one sign-off form, carrying
  the version token of what the signer sees now (as the page would).
- ``matrix(expected)``: parametrise a test over every persona of the ``world`` fixture with
  the expected answer for each (see ``Matrix``).
- ``assert_constant_queries(fetch, grow)``: the number of queries of ``fetch()`` does not
  change when ``grow()`` adds rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aims import ledger

PERSONAS = ("owner", "officer", "leader", "contributor", "auditor", "expired_auditor", "outsider")


def sign_data(kind: str, subject: Any, statement: str = "Signed after review.", **extra: Any) -> dict[str, Any]:
    """The POST data of the sign-off form for the version of ``subject`` that stands now."""
    return {
        "signed_version": ledger.version_token(kind, subject),
        "statement": statement,
        "confirmed": "on",
        **extra,
    }


def matrix(expected: Mapping[str, Any], *, name: str = "persona") -> Any:
    """Parametrise a test over personas: ``@matrix({"owner": 302, ...})`` gives it ``persona, expected``.

    Every persona of the world must be named, so a new role cannot be forgotten.
    """
    missing = set(PERSONAS) - set(expected) - {"anonymous"}
    if missing:
        raise AssertionError(f"The permission matrix does not say what these personas get: {sorted(missing)}")
    return pytest.mark.parametrize(f"{name},expected", list(expected.items()), ids=list(expected))


def count_queries(fetch: Callable[[], Any]) -> int:
    """How many queries ``fetch()`` makes."""
    with CaptureQueriesContext(connection) as captured:
        fetch()
    return len(captured)


def assert_constant_queries(fetch: Callable[[], Any], grow: Callable[[], Any], *, warm: bool = True) -> int:
    """Assert ``fetch()`` makes as many queries after ``grow()`` adds rows as before; return the count."""
    if warm:
        fetch()  # caches (content types, sessions) filled once
    few = count_queries(fetch)
    grow()
    many = count_queries(fetch)
    assert many == few, f"{many} queries after adding rows, {few} before: the count grows with the rows"
    return few
