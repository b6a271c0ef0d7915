"""Wiring of gateway actions into the kit (called from GatewayConfig.ready()): the approvers' My work items.

The approval queue and the connectors are entries of the Gateway menu (``gateway.events.setup.MENU``).
"""

from __future__ import annotations


def register() -> None:
    from gateway.actions import work

    work.register()
