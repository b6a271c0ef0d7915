"""Root URL configuration: one include per area; each app owns its own URL module."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("aims.site_urls")),
    path("ms/<int:ms_id>/registers/", include("registers.urls")),
    path("ms/<int:ms_id>/evidence/", include("evidence.urls")),
    path("ms/<int:ms_id>/soa/", include("controls.urls")),
    path("ms/<int:ms_id>/assessments/", include("assessments.urls")),
    path("ms/<int:ms_id>/ledger/", include("aims.ledger_urls")),
    path("ms/<int:ms_id>/packs/", include("packs.urls")),
    path("api/v1/", include("aims.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

# JSON under /api/, the site's pages elsewhere (aims/errors.py).
handler400 = "aims.errors.bad_request"
handler403 = "aims.errors.permission_denied"
handler404 = "aims.errors.page_not_found"
handler500 = "aims.errors.server_error"
