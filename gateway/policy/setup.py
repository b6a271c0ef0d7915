"""Wiring of the gateway policy into the kit (called from GatewayConfig.ready())."""

from __future__ import annotations


def register() -> None:
    """The approval sign-off kind, the "my work" item of its approvers, the readiness check."""
    from gateway.policy import readiness, signoffs, work

    signoffs.register()
    work.register()
    readiness.register()
