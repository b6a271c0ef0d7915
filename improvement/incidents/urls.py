"""HTML routes of AI incidents and concerns (under ms/<ms_id>/improvement/, namespace "improvement")."""

from django.urls import path

from improvement.incidents import views

urlpatterns = [
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/new/", views.incident_create, name="incident_create"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/history/", views.incident_history, name="incident_history"),
    path("incidents/<int:pk>/edit/", views.incident_edit, name="incident_edit"),
    path("incidents/<int:pk>/withdraw/", views.incident_withdraw, name="incident_withdraw"),
    path("incidents/<int:pk>/timeline/", views.incident_timeline_add, name="incident_timeline_add"),
    path("incidents/<int:pk>/triage/", views.incident_triage, name="incident_triage"),
    path("incidents/<int:pk>/transition/", views.incident_transition, name="incident_transition"),
    path("incidents/<int:pk>/decide/", views.incident_decide, name="incident_decide"),
    path(
        "incidents/<int:pk>/obligations/<int:obligation_id>/",
        views.incident_obligation,
        name="incident_obligation",
    ),
    path("concern/", views.concern_create, name="concern_create"),
]
