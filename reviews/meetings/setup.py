"""Wiring of the meetings family into the kit."""

from __future__ import annotations


def register() -> None:
    """Called from ReviewsConfig.ready()."""
