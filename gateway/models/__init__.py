"""The models of the gateway (one module per family)."""

from gateway.models.events import *  # noqa: F403
from gateway.models.keys import GatewayKey, ModelRoute

__all__ = ["GatewayKey", "ModelRoute"]
