"""HTML routes of the reminders family (under ms/<ms_id>/reviews/)."""

from django.urls import path

from reviews.reminders import views

urlpatterns = [
    path("reminders/", views.reminders, name="reminders"),
]
