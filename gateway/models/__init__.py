"""The models of the gateway (one module per family)."""

from gateway.models.events import GatewayBody, GatewayEvent
from gateway.models.keys import GatewayKey, ModelRoute

__all__ = ["GatewayBody", "GatewayEvent", "GatewayKey", "ModelRoute"]
