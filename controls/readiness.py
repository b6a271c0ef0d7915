"""What the controls app contributes to the readiness checks (``aims.readiness``)."""

from __future__ import annotations


def register() -> None:
    """Declare this app's readiness contributions (called from its AppConfig.ready())."""
