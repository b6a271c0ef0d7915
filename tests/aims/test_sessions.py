"""Sessions end after a time without activity (30 minutes) and a time after login (12 hours)."""

from __future__ import annotations

import logging
import time

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from aims.accounts.middleware import LAST_SEEN_AT, LOGGED_IN_AT, TOUCH_EVERY_SECONDS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_touch(settings):
    settings.AIMS_SESSION_TOUCH_SECONDS = TOUCH_EVERY_SECONDS  # the kit writes it at login only


def shift(client, **seconds_ago: int) -> None:
    """Pretend the session's login or last request was that many seconds ago."""
    session = client.session
    now = int(time.time())
    if "logged_in" in seconds_ago:
        session[LOGGED_IN_AT] = now - seconds_ago["logged_in"]
    if "last_seen" in seconds_ago:
        session[LAST_SEEN_AT] = now - seconds_ago["last_seen"]
    session.save()


def test_the_defaults_are_thirty_minutes_idle_and_twelve_hours_in_all():
    assert TOUCH_EVERY_SECONDS == 60
    assert django_settings.AIMS_SESSION_IDLE_MINUTES == 30
    assert django_settings.AIMS_SESSION_MAX_HOURS == 12
    assert django_settings.SESSION_COOKIE_AGE == 12 * 3600  # the cookie does not outlive the session either


def test_a_session_idle_for_longer_than_the_limit_is_logged_out(world, client_as, caplog):
    caplog.set_level(logging.INFO, logger="aims.security")
    client = client_as("officer")
    page = reverse("aims:ms_home", args=[world.acme.pk])
    shift(client, last_seen=31 * 60)
    response = client.get(page, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "logged out after 30 minutes without activity" in response.content.decode()
    assert client.get(page).status_code == 302
    assert any(
        "event=logout user=officer" in r.getMessage() and 'reason="idle timeout"' in r.getMessage()
        for r in caplog.records
    )


def test_activity_keeps_the_session_alive_and_is_noted(world, client_as):
    client = client_as("officer")
    page = reverse("aims:ms_home", args=[world.acme.pk])
    shift(client, last_seen=29 * 60)
    assert client.get(page).status_code == 200
    assert int(time.time()) - client.session[LAST_SEEN_AT] < TOUCH_EVERY_SECONDS


def test_the_idle_limit_is_a_setting(world, client_as, settings):
    settings.AIMS_SESSION_IDLE_MINUTES = 5
    client = client_as("officer")
    shift(client, last_seen=6 * 60)
    assert client.get(reverse("aims:home")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_session_ends_twelve_hours_after_login_however_active(world, client_as):
    client = client_as("officer")
    page = reverse("aims:ms_home", args=[world.acme.pk])
    shift(client, logged_in=11 * 3600, last_seen=10)
    assert client.get(page).status_code == 200
    shift(client, logged_in=12 * 3600 + 60, last_seen=10)
    response = client.get(page, follow=True)
    assert "Sessions last at most 12 hours" in response.content.decode()
    assert client.get(page).status_code == 302


def test_a_new_login_starts_the_clock_again(world, client_as):
    client = client_as("officer")
    assert int(time.time()) - client.session[LOGGED_IN_AT] < 5


def test_an_api_call_on_an_expired_session_is_not_authenticated(world, client_as):
    client = client_as("officer")
    shift(client, last_seen=31 * 60)
    response = client.get("/api/v1/management-systems/")
    assert response.status_code in (401, 403) and "credentials" in response.json()["detail"]
