"""View helpers shared by every register's pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from aims.forms import ConfirmDeleteForm
from aims.services import StaleVersionError


def confirm_delete(
    request: HttpRequest,
    obj: Any,
    delete: Callable[..., None],
    *,
    cancel_url: str,
    done_url: str,
    kept: str = "Its history is kept.",
) -> HttpResponse:
    """Ask before deleting a register row; delete only the version the user confirmed."""
    form = ConfirmDeleteForm(request.POST or None, initial={"version": obj.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            delete(obj, user=request.user, expected_version=form.cleaned_data["version"], reason=form.reason())
        except StaleVersionError as exc:
            conflict = str(exc)
        else:
            messages.success(request, f"{obj} was deleted. {kept}")
            return redirect(done_url)
    context = {"ms": obj.management_system, "obj": obj, "form": form, "conflict": conflict, "cancel_url": cancel_url}
    return render(request, "registers/register_confirm_delete.html", context, status=409 if conflict else 200)
