"""Root URL configuration: one include per area; each app owns its own URL module."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from aims import health
from aims.accounts.views import LoginView

# The docs load their start-up script by URL (the "split" view), so the page needs no inline
# script; they are for signed-in people only (the schema needs a session or a token).
api_docs = login_required(SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"))

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("aims.accounts.urls")),  # the login's code step and the Account page
    path("", include("aims.site_urls")),
    path("ms/<int:ms_id>/registers/", include("registers.urls")),
    path("ms/<int:ms_id>/evidence/", include("evidence.urls")),
    path("ms/<int:ms_id>/soa/", include("controls.urls")),
    path("ms/<int:ms_id>/assessments/", include("assessments.urls")),
    path("ms/<int:ms_id>/improvement/", include("improvement.urls")),
    path("ms/<int:ms_id>/governance/", include("governance.urls")),
    path("ms/<int:ms_id>/reviews/", include("reviews.urls")),
    path("ms/<int:ms_id>/ledger/", include("aims.ledger_urls")),
    path("ms/<int:ms_id>/packs/", include("packs.urls")),
    path("ms/<int:ms_id>/gateway/", include("gateway.urls")),
    path("gateway/v1/", include("gateway.v1_urls")),  # the AI systems' OpenAI-compatible gateway (ASGI)
    path("tools/", include("packs.tool_urls")),  # the standalone pack verifier
    path("api/v1/", include("aims.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
]

# JSON under /api/, the site's pages elsewhere (aims/errors.py).
handler400 = "aims.errors.bad_request"
handler403 = "aims.errors.permission_denied"
handler404 = "aims.errors.page_not_found"
handler500 = "aims.errors.server_error"
