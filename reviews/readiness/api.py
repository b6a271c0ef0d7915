"""API of the readiness family."""

from __future__ import annotations

from django.urls import URLPattern
from rest_framework.routers import BaseRouter

urlpatterns: list[URLPattern] = []


def register(router: BaseRouter) -> None:
    """Register the family's viewsets."""
