"""The app's API: each family registers its viewsets (and extra routes in ``urlpatterns``)."""

from __future__ import annotations

from rest_framework.routers import BaseRouter

from reviews.meetings import api as meetings
from reviews.readiness import api as readiness

urlpatterns = [*meetings.urlpatterns, *readiness.urlpatterns]


def register(router: BaseRouter) -> None:
    meetings.register(router)
    readiness.register(router)
