"""The only URL fetcher WeasyPrint gets: the project's own static files and data: URIs.

Pack HTML contains user-written text. It is escaped by the templates, and this fetcher
is the second line of defence: whatever URL reaches WeasyPrint (an <img>, a stylesheet,
a CSS @import or url(), a font), nothing is read from the file system outside the
static folders and nothing is fetched from the network.
"""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Relative URLs in pack HTML resolve against this origin; it never leaves the process.
BASE_URL = "https://pack.aims.invalid/"
_ORIGIN = urlsplit(BASE_URL)


class RefusedURL(ValueError):
    """A URL the pack renderer will not fetch."""


class StaticOnlyFetcher(URLFetcher):
    """Serve /static/... from the staticfiles finders and data: URIs; refuse everything else."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.lower().startswith("data:"):
            self.served.append(url[:40])
            return super().fetch(url, headers)
        path = self._static_file(url)
        if path is None:
            self.refused.append(url)
            raise RefusedURL(f"Pack rendering does not fetch {url[:200]}")
        self.served.append(url)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})

    def _static_file(self, url: str) -> Path | None:
        """Return the static file a URL names, or None for anything outside the static folders."""
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != (_ORIGIN.scheme, _ORIGIN.netloc) or parts.query:
            return None
        prefix = "/" + settings.STATIC_URL.strip("/") + "/"
        path = unquote(parts.path)
        if not path.startswith(prefix) or "\\" in path or "\x00" in path:
            return None
        relative = path[len(prefix) :]
        if not relative or ".." in relative.split("/") or posixpath.normpath(relative) != relative:
            return None
        try:
            found = finders.find(relative)
        except SuspiciousFileOperation:
            return None
        if not found:
            return None
        resolved = Path(found).resolve()
        roots = [Path(root).resolve() for root in _static_roots()]
        if not any(resolved.is_relative_to(root) for root in roots) or not resolved.is_file():
            return None
        return resolved


def _static_roots() -> list[str]:
    roots = [str(d[1] if isinstance(d, tuple) else d) for d in settings.STATICFILES_DIRS]
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(str(location))
    return roots
