"""Wiring of the gateway's own evidence into the kit (called from GatewayConfig.ready())."""

from __future__ import annotations


def register() -> None:
    """The checkpoint sign-off kind and the pack section."""
    from gateway.evidence import checkpoints, pack

    checkpoints.register()
    pack.register()
