"""Render many HTML documents to PDF at once, in a pool of render processes, with a cache of section PDFs.

Each document goes to a process of its own (``packs.render_child``), started with
``subprocess`` rather than ``multiprocessing``: a Celery prefork child is a daemonic
process, which ``multiprocessing`` does not let have children, and a subprocess whose
standard input closes exits, so no render process outlives a worker killed with SIGKILL.
The pool keeps its processes between packs (WeasyPrint is imported once) and replaces a
process whose memory grew past ``AIMS_PACK_RENDER_RECYCLE_MB``.
``AIMS_PACK_RENDER_PROCESSES`` sets its size (default: the number of CPUs; 0 renders in
the calling process, one document after the other).

Sections are cached by content: the key is the SHA-256 of the renderer's version and the
section document's whole HTML (its CSS and chapter number included; page numbers and the
running headers are stamped on the joined PDF, so they are not part of a section). The
cache lives in Django's storage (``default_storage``) behind ``cache_get`` / ``cache_put``.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from packs.render_child import memory_kib, read_frame, write_frame

logger = logging.getLogger(__name__)

# Bump when the way sections are made changes (templates of the section documents, join or stamping).
RENDERER_VERSION = "aims-pack-sections/1"
CACHE_FOLDER = "pack-sections"
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Job:
    """One HTML document to render; ``cacheable`` documents are looked up in and saved to the section cache."""

    html: str
    attachments: tuple[tuple[str, bytes, str], ...] = ()
    cacheable: bool = False
    label: str = ""

    @property
    def key(self) -> str:
        return self.key_with("")

    def key_with(self, prefix: str) -> str:
        """The SHA-256 of the renderer's version, WeasyPrint's, ``prefix`` and the document's HTML."""
        digest = hashlib.sha256(f"{RENDERER_VERSION}\0weasyprint {_weasyprint_version()}\0{prefix}".encode())
        digest.update(self.html.encode("utf-8"))
        return digest.hexdigest()


def _weasyprint_version() -> str:
    """WeasyPrint's version, without importing it into this process (only the render processes need it)."""
    from importlib.metadata import version

    return version("weasyprint")


@dataclass
class Result:
    pdf: bytes
    pages: int
    refused: list[str] = field(default_factory=list)
    cached: bool = False
    key: str = ""  # the section cache's key of the document ("" when it is not cached)
    page_sizes: list[tuple[float, float]] | None = None  # (width, height) in points, read once

    @property
    def sizes(self) -> list[tuple[float, float]]:
        """The size of every page in points."""
        if self.page_sizes is None:
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(self.pdf))
            self.page_sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
        return self.page_sizes


@dataclass
class Stats:
    """What the pool did since the process started (read by tests and the benchmark)."""

    renders: int = 0
    cache_hits: int = 0
    peak_child_kib: int = 0
    labels: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # the last pack's: seconds by step of parts_to_pdf
    cpu_seconds: float = 0.0  # CPU time the render processes spent on documents


STATS = Stats()
_STATS_LOCK = threading.Lock()


# --- the section cache (two functions: where cached section PDFs are read and written) -----------


def _cache_name(key: str) -> str:
    return f"{CACHE_FOLDER}/{key[:2]}/{key}.pdf"


def cache_get(key: str) -> bytes | None:
    """The cached PDF of a section document, or None."""
    try:
        with default_storage.open(_cache_name(key), "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None


def cache_put(key: str, content: bytes) -> None:
    """Keep a section document's PDF for the next pack (a key already kept is left as it is)."""
    name = _cache_name(key)
    try:
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(content))
    except OSError:  # a cache that cannot be written only costs a render next time
        logger.warning("Could not cache the pack section %s", key, exc_info=True)


def _index_name(key: str) -> str:
    return f"{CACHE_FOLDER}/{key[:2]}/{key}.json"


def section_get(key: str) -> list[Result] | None:
    """A whole section kept by ``section_put``: its documents' PDFs, or None when any is missing.

    Nothing is parsed: the index keeps each document's page sizes, so a section read back whole
    is neither split, nor rendered, nor read by pypdf before the join.
    """
    if not _cache_enabled():
        return None
    try:
        with default_storage.open(_index_name(key), "rb") as handle:
            index = json.loads(handle.read())
        results = []
        for entry in index["documents"]:
            content = cache_get(entry["key"])
            sizes = [(float(w), float(h)) for w, h in entry["sizes"]]
            if not content or not content.startswith(b"%PDF") or not sizes:
                return None
            results.append(Result(pdf=content, pages=len(sizes), cached=True, key=entry["key"], page_sizes=sizes))
    except (FileNotFoundError, OSError, ValueError, KeyError, TypeError):
        return None
    with _STATS_LOCK:
        STATS.cache_hits += len(results)
    return results


def section_put(key: str, results: list[Result]) -> None:
    """Keep the index of a rendered section: its documents' cache keys and page sizes, in order."""
    if not _cache_enabled() or not all(r.key for r in results):
        return
    index = {"documents": [{"key": r.key, "sizes": r.sizes} for r in results]}
    try:
        if not default_storage.exists(_index_name(key)):
            default_storage.save(_index_name(key), ContentFile(json.dumps(index).encode()))
    except OSError:
        logger.warning("Could not cache the index of the pack section %s", key, exc_info=True)


def _cache_enabled() -> bool:
    return bool(getattr(settings, "AIMS_PACK_SECTION_CACHE", True))


def _from_cache(job: Job) -> Result | None:
    content = cache_get(job.key)
    if not content or not content.startswith(b"%PDF"):
        return None
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        pages = len(PdfReader(io.BytesIO(content)).pages)
    except (PdfReadError, ValueError, KeyError):  # a damaged entry is rendered again
        return None
    return Result(pdf=content, pages=pages, cached=True, key=job.key)


# --- the render processes ---------------------------------------------------------------------------


class ChildFailed(RuntimeError):
    """A render process died or could not render a document."""


class _Child:
    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env.setdefault("DJANGO_SETTINGS_MODULE", os.environ.get("DJANGO_SETTINGS_MODULE", "aims.settings"))
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "packs.render_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        self.ready = False
        self.rss_kib = 0

    def call(self, job: Job) -> dict[str, Any]:
        if not self.ready:
            hello = read_frame(self.process.stdout)
            if not hello or not hello.get("ready"):
                raise ChildFailed(f"the render process did not start (exit code {self.process.poll()})")
            self.ready = True
        try:
            write_frame(self.process.stdin, {"html": job.html, "attachments": list(job.attachments)})
            reply = read_frame(self.process.stdout)
        except (BrokenPipeError, OSError) as exc:
            raise ChildFailed(f"the render process died ({exc})") from exc
        if reply is None:
            raise ChildFailed(f"the render process died (exit code {self.process.poll()})")
        self.rss_kib = reply.get("rss_kib", 0)
        with _STATS_LOCK:
            STATS.peak_child_kib = max(STATS.peak_child_kib, reply.get("peak_kib", 0))
            STATS.cpu_seconds += reply.get("cpu_seconds", 0.0)
        if not reply["ok"]:
            raise ChildFailed(reply["error"])
        return reply

    def close(self, *, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process.stdout.close()


class RenderPool:
    """Up to ``size`` render processes, kept between calls."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: list[_Child] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the processes the pool lacks, without waiting: they import Django and WeasyPrint meanwhile."""
        with self._lock:
            while len(self._idle) < self.size:
                self._idle.append(_Child())

    def _checkout(self) -> _Child:
        with self._lock:
            return self._idle.pop() if self._idle else _Child()

    def _checkin(self, child: _Child) -> None:
        if child.rss_kib > settings.AIMS_PACK_RENDER_RECYCLE_MB * 1024:
            child.close()  # it grew: the next document gets a fresh process
            return
        with self._lock:
            self._idle.append(child)

    def _run(self, job: Job) -> dict[str, Any]:
        child = self._checkout()
        try:
            reply = child.call(job)
        except BaseException:
            child.close(kill=True)
            raise
        self._checkin(child)
        return reply

    def map(self, jobs: list[Job]) -> list[dict[str, Any]]:
        """Render the jobs, the largest first, and return their replies in the jobs' order."""
        order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i].html))
        executor = ThreadPoolExecutor(max_workers=min(self.size, len(jobs)) or 1, thread_name_prefix="pack-render")
        try:
            futures = {i: executor.submit(self._run, jobs[i]) for i in order}
            replies = [futures[i].result() for i in range(len(jobs))]
        except BaseException:  # a failed document or the task's time limit: stop every process now
            executor.shutdown(wait=False, cancel_futures=True)
            self.close(kill=True)
            raise
        executor.shutdown(wait=True)
        return replies

    def close(self, *, kill: bool = False) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.close(kill=kill)


_POOL: RenderPool | None = None
_POOL_LOCK = threading.Lock()


def pool_size() -> int:
    configured = getattr(settings, "AIMS_PACK_RENDER_PROCESSES", None)
    return (os.cpu_count() or 1) if configured is None else max(0, int(configured))


def get_pool() -> RenderPool | None:
    """The process's render pool (None when documents are rendered in this process)."""
    global _POOL
    size = pool_size()
    with _POOL_LOCK:
        if size == 0:
            return None
        if _POOL is None or _POOL.size != size:
            if _POOL is not None:
                _POOL.close()
            _POOL = RenderPool(size)
        return _POOL


def start_pool() -> None:
    """Start the render processes now (a pack calls it before gathering, so they are ready when it renders)."""
    pool = get_pool()
    if pool is not None:
        pool.start()


def shutdown_pool() -> None:
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.close()
            _POOL = None


def _render_here(jobs: list[Job]) -> list[dict[str, Any]]:
    from packs.render import html_to_pdf

    replies = []
    for job in jobs:
        pdf = html_to_pdf(job.html, job.attachments)
        replies.append({"pdf": pdf.content, "pages": pdf.pages, "refused": pdf.refused_urls})
    with _STATS_LOCK:
        STATS.peak_child_kib = max(STATS.peak_child_kib, memory_kib()[1])
    return replies


def render_documents(jobs: list[Job]) -> list[Result]:
    """Render every job (cached sections are read back, not rendered); results in the jobs' order."""
    results: list[Result | None] = [None] * len(jobs)
    use_cache = _cache_enabled()
    if use_cache:
        for i, job in enumerate(jobs):
            if job.cacheable:
                results[i] = _from_cache(job)
    todo = [i for i, result in enumerate(results) if result is None]
    pool = get_pool()
    replies = pool.map([jobs[i] for i in todo]) if pool is not None and todo else _render_here([jobs[i] for i in todo])
    for i, reply in zip(todo, replies, strict=True):
        results[i] = Result(pdf=reply["pdf"], pages=reply["pages"], refused=list(reply.get("refused", [])))
        if use_cache and jobs[i].cacheable:
            results[i].key = jobs[i].key
            cache_put(jobs[i].key, reply["pdf"])
    with _STATS_LOCK:
        STATS.renders += len(todo)
        STATS.cache_hits += len(jobs) - len(todo)
        STATS.labels.extend(jobs[i].label for i in todo)
    return [r for r in results if r is not None]
