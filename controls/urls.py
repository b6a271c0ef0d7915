"""HTML routes of the Statement of Applicability, under ms/<ms_id>/soa/."""

from django.urls import path

from controls import views

app_name = "controls"
urlpatterns = [
    path("", views.soa, name="soa"),
    path("rows/<int:pk>/", views.soa_row_edit, name="soa_row_edit"),
    path("rows/<int:pk>/systems/", views.soa_row_systems, name="soa_row_systems"),
    path("rows/<int:pk>/history/", views.soa_row_history, name="soa_row_history"),
    path("changes/", views.soa_changes, name="soa_changes"),
    path("approve/", views.soa_approve, name="soa_approve"),
    path("export.csv", views.soa_export, {"fmt": "csv"}, name="soa_export_csv"),
    path("export.xlsx", views.soa_export, {"fmt": "xlsx"}, name="soa_export_xlsx"),
]
