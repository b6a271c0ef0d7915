"""HTML routes of the AI system register (under ms/<ms_id>/registers/)."""

from django.urls import path

from registers import views

app_name = "registers"
urlpatterns = [
    path("ai-systems/", views.ai_system_list, name="ai_system_list"),
    path("ai-systems/new/", views.ai_system_create, name="ai_system_create"),
    path("ai-systems/<int:pk>/", views.ai_system_detail, name="ai_system_detail"),
    path("ai-systems/<int:pk>/history/", views.ai_system_history, name="ai_system_history"),
    path("ai-systems/<int:pk>/edit/", views.ai_system_edit, name="ai_system_edit"),
    path("ai-systems/<int:pk>/delete/", views.ai_system_delete, name="ai_system_delete"),
    # Model records, dataset records and suppliers share one set of views.
    path("<slug:kind>/", views.record_list, name="record_list"),
    path("<slug:kind>/new/", views.record_create, name="record_create"),
    path("<slug:kind>/<int:pk>/", views.record_detail, name="record_detail"),
    path("<slug:kind>/<int:pk>/history/", views.record_history, name="record_history"),
    path("<slug:kind>/<int:pk>/edit/", views.record_edit, name="record_edit"),
    path("<slug:kind>/<int:pk>/delete/", views.record_delete, name="record_delete"),
]
