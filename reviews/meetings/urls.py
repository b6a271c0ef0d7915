"""HTML routes of the meetings family."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
