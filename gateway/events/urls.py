"""HTML routes of the event log (under ms/<ms_id>/gateway/)."""

from django.urls import path

from gateway.events import views

urlpatterns = [
    path("events/", views.event_list, name="events"),
    path("events/verify/", views.events_verify, name="events_verify"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
]
