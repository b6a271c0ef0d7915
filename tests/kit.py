"""The test kit every app's tests share: signing forms, the permission-matrix harness, query counts.

- ``sign_data(kind, subject, statement)``: the POST data of the one sign-off form, carrying
  the version token of what the signer sees now (as the page would).
- ``matrix(expected)``: parametrise a test over every persona of the ``world`` fixture with
  the expected answer for each (see ``Matrix``).
- ``assert_constant_queries(fetch, grow)``: the number of queries of ``fetch()`` does not
  change when ``grow()`` adds rows.
- ``listed_on_page`` / ``listed_by_api``: the references a list page and its API list endpoint
  show for a query string (to check that both filter alike).
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


def listed_on_page(client: Any, url: str, params: Mapping[str, Any]) -> set[str]:
    """References of the rows a list page shows for the query (asserting a 200)."""
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return _once_each([row.reference for row in response.context["page_obj"].object_list])


def listed_by_api(client: Any, url: str, params: Mapping[str, Any]) -> set[str]:
    """References of the rows an API list endpoint returns for the query (one page of up to 200)."""
    response = client.get(url, {**params, "page_size": 200})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"]), "more rows than one page"
    return _once_each([row["reference"] for row in body["results"]])


def _once_each(references: list[str]) -> set[str]:
    assert len(set(references)) == len(references), f"a row is listed twice: {sorted(references)}"
    return set(references)
