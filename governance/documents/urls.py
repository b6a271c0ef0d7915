"""HTML routes of the documents family (under ms/<ms_id>/governance/)."""

from django.urls import path

from governance.documents import version_views, views

urlpatterns = [
    path("documents/", views.document_list, name="document_list"),
    path("documents/new/", views.document_create, name="document_create"),
    path("documents/add-required/", views.document_seed, name="document_seed"),
    path("documents/<int:pk>/", views.document_detail, name="document_detail"),
    path("documents/<int:pk>/history/", views.document_history, name="document_history"),
    path("documents/<int:pk>/edit/", views.document_edit, name="document_edit"),
    path("documents/<int:pk>/versions/new/", views.version_new, name="version_new"),
    path("document-versions/<int:pk>/", version_views.version_detail, name="version_detail"),
    path("document-versions/<int:pk>/history/", version_views.version_history, name="version_history"),
    path("document-versions/<int:pk>/edit/", version_views.version_edit, name="version_edit"),
    path("document-versions/<int:pk>/submit/", version_views.version_submit, name="version_submit"),
    path("document-versions/<int:pk>/return/", version_views.version_return, name="version_return"),
    path("document-versions/<int:pk>/approve/", version_views.version_approve, name="version_approve"),
    path("document-versions/<int:pk>/acknowledge/", version_views.version_acknowledge, name="version_acknowledge"),
]
