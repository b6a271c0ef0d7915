"""HTML routes of gateway keys and model routes (under ms/<ms_id>/gateway/)."""

from django.urls import path

from gateway.keys import views

urlpatterns = [
    path("systems/<int:pk>/", views.system_gateway, name="system_gateway"),
    path("systems/<int:pk>/keys/new/", views.key_create, name="key_create"),
    path("systems/<int:pk>/models/<int:model_pk>/route/", views.route_edit, name="route_edit"),
    path("keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
]
