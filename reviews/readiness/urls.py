"""HTML routes of the readiness family."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
