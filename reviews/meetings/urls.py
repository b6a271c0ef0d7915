"""HTML routes of the meetings family (under ms/<ms_id>/reviews/)."""

from django.urls import path

from reviews.meetings import views

R = "management-reviews/<int:pk>/"

urlpatterns = [
    path("management-reviews/", views.review_list, name="review_list"),
    path("management-reviews/new/", views.review_create, name="review_create"),
    path(R, views.review_detail, name="review_detail"),
    path(R + "history/", views.review_history, name="review_history"),
    path(R + "edit/", views.review_edit, name="review_edit"),
    path(R + "freeze-inputs/", views.review_freeze, name="review_freeze"),
    path(R + "held/", views.review_held, name="review_held"),
    path(R + "sign/", views.review_sign, name="review_sign"),
    path(R + "inputs/<int:input_id>/", views.input_update, name="review_input"),
    path(R + "decisions/new/", views.decision_add, name="review_decision_add"),
    path(R + "decisions/<int:decision_id>/remove/", views.decision_remove, name="review_decision_remove"),
    path(R + "actions/new/", views.action_add, name="review_action_add"),
    path(R + "actions/<int:action_id>/edit/", views.action_edit, name="review_action_edit"),
    path(R + "actions/<int:action_id>/status/", views.action_status, name="review_action_status"),
]
