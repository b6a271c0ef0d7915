"""Wiring of gateway keys and routes into the kit (called from GatewayConfig.ready())."""

from __future__ import annotations


def register() -> None:
    """Nothing to plug in yet: the pages are reached from the AI system's page."""
