"""Demo context for Acme Health (filled in by its family)."""

from aims.demo import Demo


def load(demo: Demo) -> None:
    """Create the demo records once (idempotent)."""
