"""HTML pages of the management system itself: home, switcher, overview, settings and members."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import aims
from aims import access, hooks, selectors, services, signing
from aims.access import Action
from aims.forms import ManagementSystemForm, MemberAddForm, MemberChangeForm, add_service_errors
from aims.models import ManagementSystem, Membership
from aims.pages import open_management_system, save_or_conflict


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    systems = list(access.visible_management_systems(request.user).order_by("organisation", "name"))
    if len(systems) == 1:
        return redirect("aims:ms_home", ms_id=systems[0].pk)
    roles = {ms.pk: access.membership_for(request.user, ms.pk).get_role_display() for ms in systems}
    rows = [(ms, roles[ms.pk]) for ms in systems]
    return render(request, "aims/home.html", {"rows": rows})


@login_required
@require_GET
def about(request: HttpRequest) -> HttpResponse:
    """The register's version, its signing key fingerprint and how to check a pack without it."""
    context = {
        "version": aims.__version__,
        "fingerprint": signing.fingerprint(),
        "public_key_pem": signing.public_key_pem(),
    }
    return render(request, "aims/about.html", context)


@login_required
@require_GET
def signing_key(request: HttpRequest) -> HttpResponse:
    """The register's public signing key (PEM), to check signatures with other tools."""
    response = HttpResponse(signing.public_key_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="aims-signing-key.pem"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def switch(request: HttpRequest) -> HttpResponse:
    ms = access.get_management_system(request.user, request.GET.get("ms"), Action.VIEW)
    return redirect("aims:ms_home", ms_id=ms.pk)


@login_required
@require_GET
def ms_home(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    context = {
        "ms": ms,
        "membership": access.membership_for(request.user, ms.pk),
        "panels": hooks.overview_panels(request, ms),
        "can_edit_ms": access.can(request.user, Action.MANAGE_MEMBERS, ms),
    }
    return render(request, "aims/managementsystem_home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def ms_edit(request: HttpRequest, ms_id: int) -> HttpResponse:
    # Owners administer the management system itself, as they administer its members.
    ms = open_management_system(request, ms_id, Action.MANAGE_MEMBERS)
    form = ManagementSystemForm(request.POST or None, instance=ms, initial={"version": ms.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in ManagementSystemForm.Meta.fields}
        saved, conflict = save_or_conflict(
            form,
            lambda: services.management_system_update(
                ms, user=request.user, expected_version=form.cleaned_data["version"], reason=form.reason(), **fields
            ),
        )
        if saved is not None:
            messages.success(request, "Management system saved.")
            return redirect("aims:ms_home", ms_id=ms.pk)
    context = {"ms": ms, "form": form, "conflict": conflict}
    return render(request, "aims/managementsystem_form.html", context, status=409 if conflict else 200)


def _members_page(
    request: HttpRequest, ms: ManagementSystem, *, add_form=None, bound: MemberChangeForm | None = None
) -> HttpResponse:
    members = selectors.membership_list(management_system=ms)
    rows = []
    for membership in members:
        if bound is not None and bound.instance.pk == membership.pk:
            rows.append((membership, bound))
        else:
            rows.append((membership, MemberChangeForm(instance=membership, prefix=f"m{membership.pk}")))
    context = {"ms": ms, "rows": rows, "add_form": add_form or MemberAddForm(prefix="add")}
    return render(request, "aims/membership_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.MANAGE_MEMBERS)
    if request.method == "GET":
        return _members_page(request, ms)
    form = MemberAddForm(request.POST, prefix="add")
    if form.is_valid():
        try:
            user = services.find_user(form.cleaned_data["user"])
            services.membership_add(
                management_system=ms,
                actor=request.user,
                user=user,
                role=form.cleaned_data["role"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{user.get_username()} is now a member.")
            return redirect("aims:members", ms_id=ms.pk)
    return _members_page(request, ms, add_form=form)


@login_required
@require_POST
def member_change(request: HttpRequest, ms_id: int, membership_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.MANAGE_MEMBERS)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id, management_system=ms)
    form = MemberChangeForm(request.POST, instance=membership, prefix=f"m{membership.pk}")
    if form.is_valid():
        try:
            services.membership_update(
                membership,
                actor=request.user,
                role=form.cleaned_data["role"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{membership.user.get_username()}'s membership was changed.")
            return redirect("aims:members", ms_id=ms.pk)
    return _members_page(request, ms, bound=form)


@login_required
@require_POST
def member_remove(request: HttpRequest, ms_id: int, membership_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.MANAGE_MEMBERS)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id, management_system=ms)
    try:
        services.membership_remove(membership, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{membership.user.get_username()} was removed.")
    return redirect("aims:members", ms_id=ms.pk)
