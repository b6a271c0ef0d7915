"""The models of every family of the app (one module per family)."""

from reviews.models.meetings import ManagementReview, ReviewAction, ReviewDecision, ReviewInput
from reviews.models.readiness import ReadinessSnapshot
from reviews.models.reminders import ReminderPreference, ReminderSent

__all__ = [
    "ManagementReview",
    "ReadinessSnapshot",
    "ReminderPreference",
    "ReminderSent",
    "ReviewAction",
    "ReviewDecision",
    "ReviewInput",
]
