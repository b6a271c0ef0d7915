"""Session timeouts, and the gate between a password and the rest of the site.

``SessionTimeoutMiddleware`` logs a session out after ``AIMS_SESSION_IDLE_MINUTES`` without a
request and ``AIMS_SESSION_MAX_HOURS`` after its login, whatever the activity.

``SecondFactorMiddleware``: a user who has an authenticator has finished logging in only once
they gave its code (django-otp's ``user.is_verified()``); until then they can open the code
step and log out, nothing else. A user whose role requires a second factor and who has none
can open the authenticator set-up and log out, nothing else. The admin's own login goes
through the same gate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from aims import mfa

LOGGED_IN_AT = "aims_logged_in_at"
LAST_SEEN_AT = "aims_last_seen_at"
# Recording every request would write the session on every request; a minute's precision is
# enough (setting AIMS_SESSION_TOUCH_SECONDS).
TOUCH_EVERY_SECONDS = 60

CODE_STEP = "account:login_code"
ENROLMENT = "account:authenticator_setup"
OPEN_DURING_CODE_STEP = {CODE_STEP, "logout"}
OPEN_DURING_ENROLMENT = {ENROLMENT, "logout"}


def _start_session_clock(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    now = int(time.time())
    request.session[LOGGED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now


def connect() -> None:
    """Start each session's clock at login (called once, from AppConfig.ready)."""
    user_logged_in.connect(_start_session_clock, dispatch_uid="aims.accounts.session_clock")


def _touch_every() -> int:
    return getattr(settings, "AIMS_SESSION_TOUCH_SECONDS", TOUCH_EVERY_SECONDS)


class SessionTimeoutMiddleware:
    """Log out sessions idle too long or older than the absolute limit; note the last activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        session, now = request.session, int(time.time())
        logged_in_at = session.setdefault(LOGGED_IN_AT, now)
        last_seen_at = session.get(LAST_SEEN_AT, now)
        if now - last_seen_at > settings.AIMS_SESSION_IDLE_MINUTES * 60:
            minutes = f"{settings.AIMS_SESSION_IDLE_MINUTES:g}"
            self._end(request, "idle", f"You were logged out after {minutes} minutes without activity. Log in again.")
        elif now - logged_in_at > settings.AIMS_SESSION_MAX_HOURS * 3600:
            hours = f"{settings.AIMS_SESSION_MAX_HOURS:g}"
            self._end(request, "maximum", f"Sessions last at most {hours} hours. Log in again.")
        elif now - last_seen_at >= _touch_every() or LAST_SEEN_AT not in session:
            session[LAST_SEEN_AT] = now

    @staticmethod
    def _end(request: HttpRequest, reason: str, message: str) -> None:
        request.aims_logout_reason = f"{reason} timeout"
        logout(request)
        messages.info(request, message)


class SecondFactorMiddleware:
    """Keep a login that still owes its second factor (or its enrolment) to the pages that finish it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        view_name = request.resolver_match.view_name if request.resolver_match else ""
        if mfa.has_second_factor(user):
            if view_name in OPEN_DURING_CODE_STEP:
                request.account_pending = True
                return None
            return _send_to(request, CODE_STEP, "Finish logging in: give the code from your authenticator app.")
        if mfa.mfa_required(user):
            if view_name in OPEN_DURING_ENROLMENT:
                request.account_pending = True
                return None
            return _send_to(
                request, ENROLMENT, "Your role requires a second factor: set up an authenticator app to continue."
            )
        return None


def _send_to(request: HttpRequest, view_name: str, message: str) -> HttpResponse:
    url = reverse(view_name)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"{message} ({url})"}, status=403)
    if request.method == "GET":
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    return redirect(url)
