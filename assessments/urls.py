"""HTML routes of risk and impact assessments (under ms/<ms_id>/assessments/)."""

from django.urls import path

from assessments import impact_views, views

app_name = "assessments"
urlpatterns = [
    path("criteria/", views.criteria_list, name="criteria_list"),
    path("criteria/new/", views.criteria_create, name="criteria_create"),
    path("criteria/<int:pk>/", views.criteria_detail, name="criteria_detail"),
    path("criteria/<int:pk>/approve/", views.criteria_approve, name="criteria_approve"),
    path("risks/", views.risk_list, name="risk_list"),
    path("risks/new/", views.risk_create, name="risk_create"),
    path("risks/<int:pk>/", views.risk_detail, name="risk_detail"),
    path("risks/<int:pk>/history/", views.risk_history, name="risk_history"),
    path("risks/<int:pk>/edit/", views.risk_edit, name="risk_edit"),
    path("risks/<int:pk>/accept/", views.risk_accept, name="risk_accept"),
    path("risks/<int:pk>/delete/", views.risk_delete, name="risk_delete"),
    path("heatmap/", views.heatmap_page, name="heatmap"),
    path("impact/", impact_views.impact_list, name="impact_list"),
    path("impact/new/", impact_views.impact_create, name="impact_create"),
    path("impact/<int:pk>/", impact_views.impact_detail, name="impact_detail"),
    path("impact/<int:pk>/history/", impact_views.impact_history, name="impact_history"),
    path("impact/<int:pk>/edit/", impact_views.impact_edit, name="impact_edit"),
    path("impact/<int:pk>/delete/", impact_views.impact_delete, name="impact_delete"),
    path("impact/<int:pk>/approve/", impact_views.impact_approve, name="impact_approve"),
    path("impact/<int:pk>/reassess/", impact_views.impact_reassess, name="impact_reassess"),
    path("impact-criteria/", impact_views.impact_criteria_list, name="impact_criteria_list"),
    path("impact-criteria/new/", impact_views.impact_criteria_create, name="impact_criteria_create"),
    path("impact-criteria/<int:pk>/", impact_views.impact_criteria_detail, name="impact_criteria_detail"),
    path("impact-criteria/<int:pk>/approve/", impact_views.impact_criteria_approve, name="impact_criteria_approve"),
    path("impact/<int:pk>/rows/<int:row_id>/raise-risk/", impact_views.impact_raise_risk, name="impact_raise_risk"),
]
