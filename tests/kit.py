"""The test kit every app's tests share: signing forms, the permission-matrix harness, query counts.

- ``sign_data(kind, subject, statement)``: the POST data of the one sign-off form, carrying
  the version token of what the signer sees now (as the page would).
- ``matrix(expected, where=...)``: parametrise a test over every persona of the ``world``
  fixture with the expected answer for each, in Acme and in Northwind if asked (``standing``
  says what a persona is in each). ``status_as(persona, method, url, data)`` (a fixture in
  ``tests/conftest.py``, built on ``status``) gives the status code of one request by a
  persona, through the HTML or the API client.
- ``log_in(client, user)``: a finished login on a test client (password and, for a user with an
  authenticator, its code: the session counts as verified). ``totp_code(device)`` is the code
  an authenticator shows now; ``second_factor(user)`` a fresh recovery code.
- ``count_queries(fetch)`` counts the queries of ``fetch()`` (or of each of several, by name);
  ``get_ok(client, url)`` is the usual fetch, a page or endpoint that must answer 200.
- ``assert_constant_queries(fetch, grow)``: the number of queries of ``fetch()`` does not
  change when ``grow()`` adds rows.
- ``listed_on_page`` / ``listed_by_api``: the references a list page and its API list endpoint
  show for a query string (to check that both filter alike).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aims import ledger

PERSONAS = ("owner", "officer", "leader", "contributor", "auditor", "expired_auditor", "outsider")
SYSTEMS = ("acme", "northwind")  # the personas' own management system, and the outsider's


def second_factor(user: Any) -> str:
    """A fresh recovery code of the user's (each works once): the step-up a signer gives."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    token = StaticToken.random_token()
    device.token_set.create(token=token)
    return token


def otp_header(world: Any, persona: str) -> dict[str, str]:
    """The API's step-up header for a persona's sign-off (none for the anonymous visitor)."""
    return {} if persona == "anonymous" else {"x-otp": second_factor(world.users[persona])}


def log_in(client: Any, user: Any) -> Any:
    """Log ``user`` in on a test client as a finished login: the password and, if they have an authenticator, its code.

    ``force_login`` alone is the password step only; the session counts as verified by a
    second factor (django-otp's ``user.is_verified()``) once it names the device that verified it.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def totp_code(device: Any, *, steps_ahead: int = 0) -> str:
    """The code an authenticator shows now (or ``steps_ahead`` steps of 30 s later), computed from its key."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol_authenticator(user: Any) -> Any:
    """Give the user a confirmed TOTP authenticator (so their role's requirement is met)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.get_or_create(user=user, name="Authenticator", defaults={"confirmed": True})[0]


def sign_data(
    kind: str, subject: Any, statement: str = "Signed after review.", *, signer: Any, **extra: Any
) -> dict[str, Any]:
    """The POST data of the sign-off form for the version of ``subject`` that stands now, stepped up by ``signer``."""
    return {
        "signed_version": ledger.version_token(kind, subject),
        "statement": statement,
        "confirmed": "on",
        "second_factor": second_factor(signer),
        **extra,
    }


def standing(persona: str, where: str) -> str:
    """What a persona is in a management system of the world: Acme's personas are outsiders in Northwind.

    Northwind is the outsider's own management system, so there the outsider is its owner;
    ``"anonymous"`` is nobody anywhere.
    """
    if where == "acme" or persona == "anonymous":
        return persona
    return "owner" if persona == "outsider" else "outsider"


def matrix(
    expected: Mapping[str, Any], *, name: str = "persona", where: Iterable[str] | Mapping[str, str] | None = None
) -> Any:
    """Parametrise a test over personas: ``@matrix({"owner": 302, ...})`` gives it ``persona, expected``.

    Every persona of the world must be named, so a new role cannot be forgotten; ``"anonymous"``
    (nobody logged in) may be added. ``expected`` says what each persona gets in Acme. With
    ``where=SYSTEMS`` the test also gets ``where`` and runs in each management system, expecting
    what the persona's ``standing`` there gets in Acme; ``where`` may also map target names to
    the management system each is in (``{"mine": "acme", "theirs": "northwind"}``).
    """
    missing = set(PERSONAS) - set(expected) - {"anonymous"}
    if missing:
        raise AssertionError(f"The permission matrix does not say what these personas get: {sorted(missing)}")
    if where is None:
        return pytest.mark.parametrize(f"{name},expected", list(expected.items()), ids=list(expected))
    targets = dict(where) if isinstance(where, Mapping) else {system: system for system in where}
    cases = [
        pytest.param(persona, target, expected[standing(persona, system)], id=f"{persona}-{target}")
        for target, system in targets.items()
        for persona in expected
    ]
    return pytest.mark.parametrize(f"{name},where,expected", cases)


def status(client: Any, method: str, url: str, data: Any = None, *, api: bool = False, version: Any = None) -> int:
    """The status code of one request: a form as the browser sends it, or with ``api=True`` a JSON body.

    ``version`` is sent as the If-Match precondition that the API's writes need.
    """
    headers = {} if version is None else {"HTTP_IF_MATCH": f'"{version}"'}
    if method == "get":
        return client.get(url, data, **headers).status_code
    if api:
        return getattr(client, method)(url, data, format="json", **headers).status_code
    return getattr(client, method)(url, data or {}, **headers).status_code


def get_ok(client: Any, url: str, data: Any = None) -> Callable[[], Any]:
    """Return a fetch that GETs ``url`` (``data`` as the query), asserts 200 and returns the response."""

    def fetch() -> Any:
        response = client.get(url, data)
        assert response.status_code == 200, f"GET {url}: {response.status_code}"
        return response

    return fetch


def count_queries(fetch: Callable[[], Any] | Mapping[str, Callable[[], Any]]) -> Any:
    """How many queries ``fetch()`` makes; given a mapping of names to fetches, how many each makes."""
    if isinstance(fetch, Mapping):
        return {name: count_queries(each) for name, each in fetch.items()}
    with CaptureQueriesContext(connection) as captured:
        fetch()
    return len(captured)


def assert_constant_queries(
    fetch: Callable[[], Any] | Mapping[str, Callable[[], Any]], grow: Callable[[], Any], *, warm: bool = True
) -> Any:
    """Assert ``fetch()`` makes as many queries after ``grow()`` adds rows as before; return the count.

    ``fetch`` may also map names to fetches (say a page and its endpoint), each counted on its
    own; the counts come back by name.
    """
    if warm:
        count_queries(fetch)  # caches (content types, sessions, a user's memberships) filled once
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
