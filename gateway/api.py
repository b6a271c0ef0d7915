"""The gateway's part of /api/v1/: each family registers its viewsets."""

from rest_framework.routers import BaseRouter

from gateway.actions import api as actions_api
from gateway.keys import api as keys_api


def register(router: BaseRouter) -> None:
    """Register the gateway's viewsets."""
    keys_api.register(router)
    actions_api.register(router)
