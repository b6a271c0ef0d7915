"""The models of the gateway (one module per family)."""

from gateway.models.actions import Connector, GatewayAction
from gateway.models.events import GatewayBody, GatewayEvent
from gateway.models.keys import GatewayKey, ModelRoute
from gateway.models.policy import EntityAction, Outcome, PolicyRule, PolicyVersion

__all__ = [
    "Connector", "GatewayAction",
    "EntityAction", "GatewayBody", "GatewayEvent", "GatewayKey", "ModelRoute", "Outcome", "PolicyRule",
    "PolicyVersion",
]  # fmt: skip
