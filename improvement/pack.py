"""Pack sections of the improvement loop: internal audits, nonconformities, incidents."""

from __future__ import annotations


def register() -> None:
    """Declare the improvement loop's pack sections (filled in by the packs work)."""
