"""HTML routes of the scope family (under ms/<ms_id>/governance/)."""

from django.urls import path

from governance.scope import views

urlpatterns = [
    path("scope/", views.scope_detail, name="scope"),
    path("scope/history/", views.scope_history, name="scope_history"),
    path("scope/edit/", views.scope_edit, name="scope_edit"),
    path("scope/approve/", views.scope_approve, name="scope_approve"),
    path("scope/refresh/", views.scope_refresh, name="scope_refresh"),
    path("scope/exclusions/new/", views.exclusion_add, name="scope_exclusion_add"),
    path("scope/exclusions/<int:exclusion_id>/edit/", views.exclusion_edit, name="scope_exclusion_edit"),
    path("scope/exclusions/<int:exclusion_id>/remove/", views.exclusion_remove, name="scope_exclusion_remove"),
]
