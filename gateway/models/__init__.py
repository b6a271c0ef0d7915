"""The models of the gateway (one module per family)."""

from gateway.models.events import *  # noqa: F403
