"""HTML routes of the approval queue, actions and connectors (under ms/<ms_id>/gateway/)."""

from django.urls import path

from gateway.actions import views

urlpatterns = [
    path("actions/", views.action_queue, name="action_queue"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("actions/<int:pk>/decide/", views.action_decide, name="action_decide"),
    path("connectors/", views.connector_list, name="connector_list"),
    path("connectors/new/", views.connector_create, name="connector_create"),
    path("connectors/<int:pk>/edit/", views.connector_edit, name="connector_edit"),
    path("connectors/<int:pk>/retire/", views.connector_retire, name="connector_retire"),
]
