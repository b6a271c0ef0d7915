"""HTML routes of the readiness family."""

from django.urls import path

from reviews.readiness import views

urlpatterns = [
    path("readiness/", views.readiness, name="readiness"),
]
