"""HTML routes of nonconformities, corrective actions and effectiveness reviews (under ms/<ms_id>/improvement/)."""

from django.urls import path

from improvement.nonconformities import action_views, views

urlpatterns = [
    path("nonconformities/", views.nc_list, name="nc_list"),
    path("nonconformities/new/", views.nc_create, name="nc_create"),
    path("nonconformities/<int:pk>/", views.nc_detail, name="nc_detail"),
    path("nonconformities/<int:pk>/history/", views.nc_history, name="nc_history"),
    path("nonconformities/<int:pk>/edit/", views.nc_edit, name="nc_edit"),
    path("nonconformities/<int:pk>/withdraw/", views.nc_withdraw, name="nc_withdraw"),
    path("nonconformities/<int:pk>/transition/", views.nc_transition, name="nc_transition"),
    path("nonconformities/<int:pk>/close/", views.nc_close, name="nc_close"),
    path("nonconformities/<int:pk>/actions/new/", action_views.ca_create, name="ca_create"),
    path("nonconformities/<int:pk>/reviews/new/", action_views.review_plan, name="review_plan"),
    path("nonconformities/<int:pk>/reviews/<int:review_id>/plan/", action_views.review_replan, name="review_replan"),
    path(
        "nonconformities/<int:pk>/reviews/<int:review_id>/perform/", action_views.review_perform, name="review_perform"
    ),
    path("corrective-actions/", action_views.ca_list, name="ca_list"),
    path("corrective-actions/<int:pk>/", action_views.ca_detail, name="ca_detail"),
    path("corrective-actions/<int:pk>/history/", action_views.ca_history, name="ca_history"),
    path("corrective-actions/<int:pk>/edit/", action_views.ca_edit, name="ca_edit"),
]
