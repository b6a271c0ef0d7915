"""Readiness snapshots: the self-assessment as it was evaluated at a moment, kept for packs dated then.

The checks read the registers as they are now; a pack as of a past date shows the latest snapshot
taken at or before that date. Snapshots are taken by the daily beat task and whenever a pack is
gathered for a recent moment. They are records of what was evaluated: never edited.
"""

from __future__ import annotations

from django.db import models

from aims.models import ManagementSystem

__all__ = ["ReadinessSnapshot"]


class ReadinessSnapshot(models.Model):
    """The verdict and every check's result at ``taken_at``, with the SHA-256 of their canonical JSON."""

    class Source(models.TextChoices):
        DAILY = "daily", "Daily evaluation"
        PACK = "pack", "Audit pack"
        MANUAL = "manual", "Taken on request"

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField()
    ready = models.BooleanField(help_text="Ready for Stage 1: no failing blocker.")
    results = models.JSONField(help_text="The verdict, counts and every check's result, as the API gives them.")
    sha256 = models.CharField("SHA-256", max_length=64)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.DAILY)

    class Meta:
        ordering = ["management_system", "-taken_at"]
        indexes = [models.Index(fields=["management_system", "-taken_at"])]

    def __str__(self) -> str:
        verdict = "ready" if self.ready else "not ready"
        return f"Readiness of {self.management_system_id} at {self.taken_at:%Y-%m-%d %H:%M}: {verdict}"
