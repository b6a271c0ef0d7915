"""HTML routes of objectives, metrics and measurements (under ms/<ms_id>/governance/)."""

from django.urls import path

from governance.objectives import measurement_views, views

urlpatterns = [
    path("objectives/", views.objective_list, name="objective_list"),
    path("objectives/new/", views.objective_create, name="objective_create"),
    path("objectives/<int:pk>/", views.objective_detail, name="objective_detail"),
    path("objectives/<int:pk>/history/", views.objective_history, name="objective_history"),
    path("objectives/<int:pk>/edit/", views.objective_edit, name="objective_edit"),
    path("objectives/<int:pk>/withdraw/", views.objective_withdraw, name="objective_withdraw"),
    path("objectives/<int:pk>/raise-nonconformity/", views.objective_raise_nc, name="objective_raise_nc"),
    path("metrics/", views.metric_list, name="metric_list"),
    path("metrics/new/", views.metric_create, name="metric_create"),
    path("metrics/<int:pk>/", views.metric_detail, name="metric_detail"),
    path("metrics/<int:pk>/history/", views.metric_history, name="metric_history"),
    path("metrics/<int:pk>/edit/", views.metric_edit, name="metric_edit"),
    path("metrics/<int:pk>/retire/", views.metric_retire, name="metric_retire"),
    path("metrics/<int:pk>/measurements/new/", measurement_views.measurement_record, name="measurement_record"),
    path("measurements/<int:pk>/correct/", measurement_views.measurement_correct, name="measurement_correct"),
]
