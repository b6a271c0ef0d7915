"""HTML routes of the gateway's evidence, incident rule and metric feeds (under ms/<ms_id>/gateway/)."""

from django.urls import path

from gateway.evidence import views

urlpatterns = [
    path("evidence/", views.evidence, name="evidence"),
    path("evidence/incident-rule/", views.incident_rule, name="evidence_rule"),
    path("evidence/incident-rule/edit/", views.incident_rule_edit, name="evidence_rule_edit"),
    path("evidence/feeds/new/", views.feed_create, name="evidence_feed_create"),
    path("evidence/feeds/<int:pk>/edit/", views.feed_edit, name="evidence_feed_edit"),
    path("evidence/feeds/<int:pk>/remove/", views.feed_remove, name="evidence_feed_remove"),
]
