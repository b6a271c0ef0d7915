"""HTML routes under ms/<ms_id>/reviews/: one module per family."""

from django.urls import include, path

app_name = "reviews"
urlpatterns = [
    path("", include("reviews.meetings.urls")),
    path("", include("reviews.readiness.urls")),
    path("", include("reviews.mywork.urls")),
    path("", include("reviews.reminders.urls")),
]
