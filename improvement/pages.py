"""What the pages of the three improvement families (audits, nonconformities, incidents) share.

- ``list_page``: a register's list with its FilterSet, one page of rows (annotated with their
  sign-off state where the family asks), ``filtered`` and what else the page shows.
- ``history_page``: a record's History tab: one page of its versions (``aims.history.paged_history``,
  ``?history_page=N``) in the detail page's context.
- ``form_status``: 409 on a stale version, 400 on a refused form, 200 otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from aims.history import paged_history

PAGE_SIZE = 25


def list_page(
    request: HttpRequest,
    template: str,
    filterset: Any,
    *,
    annotate: Callable[[list[Any]], list[Any]] | None = None,
    **extra: Any,
) -> HttpResponse:
    """The list page: ``ms`` is the filterset's management system; ``extra`` adds to the context."""
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if annotate is not None:
        page.object_list = annotate(list(page.object_list))
    context = {
        "ms": filterset.management_system,
        "filterset": filterset,
        "page_obj": page,
        "filtered": filterset.is_filtered,
        **extra,
    }
    return render(request, template, context)


def history_page(
    request: HttpRequest,
    template: str,
    record: Any,
    history: QuerySet,
    context: Callable[..., dict[str, Any]],
    **extra: Any,
) -> HttpResponse:
    """The History tab of ``record``: ``context(request, record, tab="history", versions=<a page>, **extra)``."""
    versions = paged_history(request, history, type(record))
    return render(request, template, context(request, record, tab="history", versions=versions, **extra))


def form_status(conflict: str | None, refused: bool) -> int:
    """The status of a form page: 409 when the version was stale, 400 when the form was refused, else 200."""
    return 409 if conflict else (400 if refused else 200)
