"""Evidence files and links: immutable, digested, linkable to any record an app declares linkable."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from aims.models import RegisterModel


def evidence_folder(management_system_id: int) -> str:
    """The storage folder of a management system's evidence files (every file of it is inside)."""
    return f"evidence/{management_system_id}"


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    """Store under a generated name: the user's file name is never part of a path."""
    return f"{evidence_folder(instance.management_system_id)}/{instance.stored_token}.{instance.file_extension}"


class Evidence(RegisterModel):
    """A dated evidence file or link; immutable, a correction is a new row superseding it."""

    reference_prefix = "EVD"

    class Kind(models.TextChoices):
        FILE = "file", "File"
        LINK = "link", "Link"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    evidence_date = models.DateField(help_text="When the evidence was produced (not when it was uploaded).")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FILE)
    url = models.URLField("link", max_length=500, blank=True)
    file = models.FileField(upload_to=evidence_upload_to, max_length=255, blank=True)
    stored_token = models.CharField(max_length=32, blank=True, editable=False)
    file_extension = models.CharField(max_length=10, blank=True, editable=False)
    original_name = models.CharField(
        max_length=200, blank=True, help_text="The uploaded file's name, sanitised, for display only."
    )
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        help_text="The earlier version this evidence corrects.",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(RegisterModel.Meta):
        verbose_name = "evidence"
        verbose_name_plural = "evidence"
        constraints = [
            *RegisterModel.Meta.constraints,
            models.CheckConstraint(
                condition=(models.Q(kind="file") & ~models.Q(sha256="")) | (models.Q(kind="link") & ~models.Q(url="")),
                name="evidence_file_has_digest_link_has_url",
            ),
        ]
        # The evidence list's order (newest evidence first): its first page is read from the index
        # instead of sorting every file of the management system.
        indexes = [models.Index(fields=["management_system", "-evidence_date", "-id"], name="evidence_ms_newest")]

    def clean(self) -> None:
        if self.kind == self.Kind.LINK and not self.url:
            raise ValidationError({"url": "Give the link to the evidence."})
        if self.kind == self.Kind.FILE and not self.sha256:
            raise ValidationError({"file": "Choose the evidence file to upload."})
        if self.supersedes_id and self.supersedes.management_system_id != self.management_system_id:
            raise ValidationError({"supersedes": "The earlier version belongs to another management system."})

    @property
    def display_name(self) -> str:
        return self.original_name or f"{self.reference}.{self.file_extension}"


class EvidenceLink(models.Model):
    """Evidence linked to one record of a linkable kind; written with the evidence, never changed.

    Evidence rows are immutable and a correction is a new row with its own links, so the
    links in force at any past moment are those of the evidence recorded by then and not
    yet superseded: links need no history table of their own.
    """

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="links")
    target_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    target_id = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["evidence", "target_type", "target_id"]
        constraints = [
            models.UniqueConstraint(fields=["evidence", "target_type", "target_id"], name="evidence_link_once")
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="evidence_link_target")]

    def __str__(self) -> str:
        return f"{self.evidence_id} -> {self.target_type_id}:{self.target_id}"


class EvidenceDownload(models.Model):
    """One download of an evidence file: who, when, which file (append-only)."""

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    downloaded_at = models.DateTimeField(auto_now_add=True)
    sha256 = models.CharField("SHA-256", max_length=64)
    channel = models.CharField(max_length=10, default="web", help_text="web or api")

    class Meta:
        ordering = ["-downloaded_at"]
        indexes = [models.Index(fields=["evidence", "-downloaded_at"])]

    def __str__(self) -> str:
        return f"{self.user} downloaded {self.evidence.reference} at {self.downloaded_at:%Y-%m-%d %H:%M}"
