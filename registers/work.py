"""What the registers app contributes to the items of "my work" and of reminders (``aims.work``).

Nothing of its own yet: the inventory records no dates by which an AI system, model or data set
must be looked at again. What waits for an AI system's owner (its impact assessment coming due
for re-assessment) is contributed by the assessments app, which holds those dates.
"""

from __future__ import annotations


def register() -> None:
    """Declare this app's work contributions (called from its AppConfig.ready())."""
