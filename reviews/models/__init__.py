"""The models of every family of the app (one module per family)."""

from reviews.models.readiness import ReadinessSnapshot
from reviews.models.reminders import ReminderPreference, ReminderSent

__all__ = ["ReadinessSnapshot", "ReminderPreference", "ReminderSent"]
"""The models of every family of the app (one module per family); each module lists its models in ``__all__``."""

from reviews.models.meetings import *  # noqa: F403
