"""The gateway's OpenAI-compatible endpoints, under /gateway/v1/ (async views, ``aims/asgi.py``)."""

from django.urls import include, path

urlpatterns = [
    path("", include("gateway.calls.urls")),
    path("", include("gateway.actions.endpoint_urls")),
]
