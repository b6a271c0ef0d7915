"""Stored files are opened only inside their own folder, whatever name the database holds.

A file name kept in a row (an evidence file, a rendered pack) is data, and data can be
changed behind the application's back (a database restore, a superuser, a bug). Every
download and every copy therefore goes through these helpers, which refuse a name that
leads out of the folder it belongs to: an absolute path, a ``..`` segment, a backslash or
NUL, or (on the file system) a symbolic link pointing elsewhere, checked on the resolved path.
"""

from __future__ import annotations

import logging
import os
import tempfile
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.utils._os import safe_makedirs

logger = logging.getLogger("aims.security")


class UnsafeStoredName(SuspiciousFileOperation):
    """A stored file name that leads outside its folder."""


def _refuse(name: str, folder: str | Path, why: str) -> UnsafeStoredName:
    logger.warning("Refused the stored file name %r (folder %s): %s", name, folder, why)
    return UnsafeStoredName(f"The stored file name is not inside its folder ({why}).")


def _relative_parts(name: str, folder: str | Path) -> tuple[str, ...]:
    """The parts of a plain relative name; refuse absolute names, '..', backslashes and NUL."""
    if not name or "\x00" in name or "\\" in name:
        raise _refuse(name, folder, "empty or with a backslash or NUL")
    path = PurePosixPath(name)
    if path.is_absolute() or Path(name).is_absolute():
        raise _refuse(name, folder, "an absolute path")
    if any(part in ("..", "") for part in name.split("/")):
        raise _refuse(name, folder, "a '..' or empty segment")
    return path.parts


def _inside(root: Path, parts: tuple[str, ...], name: str) -> Path:
    """The resolved path of ``parts`` under ``root``; refuse one that resolves outside (a symbolic link out)."""
    base = root.resolve()
    resolved = base.joinpath(*parts).resolve()
    if resolved == base or not resolved.is_relative_to(base):
        raise _refuse(name, root, "it resolves outside the folder")
    return resolved


def confined_path(folder: str | Path, name: str) -> Path:
    """The path of a file named ``name`` (relative) inside ``folder``; ``UnsafeStoredName`` if it leads outside."""
    return _inside(Path(folder), _relative_parts(name, folder), name)


def open_stored(name: str, *, folder: str, storage: Storage | None = None) -> File:
    """Open a stored file for reading, refusing a name outside ``folder`` (a folder of the storage, e.g. ``evidence/3``).

    On a storage with local paths the resolved path must also stay inside the folder, so a
    symbolic link out of it is refused; remote storages (S3) have no links, only names.
    """
    storage = storage or default_storage
    parts = _relative_parts(name, folder)
    prefix = _relative_parts(folder, folder)
    if parts[: len(prefix)] != prefix or len(parts) <= len(prefix):
        raise _refuse(name, folder, "another folder")
    try:
        root = Path(storage.path(folder))
    except NotImplementedError:
        return storage.open(name, "rb")
    return File(_inside(root, parts[len(prefix) :], name).open("rb"), name=name)


# --- local storage --------------------------------------------------------------------------


class LocalFileStorage(FileSystemStorage):
    """The file system storage of the register: a write becomes visible whole or not at all.

    Each file is written to a hidden temporary file (``.<name>.<random>.tmp``) beside its
    final name, flushed to disk, then renamed onto the final name, as an object store's
    PUT replaces an object whole. A name written again is replaced (``allow_overwrite``,
    as django-storages' S3 storage does by default), so an anchor log or a retried pack
    keeps its name on either storage.

    ``location_setting`` names the setting holding the folder (default ``MEDIA_ROOT``); the
    folder follows that setting when a test changes it.
    """

    def __init__(self, *, location_setting: str = "MEDIA_ROOT", allow_overwrite: bool = True, **kwargs: Any):
        self._location_setting = location_setting
        super().__init__(allow_overwrite=allow_overwrite, **kwargs)

    @cached_property
    def base_location(self) -> str:
        return self._value_or_setting(self._location, getattr(settings, self._location_setting))

    def _clear_cached_properties(self, setting: str, **kwargs: Any) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == self._location_setting:
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        if self.directory_permissions_mode is not None:
            safe_makedirs(directory, self.directory_permissions_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(full_path)}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in content.chunks():  # from the start of the file
                    handle.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                handle.flush()
                os.fsync(handle.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(temporary, self.file_permissions_mode)
            while not self._allow_overwrite and os.path.lexists(full_path):
                name = self.get_available_name(name)
                full_path = self.path(name)
            os.replace(temporary, full_path)
        finally:
            if os.path.lexists(temporary):
                os.unlink(temporary)
        return os.path.relpath(full_path, self.location).replace("\\", "/")
