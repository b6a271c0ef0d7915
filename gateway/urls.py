"""HTML routes of the gateway (under ms/<ms_id>/gateway/), one include per family."""

from django.urls import include, path

app_name = "gateway"

urlpatterns = [
    path("", include("gateway.keys.urls")),
    path("", include("gateway.policy.urls")),
    path("", include("gateway.events.urls")),
    path("", include("gateway.actions.urls")),
    path("", include("gateway.evidence.urls")),
]
