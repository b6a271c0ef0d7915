"""HTML routes of the gateway policy (under ms/<ms_id>/gateway/policy/)."""

from django.urls import path

from gateway.policy import views

urlpatterns = [
    path("policy/", views.policy_list, name="policy_list"),
    path("policy/new/", views.policy_new, name="policy_new"),
    path("policy/<int:pk>/", views.policy_detail, name="policy_detail"),
    path("policy/<int:pk>/history/", views.policy_history, name="policy_history"),
    path("policy/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    path("policy/<int:pk>/submit/", views.policy_submit, name="policy_submit"),
    path("policy/<int:pk>/return/", views.policy_return, name="policy_return"),
    path("policy/<int:pk>/withdraw/", views.policy_withdraw, name="policy_withdraw"),
    path("policy/<int:pk>/approve/", views.policy_approve, name="policy_approve"),
    path("policy/<int:pk>/rules/new/", views.rule_add, name="policy_rule_add"),
    path("policy/rules/<int:pk>/edit/", views.rule_edit, name="policy_rule_edit"),
    path("policy/rules/<int:pk>/remove/", views.rule_remove, name="policy_rule_remove"),
    path("policy/rules/<int:pk>/move/", views.rule_move, name="policy_rule_move"),
]
