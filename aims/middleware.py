"""Response headers every page and API answer carries, beyond Django's and django-csp's."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

API_PREFIX = "/api/"


def permissions_policy(features: dict[str, list[str]]) -> str:
    """Format the Permissions-Policy header: ``camera=(), geolocation=(self)``."""
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in features.items())


def browser_policy_headers(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Deny unused browser features; keep what a signed-in person sees, and every API answer, out of caches."""
    policy = permissions_policy(settings.PERMISSIONS_POLICY)

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", policy)
        # The API authenticates in the view (tokens), after this middleware has run, so
        # every API answer counts as private; a page is private when a session is signed in.
        user = getattr(request, "user", None)
        if request.path.startswith(API_PREFIX) or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)  # private, no-cache, no-store, must-revalidate
        return response

    return middleware
