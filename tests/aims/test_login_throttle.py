"""Failed logins (django-axes): per account at an address and per address, a progressive pause, an unlock command."""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from aims import mfa
from tests.factories import PASSWORD, UserFactory
from tests.kit import totp_code

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
CODE_STEP = reverse("account:login_code")
HOME = reverse("aims:home")


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AIMS_LOGIN_FAILURE_LIMIT_PER_ADDRESS = 20
    settings.AIMS_LOGIN_COOLOFF_MINUTES = 15
    settings.AIMS_LOGIN_COOLOFF_MAX_HOURS = 24


def attempt(username: str, password: str = "wrong", *, ip: str = "203.0.113.7"):
    return Client(REMOTE_ADDR=ip).post(LOGIN, {"username": username, "password": password})


def fail(username: str, times: int, *, ip: str = "203.0.113.7") -> None:
    """Post wrong passwords: the form comes back with its error, until the limit's failure answers 429."""
    for _ in range(times):
        assert attempt(username, ip=ip).status_code in (200, 429)


def lock(username: str, *, ip: str = "203.0.113.7") -> None:
    """Fail exactly up to the limit (5): the last failure is answered with the pause."""
    for _ in range(4):
        assert attempt(username, ip=ip).status_code == 200
    assert attempt(username, ip=ip).status_code == 429


def age_attempts(minutes: float) -> None:
    """Move every recorded failure (and its expiry) back in time, as if minutes had passed."""
    for row in AccessAttempt.objects.all():
        row.attempt_time -= timedelta(minutes=minutes)
        row.save(update_fields=["attempt_time"])
        if hasattr(row, "expiration"):
            row.expiration.expires_at -= timedelta(minutes=minutes)
            row.expiration.save(update_fields=["expires_at"])


def test_five_wrong_passwords_pause_the_account_at_that_address_only(world, caplog):
    caplog.set_level(logging.INFO, logger="aims.security")
    fail("officer", 4)
    assert attempt("officer", PASSWORD).status_code == 302  # four failures: still allowed
    locked = attempt("officer")  # the fifth failure
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert int(locked["Retry-After"]) == 15 * 60
    assert attempt("officer", PASSWORD).status_code == 429  # now even the right password
    # The same account from another address, and another account from this one, still log in.
    assert attempt("officer", PASSWORD, ip="198.51.100.9").status_code == 302
    assert attempt("auditor", PASSWORD).status_code == 302
    lines = [r.getMessage() for r in caplog.records if r.name == "aims.security"]
    assert sum("event=login_failed" in line and "username=officer" in line for line in lines) >= 5
    assert any("event=lockout" in line and "username=officer" in line and "ip=203.0.113.7" in line for line in lines)


def test_an_address_is_paused_after_twenty_failures_over_any_accounts(world):
    for n in range(19):
        assert attempt(f"guess{n}").status_code == 200
    assert attempt("officer", PASSWORD).status_code == 302  # 19 failures from the address: allowed
    assert attempt("guess-last").status_code == 429  # the 20th
    assert attempt("auditor", PASSWORD).status_code == 429  # every account, from this address
    assert attempt("auditor", PASSWORD, ip="198.51.100.9").status_code == 302


def test_the_pause_ends_after_the_cool_off(world):
    lock("officer")
    age_attempts(minutes=14)
    assert Client(REMOTE_ADDR="203.0.113.7").get(LOGIN).status_code == 200  # looking is not trying
    age_attempts(minutes=2)
    assert attempt("officer", PASSWORD).status_code == 302  # 5 failures: 15 minutes, over


def test_each_further_failure_doubles_the_pause(world):
    lock("officer")
    assert attempt("officer", PASSWORD).status_code == 429  # a 6th failure during the pause: 30 minutes
    age_attempts(minutes=16)
    locked = attempt("officer", PASSWORD)  # still paused; a 7th failure: 60 minutes from now
    assert locked.status_code == 429 and "60 minutes" in locked.content.decode()
    age_attempts(minutes=59)
    assert attempt("officer", PASSWORD).status_code == 429  # the 8th: 2 hours
    age_attempts(minutes=121)
    assert attempt("officer", PASSWORD).status_code == 302


def test_the_pause_has_a_ceiling(world):
    lock("officer")
    AccessAttempt.objects.update(failures_since_start=60)
    locked = attempt("officer", PASSWORD)
    assert locked.status_code == 429 and "24 hours" in locked.content.decode()
    assert int(locked["Retry-After"]) == 24 * 3600


def test_the_unlock_command_lets_the_account_in_at_once(world):
    lock("officer")
    call_command("axes_reset_username", "officer", stdout=StringIO())
    assert attempt("officer", PASSWORD).status_code == 302


def test_wrong_codes_at_the_second_step_count_and_end_the_half_login(world, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert client.post(LOGIN, {"username": "officer", "password": PASSWORD}).status_code == 302
    for _ in range(4):
        assert client.post(CODE_STEP, {"code": "000000"}).status_code == 400
    locked = client.post(CODE_STEP, {"code": "000000"})
    assert locked.status_code == 429
    assert client.get(HOME)["Location"].startswith(LOGIN)  # logged out
    assert attempt("officer", PASSWORD).status_code == 429  # and the password step is paused too
    fresh = Client(REMOTE_ADDR="198.51.100.9")
    assert fresh.post(LOGIN, {"username": "officer", "password": PASSWORD})["Location"].startswith(CODE_STEP)
    assert fresh.post(CODE_STEP, {"code": totp_code(mfa.authenticator(world.officer))}).status_code == 302


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(world, settings):
    settings.AIMS_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for _ in range(5):
        Client(REMOTE_ADDR=proxy).post(
            LOGIN, {"username": "officer", "password": "wrong"}, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7"
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    other_client = Client(REMOTE_ADDR=proxy).post(
        LOGIN, {"username": "officer", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.9"
    )
    assert other_client.status_code == 302  # someone else behind the same proxy is not paused


def test_force_login_and_the_test_kit_are_not_throttled(world, client_as):
    fail("officer", 5, ip="127.0.0.1")
    assert client_as("officer").get(HOME).status_code in (200, 302)
    assert UserFactory(username="late")  # factories create users without a request: no axes involved
