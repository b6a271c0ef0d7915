"""The models of the gateway (one module per family)."""

from gateway.models.actions import Connector, GatewayAction
from gateway.models.events import GatewayBody, GatewayEvent
from gateway.models.evidence import (
    GatewayCheckpoint,
    GatewayEvidence,
    GatewayIncidentBurst,
    GatewayIncidentRule,
    GatewayMetricFeed,
)
from gateway.models.keys import GatewayKey, ModelRoute
from gateway.models.policy import EntityAction, Outcome, PolicyRule, PolicyVersion

__all__ = [
    "EntityAction", "GatewayBody", "GatewayCheckpoint", "GatewayEvent", "GatewayEvidence", "GatewayIncidentBurst",
    "GatewayIncidentRule", "GatewayMetricFeed", "GatewayKey", "ModelRoute", "Outcome", "PolicyRule",
    "Connector", "GatewayAction",
    "EntityAction", "GatewayBody", "GatewayEvent", "GatewayKey", "ModelRoute", "Outcome", "PolicyRule",
    "PolicyVersion",
]  # fmt: skip
