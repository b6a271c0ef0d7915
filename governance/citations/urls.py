"""HTML routes of SoA citations (under ms/<ms_id>/governance/)."""

from django.urls import path

from governance.citations import views

urlpatterns = [
    path("soa-rows/<int:row_id>/citations/", views.soa_citations, name="soa_citations"),
    path("soa-rows/<int:row_id>/citations/<int:pk>/remove/", views.soa_citation_remove, name="soa_citation_remove"),
]
