"""What every endpoint under /gateway/v1/ shares: the OpenAI-style error body and the key check.

The endpoints are async views served by Django's ASGI application (``aims/asgi.py``); they
answer the AI systems, never people, so they use neither sessions nor CSRF: a gateway key in
``Authorization: Bearer ...`` is the only credential. Errors have OpenAI's shape,
``{"error": {"message", "type", "param", "code"}}``, so that SDKs show the message.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, JsonResponse

from gateway.keys.services import KeyRefused, key_authenticate, key_mark_used
from gateway.models import GatewayKey

__all__ = ["GatewayError", "authenticate", "error_response"]

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "conflict_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
    502: "upstream_error",
    503: "service_unavailable_error",
    504: "upstream_timeout_error",
}


class GatewayError(Exception):
    """A refusal or failure to answer with an OpenAI-style error body."""

    def __init__(self, status: int, message: str, *, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param


def error_response(status: int, message: str, *, code: str, param: str | None = None) -> JsonResponse:
    """An OpenAI-style error body."""
    body = {"error": {"message": message, "type": ERROR_TYPES.get(status, "api_error"), "param": param, "code": code}}
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="aims-gateway"'
    return response


def from_error(error: GatewayError) -> JsonResponse:
    return error_response(error.status, error.message, code=error.code, param=error.param)


def _authenticate(authorization: str) -> GatewayKey:
    key = key_authenticate(authorization)
    key_mark_used(key)
    return key


async def authenticate(request: HttpRequest) -> GatewayKey:
    """The active gateway key of the request, or ``KeyRefused`` (its ``key`` set when it was revoked or expired)."""
    authorization = request.headers.get("Authorization", "")
    if not authorization:
        raise KeyRefused("No gateway key: send 'Authorization: Bearer aimsgw_...'.")
    return await sync_to_async(_authenticate, thread_sensitive=True)(authorization)
