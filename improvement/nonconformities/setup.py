"""Wiring of the nonconformities register family into the kit (sign-off kinds, evidence links, panels)."""

from __future__ import annotations


def register() -> None:
    """Called from ImprovementConfig.ready()."""
