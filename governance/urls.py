"""HTML routes of the management system's records (under ms/<ms_id>/governance/): one module per family."""

from django.urls import include, path

from governance import views

app_name = "governance"
urlpatterns = [
    path("", views.home, name="home"),
    path("ai-policy/", views.ai_policy, name="ai_policy"),
    path("", include("governance.documents.urls")),
    path("", include("governance.people.urls")),
    path("", include("governance.context.urls")),
    path("", include("governance.scope.urls")),
    path("", include("governance.objectives.urls")),
    path("", include("governance.citations.urls")),
]
