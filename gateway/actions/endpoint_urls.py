"""Routes of /gateway/v1/actions: propose (or perform an approved) action, read one."""

from django.urls import path

from gateway.actions import endpoints

urlpatterns = [
    path("actions", endpoints.actions, name="gateway_v1_actions"),
    path("actions/<str:reference>", endpoints.action_detail, name="gateway_v1_action"),
]
