"""The security log (logger ``aims.security``): one line per login, failure, lock-out and account change.

Each line is ``event=... user=... ip=...`` and the event's details, values quoted when they
hold spaces, so that a log shipper or ``grep`` can read it. By default it goes to
``AIMS_SECURITY_LOG`` (``var/log/security.log``) and to the console.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from aims.accounts.clients import client_address

logger = logging.getLogger("aims.security")

LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGIN_VERIFIED = "login_second_factor"
LOGOUT = "logout"
LOCKOUT = "lockout"
SESSION_EXPIRED = "session_expired"
MFA_ENROLLED = "mfa_enrolled"
MFA_REMOVED = "mfa_removed"
RECOVERY_CODES_CREATED = "recovery_codes_created"
RECOVERY_CODE_USED = "recovery_code_used"
PASSWORD_CHANGED = "password_changed"
TOKEN_CREATED = "api_token_created"
TOKEN_REVOKED = "api_token_revoked"
TOKEN_REFUSED = "api_token_refused"

_PLAIN = re.compile(r"^[\w.@:+/-]+$")


def record(event: str, *, request: Any = None, user: Any = None, level: int = logging.INFO, **details: Any) -> None:
    """Write one security event: who (``user``, or ``username=`` for someone unknown), from where, what."""
    fields: dict[str, Any] = {"event": event}
    if user is not None and getattr(user, "is_authenticated", False):
        fields["user"] = user.get_username()
    fields.update(details)
    if request is not None:
        fields["ip"] = client_address(request)
    line = " ".join(f"{key}={_value(value)}" for key, value in fields.items() if value not in (None, ""))
    logger.log(level, line, extra={"security_event": event})


def _value(value: Any) -> str:
    text = str(value)
    # JSON quoting keeps a crafted username from forging a line (no raw newlines or quotes).
    return text if _PLAIN.match(text) else json.dumps(text)


def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(LOGIN, request=request, user=user)


def _login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    stage = getattr(request, "aims_login_stage", "password")
    record(LOGIN_FAILED, request=request, level=logging.WARNING, username=credentials.get("username"), stage=stage)


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(LOGOUT, request=request, user=user, reason=getattr(request, "aims_logout_reason", None))


def _locked_out(sender: Any, request: Any, username: str | None = None, ip_address: str | None = None, **kwargs: Any):
    record(LOCKOUT, level=logging.WARNING, username=username, ip=ip_address)


def connect() -> None:
    """Record logins, failures, logouts and lock-outs as their signals fire (called once, from AppConfig.ready)."""
    from axes.signals import user_locked_out

    user_logged_in.connect(_logged_in, dispatch_uid="aims.security.login")
    user_login_failed.connect(_login_failed, dispatch_uid="aims.security.login_failed")
    user_logged_out.connect(_logged_out, dispatch_uid="aims.security.logout")
    user_locked_out.connect(_locked_out, dispatch_uid="aims.security.lockout")
