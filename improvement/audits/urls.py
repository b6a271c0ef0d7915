"""HTML routes of internal audits (under ms/<ms_id>/improvement/): programmes, audits with their checks, findings."""

from django.urls import path

from improvement.audits import finding_views, programme_views, views

urlpatterns = [
    path("programmes/", programme_views.programme_list, name="programme_list"),
    path("programmes/new/", programme_views.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", programme_views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/coverage/", programme_views.programme_coverage, name="programme_coverage"),
    path("programmes/<int:pk>/history/", programme_views.programme_history, name="programme_history"),
    path("programmes/<int:pk>/edit/", programme_views.programme_edit, name="programme_edit"),
    path("programmes/<int:pk>/delete/", programme_views.programme_delete, name="programme_delete"),
    path("programmes/<int:pk>/approve/", programme_views.programme_approve, name="programme_approve"),
    path("programmes/<int:pk>/activate/", programme_views.programme_activate, name="programme_activate"),
    path("programmes/<int:pk>/close/", programme_views.programme_close, name="programme_close"),
    path("audits/", views.audit_list, name="audit_list"),
    path("audits/new/", views.audit_create, name="audit_create"),
    path("audits/<int:pk>/", views.audit_detail, name="audit_detail"),
    path("audits/<int:pk>/history/", views.audit_history, name="audit_history"),
    path("audits/<int:pk>/report/", views.audit_report, name="audit_report"),
    path("audits/<int:pk>/edit/", views.audit_edit, name="audit_edit"),
    path("audits/<int:pk>/delete/", views.audit_delete, name="audit_delete"),
    path("audits/<int:pk>/start/", views.audit_start, name="audit_start"),
    path("audits/<int:pk>/sign-report/", views.audit_sign_report, name="audit_sign_report"),
    path("audits/<int:pk>/acknowledge/", views.audit_acknowledge, name="audit_acknowledge"),
    path("audits/<int:pk>/checks/<int:check_id>/", views.check_edit, name="check_edit"),
    path("findings/", finding_views.finding_list, name="finding_list"),
    path("findings/new/", finding_views.finding_create, name="finding_create"),
    path("findings/<int:pk>/", finding_views.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/history/", finding_views.finding_history, name="finding_history"),
    path("findings/<int:pk>/edit/", finding_views.finding_edit, name="finding_edit"),
    path("findings/<int:pk>/delete/", finding_views.finding_delete, name="finding_delete"),
]
