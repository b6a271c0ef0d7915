"""The address a request comes from, the same for login throttling, token throttling and the security log."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def client_address(request: Any) -> str | None:
    """The client's IP address: ``REMOTE_ADDR``, or behind ``AIMS_PROXY_COUNT`` proxies the entry they appended.

    Each proxy appends the address it received the request from to ``X-Forwarded-For``, so
    with N trusted proxies the client is the N-th entry from the right; entries further left
    are whatever the client chose to send and are not trusted.
    """
    meta = getattr(request, "META", {})
    proxies = getattr(settings, "AIMS_PROXY_COUNT", 0)
    if proxies:
        hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return meta.get("REMOTE_ADDR") or None
