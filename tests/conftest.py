"""Personas shared by every test: one user per role in Acme, plus an outsider.

``outsider`` owns a second management system (Northwind Retail) and is nobody in Acme;
``expired_auditor`` was an Acme auditor whose access has ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from aims import services
from aims.models import ManagementSystem, Membership, Role
from tests.broker import broker_down  # noqa: F401  (fixture: the job queue is unreachable)
from tests.factories import UserFactory, make_management_system
from tests.kit import PERSONAS, enrol_authenticator, log_in, status


@dataclass
class World:
    acme: ManagementSystem
    northwind: ManagementSystem
    users: dict

    def __getattr__(self, name):
        try:
            return self.users[name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def world(db) -> World:
    """Acme with one member per role, Northwind owned by the outsider."""
    users = {name: UserFactory(username=name) for name in PERSONAS}
    for user in users.values():
        enrol_authenticator(user)  # every persona has a second factor, as owners and leadership must
    acme = make_management_system(owner=users["owner"], organisation="Acme Health", name="Acme AIMS")
    northwind = make_management_system(owner=users["outsider"], organisation="Northwind Retail", name="Northwind AIMS")
    add = services.membership_add
    add(management_system=acme, actor=users["owner"], user=users["officer"], role=Role.OFFICER)
    add(management_system=acme, actor=users["owner"], user=users["leader"], role=Role.LEADERSHIP)
    add(management_system=acme, actor=users["owner"], user=users["contributor"], role=Role.CONTRIBUTOR)
    add(
        management_system=acme,
        actor=users["owner"],
        user=users["auditor"],
        role=Role.AUDITOR,
        expires_at=timezone.now() + timedelta(days=30),
    )
    expired = add(
        management_system=acme,
        actor=users["owner"],
        user=users["expired_auditor"],
        role=Role.AUDITOR,
        expires_at=timezone.now() + timedelta(days=1),
    )
    # Expire the auditor through the service, as an owner would.
    services.membership_update(
        expired, actor=users["owner"], role=Role.AUDITOR, expires_at=timezone.now() - timedelta(days=1)
    )
    for membership in Membership.objects.filter(management_system__in=[acme, northwind]).select_related("user"):
        # Every persona gave their job title once (the signing form asks for it when missing).
        services.membership_set_job_title(
            membership,
            actor=membership.user,
            job_title=membership.user.get_username().replace("_", " ").capitalize() + " lead",
        )
    return World(acme=acme, northwind=northwind, users=users)


@pytest.fixture
def client_as(world):
    """Return a test client with a persona logged in: ``client_as("auditor")``; ``"anonymous"`` is nobody.

    The login is a finished one: password and the persona's authenticator code (``kit.log_in``).
    ``csrf=True`` enforces CSRF checks, as a browser session is held to them.
    """

    def make(name: str, *, csrf: bool = False) -> Client:
        client = Client(enforce_csrf_checks=csrf)
        if name != "anonymous":
            log_in(client, world.users[name])
        return client

    return make


@pytest.fixture
def api_as(world):
    """Return a DRF API client authenticated as a persona, as a token would be; ``"anonymous"`` is nobody.

    The user is loaded afresh, so no access cached on the test's user objects carries over.
    """

    def make(name: str) -> APIClient:
        client = APIClient()
        if name != "anonymous":
            client.force_authenticate(get_user_model().objects.get(pk=world.users[name].pk))
        return client

    return make


@pytest.fixture
def status_as(client_as, api_as):
    """Return the status code of one request by a persona: ``status_as("auditor", "post", url, data)``.

    The request goes through the browser's client with ``data`` as a form, or with ``api=True``
    through the API client with ``data`` as JSON and ``version`` as its If-Match precondition.
    """

    def request(persona: str, method: str, url: str, data=None, *, api: bool = False, version=None) -> int:
        client = api_as(persona) if api else client_as(persona)
        return status(client, method, url, data, api=api, version=version)

    return request


@pytest.fixture
def superuser_client(db) -> Client:
    """A client logged in as a superuser ("root") with their authenticator: the admin admits nobody else."""
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    enrol_authenticator(root)  # superusers must use a second factor
    return log_in(Client(), root)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start each test with an empty cache: throttles count failures there, per address."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _session_activity_written_once(settings):
    """Note a session's last activity at login only (in production: at most once a minute).

    Otherwise a request more than a minute after the login also writes the session, and
    query counts would depend on how long a test runs. tests/aims/test_sessions.py sets it back.
    """
    settings.AIMS_SESSION_TOUCH_SECONDS = 3600


@pytest.fixture(autouse=True)
def _gateway_db_work_in_the_test_thread(settings):
    """The gateway's async views do their database work in the calling thread (on the test's transaction).

    Its pool of database threads (``gateway.endpoint.in_db_thread``) has connections of its own, which
    do not see a test's uncommitted rows; the live-server tests (``tests/gateway/live.py``) turn it on.
    """
    settings.GATEWAY_DB_THREADS = 0


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Keep each test's uploaded evidence and rendered packs in its own folder, never in var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AIMS_PACK_DIR = tmp_path / "media" / "packs"


@pytest.fixture(scope="session", autouse=True)
def _flush_switches_append_only_triggers_off():
    """Let the test database be emptied between transactional tests, as only an owner or superuser could.

    Django empties it after each transactional test (a real worker's tests) with one TRUNCATE of
    every table, and on PostgreSQL the append-only tables refuse TRUNCATE, as they must in
    production. The tests connect as a superuser, who may switch triggers off: the flush does so
    for its own transaction only (``SET LOCAL``); nothing else in the suite is exempt.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        return original(self, ["SET LOCAL session_replication_role = replica", *sql_list])

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original
