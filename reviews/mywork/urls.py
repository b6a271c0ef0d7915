"""HTML routes of the mywork family."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
