"""HTML routes of the audit packs."""

from django.urls import path

from packs import views

app_name = "packs"
urlpatterns = [
    path("", views.pack_list, name="list"),
    path("<int:pack_id>/status/", views.pack_status, name="status"),
    path("<int:pack_id>/retry/", views.pack_retry, name="retry"),
    path("<int:pack_id>/download/<str:part>/", views.pack_download, name="download"),
]
