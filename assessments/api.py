"""API routes of this area; aims.api_urls calls register(router)."""

from rest_framework.routers import BaseRouter


def register(router: BaseRouter) -> None:
    """Register this area's viewsets on the shared /api/v1/ router."""
