"""Bearer tokens for tools: ``Authorization: Bearer <token>``; only a SHA-256 is stored.

A token works until it is revoked or expires. Failed token authentications are counted per
client address (``aims.accounts.throttling.TokenFailureThrottle``): beyond the rate, the
address gets 429 for a while, whatever token it sends.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from aims.accounts import security_log
from aims.accounts.throttling import TokenFailureThrottle
from aims.models import ApiToken
from aims.services import hash_token

# Recording every use would write on every request; once a minute is enough to spot stale tokens.
LAST_USED_RESOLUTION_SECONDS = 60


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate ``Authorization: Bearer <token>`` against the hashes of unrevoked tokens."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, ApiToken] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: let session authentication try
        throttle = TokenFailureThrottle()
        if throttle.blocked(request):
            wait = throttle.wait()
            raise exceptions.Throttled(wait=wait, detail="Too many failed token authentications from your address.")
        try:
            token = self._token(parts)
        except exceptions.AuthenticationFailed as failure:
            throttle.record_failure(request)
            presented = parts[1][:12].decode("ascii", "replace") if len(parts) == 2 else None
            security_log.record(
                security_log.TOKEN_REFUSED,
                request=request,
                level=logging.WARNING,
                token=presented,
                reason=str(failure.detail),
            )
            raise
        self._touch(token)
        return token.user, token

    def _token(self, parts: list[bytes]) -> ApiToken:
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: expected 'Bearer <token>'.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.") from None
        token = (
            ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw), revoked_at__isnull=True).first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if token.is_expired:
            raise exceptions.AuthenticationFailed(
                f"This token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC. "
                "Create a new one on your account page (or ask an administrator)."
            )
        return token

    def _touch(self, token: ApiToken) -> None:
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            # ApiToken is not a versioned register, so a plain column update is fine here.
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describe bearer tokens in the OpenAPI schema."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from your account page, or from `manage.py create_api_token USERNAME`. "
            "Tokens expire; failed attempts from one address are throttled (429).",
        }
