"""The /api/v1/ router: each area registers its viewsets through its api.register()."""

from importlib import import_module

from rest_framework.routers import DefaultRouter

AREAS = [
    "aims.api",
    "evidence.api",
    "registers.api",
    "controls.api",
    "assessments.api",
    "improvement.api",
    "governance.api",
    "reviews.api",
    "packs.api",
    "gateway.api",
]

router = DefaultRouter()
extra_urlpatterns: list = []
for area in AREAS:
    module = import_module(area)
    module.register(router)
    extra_urlpatterns += getattr(module, "urlpatterns", [])

urlpatterns = extra_urlpatterns + router.urls
