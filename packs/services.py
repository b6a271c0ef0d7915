"""Writes for audit packs: requesting, rendering (atomically), failing and recording downloads.

Rendering writes the PDF and the bundle to hidden temporary files in the pack folder and
moves them into place with ``os.replace`` only when both are complete, then marks the
pack ready. A pack that is already ready is left alone, so a redelivered task is a
no-op, and a crash before the move leaves the pack not ready with no visible file.

Faults: a request while the broker is unreachable keeps the pack and marks it not queued
(``pack_enqueue``); a render records a heartbeat, and ``packs_requeue_stuck`` (every
minute from Celery beat) queues again the packs whose heartbeat went stale.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from aims.files import confined_path
from aims.models import ManagementSystem
from aims.pack_sections import prepare_sections
from packs.gather import gather_pack
from packs.models import AuditPack, PackDownload
from packs.render import bundle_name, parts_to_pdf, pdf_name, render_pack_parts, write_bundle

logger = logging.getLogger(__name__)


# --- requesting ---------------------------------------------------------------------------


def as_of_moment(as_of_date: date | None, management_system: ManagementSystem) -> datetime:
    """The end of the chosen day (or now); refuse the future and days before the system existed."""
    now = timezone.now()
    if as_of_date is None:
        return now
    if as_of_date > timezone.localdate(now):
        raise ValidationError({"as_of": ["The as-of date is in the future; choose today or an earlier day."]})
    if as_of_date < timezone.localdate(management_system.created_at):
        raise ValidationError(
            {
                "as_of": [
                    f"The management system was created on {management_system.created_at:%d %b %Y}; choose that day or later."
                ]
            }
        )
    end_of_day = timezone.make_aware(datetime.combine(as_of_date, time.max))
    return min(end_of_day, now)


def pack_request(
    *, management_system: ManagementSystem, user: AbstractBaseUser, kind: str, as_of_date: date | None = None
) -> AuditPack:
    """Create a queued pack and enqueue its rendering once the transaction commits.

    When the job queue is unreachable the pack is kept and marked not queued at once, so
    the caller can tell the user and offer a retry (see ``pack_enqueue``).
    """
    if kind not in AuditPack.Kind.values:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(AuditPack.Kind.labels)}."]})
    with transaction.atomic():
        pack = AuditPack(
            management_system=management_system,
            kind=kind,
            as_of=as_of_moment(as_of_date, management_system),
            requested_by=user,
            heartbeat_at=timezone.now(),
        )
        pack.full_clean(exclude=["sha256", "bundle_sha256"])
        _save(pack, user=user, reason="Pack requested")
        prepare_sections(pack)
        transaction.on_commit(lambda: pack_enqueue(pack, user=user))
    return pack


# What sending a task raises when the broker cannot be reached: Kombu wraps connection
# errors in OperationalError; a socket error may also surface as it is.
BROKER_ERRORS: tuple[type[BaseException], ...] = (KombuOperationalError, OSError)
NOT_QUEUED_REASON = (
    "The job queue was unreachable, so this pack was not queued. Nothing is lost: retry now, "
    "or it is queued automatically once the queue is back."
)


def enqueue_render(pack_id: int) -> None:
    """Send the render task to the pack queue (raises one of BROKER_ERRORS when the broker is down)."""
    from packs.tasks import render_pack

    render_pack.apply_async(args=[pack_id], queue=settings.AIMS_PACK_QUEUE)


def pack_enqueue(pack: AuditPack, *, user: AbstractBaseUser | None) -> bool:
    """Send a queued pack to the workers; if the broker is unreachable, mark it not queued and return False."""
    try:
        enqueue_render(pack.pk)
    except BROKER_ERRORS as error:
        logger.warning("Pack %s not queued: the broker is unreachable (%s)", pack.pk, type(error).__name__)
        with transaction.atomic():
            current = AuditPack.objects.select_for_update().get(pk=pack.pk)
            if current.status == AuditPack.Status.QUEUED:  # not if the message got through after all
                current.status = AuditPack.Status.NOT_QUEUED
                current.failure_reason = NOT_QUEUED_REASON
                _save(current, user=user, reason="Not queued: the job queue was unreachable")
        pack.status, pack.failure_reason = current.status, current.failure_reason
        return False
    return True


# --- rendering ------------------------------------------------------------------------------


def _save(pack: AuditPack, *, user: AbstractBaseUser | None, reason: str, fields: list[str] | None = None) -> None:
    """Save a status change as one history version made by the given user."""
    pack._history_user = user
    pack._change_reason = reason
    pack.save(update_fields=fields)


def _tick(pack: AuditPack, fields: list[str]) -> None:
    """Save progress or heartbeat fields without a history version (they are not changes anyone made)."""
    pack.heartbeat_at = timezone.now()
    pack.skip_history_when_saving = True
    try:
        pack.save(update_fields=[*fields, "heartbeat_at"])
    finally:
        del pack.skip_history_when_saving


def pack_progress(pack: AuditPack, percent: int) -> None:
    """Record rendering progress; every step is also a heartbeat."""
    pack.progress = max(0, min(100, percent))
    _tick(pack, ["progress"])


def pack_heartbeat(pack_id: int) -> None:
    """Record that the render of this pack is still alive."""
    _tick(AuditPack.objects.only("pk").get(pk=pack_id), [])


@contextmanager
def heartbeat_while_rendering(pack_id: int) -> Iterator[None]:
    """Beat every AIMS_PACK_HEARTBEAT_SECONDS from a thread while the block runs (WeasyPrint has no steps).

    Inside a transaction (a test's) the thread could not see the pack, or would wait for
    its lock, so nothing beats there.
    """
    if transaction.get_connection().in_atomic_block:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.AIMS_PACK_HEARTBEAT_SECONDS):
                try:
                    pack_heartbeat(pack_id)
                except Exception:  # a missed beat is not worth stopping the render for
                    logger.warning("Heartbeat of pack %s failed", pack_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"pack-{pack_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def pack_claim(pack_id: int) -> AuditPack | None:
    """Mark a pack as rendering and return it; None when it is ready already (nothing to do)."""
    with transaction.atomic():
        pack = AuditPack.objects.select_for_update().select_related("management_system").get(pk=pack_id)
        if pack.status == AuditPack.Status.READY:
            return None
        pack.status = AuditPack.Status.RENDERING
        pack.attempts += 1
        pack.progress = 5
        pack.started_at = pack.heartbeat_at = timezone.now()
        pack.failure_reason = ""
        _save(pack, user=pack.requested_by, reason=f"Rendering (attempt {pack.attempts})")
    return pack


def pack_dir(pack: AuditPack) -> Path:
    path = Path(settings.AIMS_PACK_DIR) / str(pack.management_system_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _temp_prefix(pack: AuditPack) -> str:
    return f".pack-{pack.pk}-"


def remove_temporary_files(pack: AuditPack) -> None:
    """Remove temporary files left by an earlier attempt that was killed."""
    for leftover in pack_dir(pack).glob(f"{_temp_prefix(pack)}*.tmp"):
        leftover.unlink(missing_ok=True)


def _temp_file(pack: AuditPack) -> tuple[int, str]:
    return tempfile.mkstemp(dir=pack_dir(pack), prefix=_temp_prefix(pack), suffix=".tmp")


def _sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ledger_head(management_system: ManagementSystem, as_of: datetime) -> dict[str, Any]:
    """The sign-off chain head at as_of, the chain's verification result and its latest anchor."""
    try:
        from aims import ledger, signing
        from aims.models import SignOff
    except ImportError:  # the ledger is not installed
        return {"head": None, "length": 0, "verified": None}
    signed = SignOff.objects.filter(management_system=management_system, signed_at__lte=as_of).order_by("-sequence")
    head = signed.first()
    result = ledger.verify(management_system)
    broken = result.get("first_broken")
    return {
        "head": getattr(head, "digest", None),
        "length": head.sequence if head else 0,
        "verified": bool(result.get("ok")),
        "checked": result.get("checked", 0),
        "first_broken": f"#{broken['sequence']} {broken['reason']}: {broken['detail']}" if broken else None,
        "signed": result.get("signed", 0),
        "unsigned": result.get("unsigned", 0),
        "anchor": result.get("anchor"),
        "fingerprint": signing.fingerprint(),
    }


def chain_export(pack: AuditPack) -> dict[str, Any]:
    """The bundle's ledger.json: the chain up to the pack's date with every signed payload, and its anchor."""
    from aims import anchors, ledger

    export = ledger.chain_export(pack.management_system, pack.as_of)
    export["anchor"] = anchors.latest(pack.management_system_id)
    return export


def anchor_ledger(pack: AuditPack) -> None:
    """Anchor the management system's sign-off chain outside the database, as every pack does."""
    from aims import anchors

    anchors.anchor_chain(pack.management_system, reason=f"audit pack #{pack.pk}")


def pack_render(pack_id: int, *, before_move: Callable[[], None] | None = None) -> AuditPack | None:
    """Render a pack's PDF and bundle and move them into place; a ready pack is left alone.

    The render beats at every step and, from a thread, in between; a pack whose beat
    stops is queued again by ``packs_requeue_stuck``.
    """
    pack = pack_claim(pack_id)
    if pack is None:
        return None
    with heartbeat_while_rendering(pack.pk):
        return _render_claimed(pack, before_move)


def _render_claimed(pack: AuditPack, before_move: Callable[[], None] | None) -> AuditPack:
    remove_temporary_files(pack)
    data = gather_pack(pack)
    anchor_ledger(pack)
    data.parts["ledger"] = ledger_head(pack.management_system, pack.as_of)
    pack_progress(pack, 35)
    parts = render_pack_parts(data)
    pack_progress(pack, 45)
    ledger_export = chain_export(pack)

    def render_pdf(attachments: Any) -> Any:
        pdf = parts_to_pdf(parts, attachments)
        pack_progress(pack, 80)
        return pdf

    pdf_fd, pdf_tmp = _temp_file(pack)
    zip_fd, zip_tmp = _temp_file(pack)
    try:
        with os.fdopen(zip_fd, "wb") as handle:
            _manifest, pdf = write_bundle(handle, data, data.parts["ledger"], ledger_export, render_pdf)
            handle.flush()
            os.fsync(handle.fileno())
        with os.fdopen(pdf_fd, "wb") as handle:
            handle.write(pdf.content)
            handle.flush()
            os.fsync(handle.fileno())
        pack_progress(pack, 95)
        if before_move is not None:
            before_move()
        os.replace(pdf_tmp, pack_dir(pack) / pdf_name(pack))
        os.replace(zip_tmp, pack_dir(pack) / bundle_name(pack))
    finally:
        for leftover in (pdf_tmp, zip_tmp):
            Path(leftover).unlink(missing_ok=True)
    return _mark_ready(pack, pdf, data.parts["ledger"])


def _mark_ready(pack: AuditPack, pdf: Any, ledger: dict[str, Any]) -> AuditPack:
    bundle_path = pack_dir(pack) / bundle_name(pack)
    pack.status = AuditPack.Status.READY
    pack.progress = 100
    pack.finished_at = timezone.now()
    pack.file_name = pdf_name(pack)
    pack.sha256 = pdf.sha256
    pack.size = len(pdf.content)
    pack.pages = pdf.pages
    pack.bundle_name = bundle_name(pack)
    pack.bundle_sha256 = _sha256_file(bundle_path)
    pack.bundle_size = bundle_path.stat().st_size
    pack.ledger_head = ledger.get("head") or ""
    _save(pack, user=pack.requested_by, reason="Pack ready")
    return pack


def pack_fail(pack_id: int, *, reason: str, retrying: bool = False) -> None:
    """Record why rendering failed: queued again when it will be retried, else failed."""
    with transaction.atomic():
        pack = AuditPack.objects.select_for_update().get(pk=pack_id)
        if pack.status == AuditPack.Status.READY:
            return
        pack.status = AuditPack.Status.QUEUED if retrying else AuditPack.Status.FAILED
        pack.failure_reason = reason[:300]
        if not retrying:
            pack.finished_at = timezone.now()
        _save(pack, user=pack.requested_by, reason="Retrying after an error" if retrying else "Rendering failed")


def pack_retry(pack: AuditPack, *, user: AbstractBaseUser | None, reason: str = "Retry requested") -> AuditPack:
    """Queue again a pack that failed, was not queued, or is stuck (its worker or message was lost).

    The returned pack is marked not queued when the job queue is still unreachable.
    """
    with transaction.atomic():
        current = AuditPack.objects.select_for_update().get(pk=pack.pk)
        if not current.can_retry:
            raise ValidationError(
                "Only a pack that failed, was not queued, or is stuck (its render stopped) can be retried."
            )
        current.status = AuditPack.Status.QUEUED
        current.progress = 0
        current.failure_reason = ""
        current.heartbeat_at = timezone.now()
        _save(current, user=user, reason=reason)
        transaction.on_commit(lambda: pack_enqueue(current, user=user))
    return current


def packs_requeue_stuck() -> list[int]:
    """Queue again every pack not queued, whose render stopped beating, or whose message was lost; return their ids."""
    requeued = []
    why = {
        AuditPack.Status.NOT_QUEUED: "the job queue was unreachable",
        AuditPack.Status.RENDERING: "its render stopped (no heartbeat)",
        AuditPack.Status.QUEUED: "queued longer than a render may take (its message was lost)",
    }
    for pack in AuditPack.objects.filter(status__in=list(why)).order_by("pk"):
        if not pack.can_retry:
            continue
        try:
            pack_retry(pack, user=None, reason=f"Requeued: {why[pack.status]}")
        except ValidationError:  # it moved on since it was read (a worker took it, someone retried it)
            continue
        requeued.append(pack.pk)
    return requeued


# --- files and downloads --------------------------------------------------------------------


def pack_file_path(pack: AuditPack, part: str) -> Path:
    """Where a ready pack's PDF or bundle is stored: inside its management system's pack folder, or refused.

    Raises ``aims.files.UnsafeStoredName`` for a stored name that leads outside the folder.
    """
    name = pack.file_name if part == PackDownload.Part.PDF else pack.bundle_name
    return confined_path(Path(settings.AIMS_PACK_DIR) / str(pack.management_system_id), name)


def pack_download_record(*, pack: AuditPack, user: AbstractBaseUser, part: str, channel: str = "web") -> PackDownload:
    """Record that a user downloaded a pack's PDF or bundle."""
    digest = pack.sha256 if part == PackDownload.Part.PDF else pack.bundle_sha256
    return PackDownload.objects.create(pack=pack, user=user, part=part, sha256=digest, channel=channel)
