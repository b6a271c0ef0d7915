"""The models of every family of the app (one module per family)."""

from reviews.models.reminders import *  # noqa: F403
from reviews.models.readiness import ReadinessSnapshot

__all__ = ["ReadinessSnapshot"]
