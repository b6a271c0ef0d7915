"""HTML routes of the reminders family."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
