"""Writes for audit packs: requesting, rendering (atomically), failing and recording downloads.

Rendering builds the PDF in memory and the bundle in a local temporary file (never in the
shared storage), then saves both through the ``packs`` storage (``STORAGES["packs"]``: the
folder ``AIMS_PACK_DIR``, or an object store with ``AIMS_STORAGE_URL``) under
``<management system id>/<name>``; each save is whole or nothing (an object store's PUT,
``aims.files.LocalFileStorage``'s rename), and the pack is marked ready only after both.
A pack that is already ready is left alone, so a redelivered task is a no-op, and a crash
before the saves leaves the pack not ready with no visible file. Downloads read the files
back through the same storage, in the web process, after the permission check.

Faults: a request while the broker is unreachable keeps the pack and marks it not queued
(``pack_enqueue``); a render records a heartbeat, and ``packs_requeue_stuck`` (every
minute from Celery beat) queues again the packs whose heartbeat went stale.
"""

from __future__ import annotations

import hashlib
import logging
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
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from aims.files import confined_path, open_stored
from aims.models import ManagementSystem
from aims.pack_sections import prepare_sections
from packs.gather import gather_pack
from packs.models import AuditPack, PackDownload
from packs.parallel import start_pool
from packs.render import bundle_name, parts_to_pdf, pdf_name, render_pack_parts, write_bundle
from packs.scope import clean_scope

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
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser,
    kind: str,
    as_of_date: date | None = None,
    scope: dict[str, Any] | None = None,
) -> AuditPack:
    """Create a queued pack and enqueue its rendering once the transaction commits.

    ``scope`` ({"ai_systems": [...], "clauses": [...], "sections": [...]}, see ``packs.scope``)
    limits the pack to what an auditor samples; empty or None for the whole management system.

    When the job queue is unreachable the pack is kept and marked not queued at once, so
    the caller can tell the user and offer a retry (see ``pack_enqueue``).
    """
    if kind not in AuditPack.Kind.values:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(AuditPack.Kind.labels)}."]})
    chosen = clean_scope(management_system, kind, **(scope or {}))
    with transaction.atomic():
        pack = AuditPack(
            management_system=management_system,
            kind=kind,
            as_of=as_of_moment(as_of_date, management_system),
            requested_by=user,
            heartbeat_at=timezone.now(),
            scope_ai_systems=list(chosen.ai_systems),
            scope_clauses=list(chosen.clauses),
            scope_sections=list(chosen.sections),
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


def pack_storage() -> Storage:
    """The storage of rendered packs and bundles (``STORAGES["packs"]``, else the default storage)."""
    return storages["packs"] if "packs" in settings.STORAGES else storages["default"]


def pack_folder(pack: AuditPack) -> str:
    """The folder of a management system's packs in the pack storage."""
    return str(pack.management_system_id)


def _temp_prefix(pack: AuditPack) -> str:
    return f".pack-{pack.pk}-"


def remove_temporary_files(pack: AuditPack) -> None:
    """Remove temporary files of this pack left in its folder by an attempt that was killed mid-write."""
    storage = pack_storage()
    try:
        _folders, names = storage.listdir(pack_folder(pack))
    except (FileNotFoundError, NotADirectoryError):
        return
    prefixes = (_temp_prefix(pack), f".{pdf_name(pack)}.", f".{bundle_name(pack)}.")
    for name in names:
        if name.startswith(prefixes) and name.endswith(".tmp"):
            storage.delete(f"{pack_folder(pack)}/{name}")


def _sha256_file(handle: Any) -> tuple[str, int]:
    """The SHA-256 and size of an open binary file, read from its start."""
    digest, size = hashlib.sha256(), 0
    handle.seek(0)
    for chunk in iter(lambda: handle.read(1 << 16), b""):
        digest.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return digest.hexdigest(), size


def _store(pack: AuditPack, name: str, content: File) -> str:
    """Save a pack file under the pack's folder; return the name it was stored as (the storage may pick another)."""
    stored = pack_storage().save(f"{pack_folder(pack)}/{name}", content)
    return stored.rsplit("/", 1)[-1]


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
    """The bundle's ledger.json: the chain up to the pack's date with every signed payload, and its anchor.

    Its ``signoffs`` is an iterator that reads the chain a batch at a time as the bundle writes it.
    """
    from aims import anchors, ledger

    export = ledger.chain_export_stream(pack.management_system, pack.as_of)
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
    start_pool()  # the render processes start while the pack is gathered
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

    with tempfile.TemporaryFile(prefix=_temp_prefix(pack)) as bundle:  # local scratch, never the shared storage
        _manifest, pdf = write_bundle(bundle, data, data.parts["ledger"], ledger_export, render_pdf)
        bundle_digest = _sha256_file(bundle)
        pack_progress(pack, 95)
        if before_move is not None:
            before_move()
        stored_pdf = _store(pack, pdf_name(pack), ContentFile(pdf.content))
        stored_bundle = _store(pack, bundle_name(pack), File(bundle))
    return _mark_ready(pack, pdf, data.parts["ledger"], (stored_pdf, stored_bundle), bundle_digest)


def _mark_ready(
    pack: AuditPack, pdf: Any, ledger: dict[str, Any], names: tuple[str, str], bundle_digest: tuple[str, int]
) -> AuditPack:
    pack.status = AuditPack.Status.READY
    pack.progress = 100
    pack.finished_at = timezone.now()
    pack.file_name, pack.bundle_name = names
    pack.sha256 = pdf.sha256
    pack.size = len(pdf.content)
    pack.pages = pdf.pages
    pack.bundle_sha256, pack.bundle_size = bundle_digest
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


def pack_file_name(pack: AuditPack, part: str) -> str:
    """The storage name of a pack's PDF or bundle (``<management system id>/<name>``)."""
    name = pack.file_name if part == PackDownload.Part.PDF else pack.bundle_name
    return f"{pack_folder(pack)}/{name}"


def open_pack_file(pack: AuditPack, part: str) -> File:
    """Open a pack's PDF or bundle for reading from the pack storage, only inside its management system's folder.

    Raises ``aims.files.UnsafeStoredName`` for a stored name that leads outside the folder
    and ``FileNotFoundError`` when the file is missing.
    """
    return open_stored(pack_file_name(pack, part), folder=pack_folder(pack), storage=pack_storage())


def read_pack_file(pack: AuditPack, part: str) -> bytes:
    """A pack's PDF or bundle, whole (for checks and tests; downloads stream ``open_pack_file``)."""
    with open_pack_file(pack, part) as handle:
        return handle.read()


def pack_file_path(pack: AuditPack, part: str) -> Path:
    """The local path of a pack's PDF or bundle when the pack storage is a local folder (tests and local tools).

    The register itself never uses it: it reads through ``open_pack_file``, which works on
    an object store too. Raises ``NotImplementedError`` on an object store.
    """
    return confined_path(
        Path(pack_storage().path(pack_folder(pack))),
        pack.file_name if part == PackDownload.Part.PDF else pack.bundle_name,
    )


def pack_download_record(*, pack: AuditPack, user: AbstractBaseUser, part: str, channel: str = "web") -> PackDownload:
    """Record that a user downloaded a pack's PDF or bundle."""
    digest = pack.sha256 if part == PackDownload.Part.PDF else pack.bundle_sha256
    return PackDownload.objects.create(pack=pack, user=user, part=part, sha256=digest, channel=channel)
