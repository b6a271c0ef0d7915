"""HTML routes (filled in by the issue that builds them)."""

from django.urls import path  # noqa: F401

app_name = "controls"
urlpatterns: list = []
