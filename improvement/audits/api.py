from __future__ import annotations

from rest_framework.routers import BaseRouter


def register(router: BaseRouter) -> None:
    """Register this family's viewsets on the shared /api/v1/ router."""
