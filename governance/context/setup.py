"""Wiring of the context family into the kit (sign-off kinds, evidence links, pack sections)."""


def register() -> None:
    """Called from GovernanceConfig.ready()."""
