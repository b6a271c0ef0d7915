"""Refuse an evidence upload as soon as it passes the size limit, without keeping it.

Django's own handlers would spool the whole file to a temporary file before the service
can look at its size. This handler goes first: past the limit it skips the
file (the rest of it is read and dropped, never spooled), the form's other fields still
arrive, and it leaves a message for the form or the API.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

REFUSED_ATTRIBUTE = "evidence_upload_refused"


def limit_message() -> str:
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    return f"The file is larger than the limit: the limit is {limit / 1048576:.0f} MB. Nothing was stored."


class EvidenceSizeLimitHandler(FileUploadHandler):
    """Refuse a file once more bytes than EVIDENCE_MAX_UPLOAD_BYTES have arrived."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > settings.EVIDENCE_MAX_UPLOAD_BYTES:
            setattr(self.request, REFUSED_ATTRIBUTE, limit_message())
            # Drop the rest of this file unread into any storage; the other fields still arrive.
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file


def limit_evidence_uploads(request: HttpRequest) -> None:
    """Put the size limit in front of the request's upload handlers (before the body is read)."""
    request.upload_handlers.insert(0, EvidenceSizeLimitHandler(request))


def refused_upload(request: HttpRequest) -> str | None:
    """The refusal message if the upload was stopped for its size, else None."""
    return getattr(request, REFUSED_ATTRIBUTE, None)


def with_upload_limit(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a view that takes evidence uploads: the limit goes in before CSRF reads the body.

    CsrfViewMiddleware reads request.POST, which parses the upload with whatever handlers
    are in place then; so the view is exempt from the middleware and protected inside,
    after the handler is added (Django's documented pattern for custom upload handlers).
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit_evidence_uploads(request)
        return protected(request, *args, **kwargs)

    return wrapper
