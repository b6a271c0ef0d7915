"""Throttling of failed logins (django-axes) and of failed API tokens (a DRF throttle).

Logins: failures are counted per account at an address (``AXES_FAILURE_LIMIT``, e.g. 5) and
per address over all accounts (``AIMS_LOGIN_FAILURE_LIMIT_PER_ADDRESS``, e.g. 20, so one office
behind a shared address is not locked out by one person's typos). A locked-out client waits
``AIMS_LOGIN_COOLOFF_MINUTES``; every further failure doubles the wait, up to
``AIMS_LOGIN_COOLOFF_MAX_HOURS``. A wrong code at the second step counts as a failure too.
``manage.py axes_reset_username USERNAME`` (or ``axes_reset_ip ADDRESS``) unlocks at once.

API tokens: failed bearer-token authentications from one address beyond the
``token_failures`` rate are answered 429 until the window passes, whatever token is sent.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from aims.accounts.clients import client_address

# 2**16 cool-offs already exceed any sensible ceiling; the cap keeps timedelta from overflowing.
_MAX_DOUBLINGS = 16


class LoginAttempts(AxesDatabaseHandler):
    """Axes' database handler, with a larger allowance for an address than for one account at it."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        return self.weigh(self.get_user_attempts(request, credentials))

    def weigh(self, attempt_lists: list[QuerySet]) -> int:
        """The failures that count against ``AXES_FAILURE_LIMIT``: the account's, or the address's scaled down."""
        totals = [_total(attempts) for attempts in attempt_lists]
        if len(totals) != 2:  # lockout parameters other than [[username, ip_address], ip_address]
            return max(totals, default=0)
        per_account, per_address = totals
        scaled = per_address * settings.AXES_FAILURE_LIMIT // max(1, settings.AIMS_LOGIN_FAILURE_LIMIT_PER_ADDRESS)
        return max(per_account, scaled)


def _total(attempts: QuerySet) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def login_cool_off(request: HttpRequest | None = None) -> timedelta:
    """How long a client waits after its last failure: the base cool-off, doubled for each failure beyond the limit."""
    base = timedelta(minutes=settings.AIMS_LOGIN_COOLOFF_MINUTES)
    ceiling = timedelta(hours=settings.AIMS_LOGIN_COOLOFF_MAX_HOURS)
    if request is None or not hasattr(request, "axes_ip_address"):
        return base
    handler = AxesProxyHandler.get_implementation()
    # All of the client's recorded failures, whatever their age: expired ones are deleted by axes.
    failures = handler.weigh(handler.filter_user_attempts(request, _credentials(request)))
    beyond = min(max(0, failures - settings.AXES_FAILURE_LIMIT), _MAX_DOUBLINGS)
    return min(base * 2**beyond, ceiling)


def _credentials(request: HttpRequest) -> dict | None:
    # The code step posts no username; it names the account it is finishing on the request.
    username = getattr(request, "aims_login_username", None)
    return {"username": username} if username else None


def describe(wait: timedelta) -> str:
    """A wait in plain words: "15 minutes", "2 hours"."""
    minutes = math.ceil(wait.total_seconds() / 60)
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"{hours} hours"


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: dict | None = None
) -> HttpResponse:
    """The answer to a locked-out login (HTTP 429): how long to wait, and who can unlock sooner."""
    wait = login_cool_off(request)
    message = (
        f"Too many failed logins. Logging in from your address is paused for {describe(wait)} after the last "
        "attempt, and each further attempt makes the pause longer. An administrator can unlock the account sooner."
    )
    if request.path.startswith("/api/") or request.headers.get("x-requested-with") == "XMLHttpRequest":
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message, "wait": wait}, status=429)
    response["Retry-After"] = str(int(wait.total_seconds()))
    return response


class TokenFailureThrottle(SimpleRateThrottle):
    """Failed bearer-token authentications per client address (rate ``token_failures``)."""

    scope = "token_failures"

    def get_rate(self) -> str | None:
        # Read at use, not at import, so the setting can change (tests, reloads).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Any, view: Any = None) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request) or "unknown"}

    def blocked(self, request: Any) -> bool:
        """Whether this address has used up its failures for the current window."""
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record_failure(self, request: Any) -> None:
        """Count one failed authentication from this address."""
        self.blocked(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)
