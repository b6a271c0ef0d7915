"""Demo: a management review held after the internal audit (filled by the meetings family)."""

from __future__ import annotations

from typing import Any


def load(demo: Any) -> None:
    """Add the demo's management review."""
