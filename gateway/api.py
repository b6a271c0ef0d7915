"""The gateway's part of /api/v1/: each family registers its viewsets."""

from rest_framework.routers import BaseRouter

from gateway.actions import api as actions_api
from gateway.events import api as events_api
from gateway.keys import api as keys_api
from gateway.policy import api as policy_api


def register(router: BaseRouter) -> None:
    """Register the gateway's viewsets."""
    keys_api.register(router)
    policy_api.register(router)
    events_api.register(router)
    actions_api.register(router)
