"""HTML routes of the evidence register."""

from django.urls import path

from evidence import views

app_name = "evidence"
urlpatterns = [
    path("", views.evidence_list, name="list"),
    path("new/", views.evidence_create, name="create"),
    path("<int:pk>/", views.evidence_detail, name="detail"),
    path("<int:pk>/correct/", views.evidence_supersede, name="supersede"),
    path("<int:pk>/download/", views.evidence_download, name="download"),
]
