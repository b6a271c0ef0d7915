"""HTML routes of the context family (under ms/<ms_id>/governance/)."""

from django.urls import path

from governance.context import views

urlpatterns = [
    path("context/", views.context_issue_list, name="context_issue_list"),
    path("context/new/", views.context_issue_create, name="context_issue_create"),
    path("context/<int:pk>/", views.context_issue_detail, name="context_issue_detail"),
    path("context/<int:pk>/history/", views.context_issue_history, name="context_issue_history"),
    path("context/<int:pk>/edit/", views.context_issue_edit, name="context_issue_edit"),
    path("context/<int:pk>/retire/", views.context_issue_retire, name="context_issue_retire"),
    path("interested-parties/", views.interested_party_list, name="interested_party_list"),
    path("interested-parties/new/", views.interested_party_create, name="interested_party_create"),
    path("interested-parties/<int:pk>/", views.interested_party_detail, name="interested_party_detail"),
    path("interested-parties/<int:pk>/history/", views.interested_party_history, name="interested_party_history"),
    path("interested-parties/<int:pk>/edit/", views.interested_party_edit, name="interested_party_edit"),
    path("interested-parties/<int:pk>/retire/", views.interested_party_retire, name="interested_party_retire"),
    path("legal-register/", views.legal_register, name="legal_register"),
    path("legal-register/new/", views.requirement_create, name="requirement_create"),
    path("legal-register/<int:pk>/", views.requirement_detail, name="requirement_detail"),
    path("legal-register/<int:pk>/history/", views.requirement_history, name="requirement_history"),
    path("legal-register/<int:pk>/edit/", views.requirement_edit, name="requirement_edit"),
    path("legal-register/<int:pk>/retire/", views.requirement_retire, name="requirement_retire"),
]
