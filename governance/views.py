"""The management system's index page: its own records, clause by clause."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from aims.pages import open_management_system
from governance import menu


def home(request: HttpRequest, ms_id: int) -> HttpResponse:
    """List the management system's registers in the order of clauses 4 to 7."""
    ms = open_management_system(request, ms_id)
    return render(request, "governance/home.html", {"ms": ms, "entries": menu.entries(ms.pk)})
