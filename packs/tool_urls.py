"""Routes of the pack tools that belong to no management system: the standalone verifier."""

from django.urls import path

from packs import views

app_name = "pack_tools"
urlpatterns = [path("aims-verify.py", views.verifier_download, name="verifier")]
