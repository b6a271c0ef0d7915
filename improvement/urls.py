"""HTML routes of the improvement loop (under ms/<ms_id>/improvement/): one module per register family."""

from django.urls import include, path

app_name = "improvement"
urlpatterns = [
    path("", include("improvement.audits.urls")),
    path("", include("improvement.nonconformities.urls")),
    path("", include("improvement.incidents.urls")),
]
