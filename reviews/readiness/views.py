"""The readiness page: "are we ready for the certification audit, and if not, what is missing?"."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from aims import access
from aims.access import Action
from aims.pages import open_management_system
from aims.readiness import SEVERITIES, evaluate
from reviews.readiness import selectors


def readiness(request: HttpRequest, ms_id: int) -> HttpResponse:
    """Every clause and Annex A group with its checks: what fails, in words, and where to fix it (any member)."""
    ms = open_management_system(request, ms_id)
    result = evaluate(ms)
    return render(
        request,
        "reviews/readiness/readiness.html",
        {
            "ms": ms,
            "readiness": result,
            "counts": result.counts(),
            "rows": selectors.page_rows(result),
            "severities": SEVERITIES,
            "can_edit": access.can(request.user, Action.EDIT, ms),
        },
    )
