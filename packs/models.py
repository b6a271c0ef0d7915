"""Audit packs: a requested PDF of the registers as of a date, with its evidence bundle."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from aims.models import ManagementSystem
from aims.pack_sections import PackScope


class AuditPack(models.Model):
    """One pack request and, once rendered, the PDF and bundle it produced."""

    class Kind(models.TextChoices):
        STAGE1 = "stage1", "Stage 1 documentation"
        STAGE2 = "stage2", "Stage 2 operational evidence"
        FULL = "full", "Full pack"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        NOT_QUEUED = "not_queued", "Not queued"  # the job queue was unreachable; nothing is lost
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.PROTECT, related_name="audit_packs")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FULL)
    as_of = models.DateTimeField(help_text="Every value in the pack is shown as it was at this moment.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    failure_reason = models.CharField(max_length=300, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life: when the pack was queued, claimed or a render step ran."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    bundle_name = models.CharField(max_length=200, blank=True)
    bundle_sha256 = models.CharField("bundle SHA-256", max_length=64, blank=True)
    bundle_size = models.PositiveBigIntegerField(null=True, blank=True)
    ledger_head = models.CharField("sign-off chain head", max_length=64, blank=True)
    # What the auditor samples; all empty = the whole management system (see aims.pack_sections.PackScope).
    scope_ai_systems = models.JSONField(
        "scoped AI systems", default=list, blank=True, help_text="References of the AI systems the pack is scoped to."
    )
    scope_clauses = models.JSONField(
        "scoped clauses", default=list, blank=True, help_text="Clauses and Annex A controls, e.g. 6.1 or A.6."
    )
    scope_sections = models.JSONField(
        "scoped sections", default=list, blank=True, help_text="Keys of the pack sections the pack is scoped to."
    )
    # Status changes are versioned with who caused them; progress and heartbeat ticks are not.
    history = HistoricalRecords(excluded_fields=["progress", "heartbeat_at"])

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="pack_progress_at_most_100"),
            models.CheckConstraint(
                condition=~models.Q(status="ready") | ~models.Q(sha256=""), name="ready_pack_has_digest"
            ),
        ]
        indexes = [models.Index(fields=["management_system", "kind", "status", "-as_of"])]

    def __str__(self) -> str:
        return f"Pack #{self.pk} {self.get_kind_display()} as of {self.as_of:%Y-%m-%d}"

    @property
    def pack_scope(self) -> PackScope:
        """The scope as requested (the chosen systems' ids are resolved when the pack is gathered)."""
        return PackScope(
            ai_systems=tuple(self.scope_ai_systems or ()),
            clauses=tuple(self.scope_clauses or ()),
            sections=tuple(self.scope_sections or ()),
        )

    @property
    def is_scoped(self) -> bool:
        return not self.pack_scope.is_whole

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RENDERING)

    @property
    def last_sign_of_life(self) -> datetime | None:
        return self.heartbeat_at or self.started_at or self.requested_at

    @property
    def is_stuck(self) -> bool:
        """Its render stopped beating (the worker died), or it waited queued longer than a render may take."""
        if not self.is_active or self.last_sign_of_life is None:
            return False
        if self.status == self.Status.RENDERING:
            limit = timedelta(seconds=settings.AIMS_PACK_HEARTBEAT_STALE_SECONDS)
        else:  # queued: its message was lost (a queue may also just be long, so wait longer)
            limit = timedelta(seconds=settings.AIMS_PACK_TIME_LIMIT + 60)
        return timezone.now() - self.last_sign_of_life > limit

    @property
    def can_retry(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.NOT_QUEUED) or self.is_stuck


class PackDownload(models.Model):
    """One download of a pack's PDF or bundle: who, when, which digest (append-only)."""

    class Part(models.TextChoices):
        PDF = "pdf", "PDF"
        BUNDLE = "bundle", "Evidence bundle"

    pack = models.ForeignKey(AuditPack, on_delete=models.PROTECT, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    part = models.CharField(max_length=10, choices=Part.choices)
    sha256 = models.CharField("SHA-256", max_length=64)
    channel = models.CharField(max_length=10, default="web", help_text="web or api")
    downloaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-downloaded_at"]

    def __str__(self) -> str:
        return f"{self.user} downloaded {self.get_part_display()} of pack #{self.pack_id}"
