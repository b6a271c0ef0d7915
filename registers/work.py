"""What the registers app contributes to the items of "my work" and of reminders (``aims.work``)."""

from __future__ import annotations


def register() -> None:
    """Declare this app's work contributions (called from its AppConfig.ready())."""
