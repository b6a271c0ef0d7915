"""The improvement loop's API: each register family registers its viewsets."""

from __future__ import annotations

from rest_framework.routers import BaseRouter

from improvement.audits import api as audits
from improvement.incidents import api as incidents
from improvement.nonconformities import api as nonconformities


def register(router: BaseRouter) -> None:
    audits.register(router)
    nonconformities.register(router)
    incidents.register(router)
