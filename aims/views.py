"""HTML pages of the management system itself: home, switcher, overview, settings and members."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import aims
from aims import access, hooks, invitations, selectors, services, signing, work
from aims.access import Action
from aims.forms import (
    InvitationForm,
    ManagementSystemCreateForm,
    ManagementSystemForm,
    MemberChangeForm,
    add_service_errors,
)
from aims.models import Invitation, ManagementSystem, Membership, Role
from aims.pages import open_management_system, save_or_conflict

# The home list counts what waits for the member in at most this many management systems (each costs queries).
HOME_COUNTS_UP_TO = 5


def _member_home(ms_id: int) -> str:
    """Where a member lands in a management system: the registered member home, else the overview."""
    try:
        return reverse(hooks.member_home_url_name(), args=[ms_id])
    except NoReverseMatch:
        return reverse("aims:ms_home", args=[ms_id])


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    systems = list(access.visible_management_systems(request.user).order_by("organisation", "name"))
    pending = list(invitations.pending_invitations_for(request.user))
    may_create = access.may_create_management_system(request.user)
    # Straight to the member's home in the only management system, unless there is something to do here.
    if len(systems) == 1 and not pending and not may_create:
        return redirect(_member_home(systems[0].pk))
    roles = {ms.pk: access.membership_for(request.user, ms.pk).get_role_display() for ms in systems}
    today = timezone.localdate()
    rows = [
        (ms, roles[ms.pk], _member_home(ms.pk), len(work.work_for(request.user, ms, today)))
        for ms in systems[:HOME_COUNTS_UP_TO]
    ] + [(ms, roles[ms.pk], _member_home(ms.pk), None) for ms in systems[HOME_COUNTS_UP_TO:]]
    context = {"rows": rows, "invitations": pending, "may_create": may_create}
    return render(request, "aims/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def ms_create(request: HttpRequest) -> HttpResponse:
    if not access.may_create_management_system(request.user):
        return render(request, "aims/managementsystem_create_refused.html", status=403)
    form = ManagementSystemCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ms = services.management_system_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{ms.name} was created; you are its owner. Invite its members next.")
            return redirect("aims:members", ms_id=ms.pk)
    return render(request, "aims/managementsystem_create.html", {"form": form}, status=400 if form.errors else 200)


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
    request: HttpRequest,
    ms: ManagementSystem,
    *,
    invite_form: InvitationForm | None = None,
    bound: MemberChangeForm | None = None,
) -> HttpResponse:
    members = selectors.membership_list(management_system=ms)
    rows = []
    for membership in members:
        if bound is not None and bound.instance.pk == membership.pk:
            rows.append((membership, bound))
        else:
            rows.append((membership, MemberChangeForm(instance=membership, prefix=f"m{membership.pk}")))
    context = {
        "ms": ms,
        "rows": rows,
        "invite_form": invite_form or InvitationForm(prefix="invite"),
        "invitations": invitations.pending_invitations_of(ms),
        "invitation_days": settings.AIMS_INVITATION_DAYS,
    }
    invalid = any(form is not None and form.errors for form in (invite_form, bound))
    return render(request, "aims/membership_list.html", context, status=400 if invalid else 200)


@login_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.MANAGE_MEMBERS)
    if request.method == "GET":
        return _members_page(request, ms)
    form = InvitationForm(request.POST, prefix="invite")
    if form.is_valid():
        data = form.cleaned_data
        try:
            invitation = invitations.invitation_create(
                management_system=ms,
                actor=request.user,
                email=data["email"],
                role=data["role"],
                access_ends_at=data["access_ends_at"],
                absolute_url=request.build_absolute_uri,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, invitations.sent_message(invitation))
            return redirect("aims:members", ms_id=ms.pk)
    return _members_page(request, ms, invite_form=form)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, ms_id: int, invitation_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.MANAGE_MEMBERS)
    invitation = get_object_or_404(Invitation, pk=invitation_id, management_system=ms)
    try:
        invitations.invitation_revoke(invitation, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The invitation of {invitation.email} was withdrawn: its link no longer works.")
    return redirect("aims:members", ms_id=ms.pk)


@login_required
@require_POST
def member_change(request: HttpRequest, ms_id: int, membership_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.MANAGE_MEMBERS)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id, management_system=ms)
    form = MemberChangeForm(request.POST, instance=membership, prefix=f"m{membership.pk}")
    if form.is_valid():
        try:
            changed = services.membership_update(
                membership,
                actor=request.user,
                role=form.cleaned_data["role"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            name = membership.user.get_username()
            messages.success(request, f"{name}'s membership was changed.{_revoked_note(name, changed.revoked_grants)}")
            return redirect("aims:members", ms_id=ms.pk)
    return _members_page(request, ms, bound=form)


@login_required
@require_POST
def member_remove(request: HttpRequest, ms_id: int, membership_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.MANAGE_MEMBERS)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id, management_system=ms)
    try:
        revoked = services.membership_remove(membership, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        name = membership.user.get_username()
        messages.success(request, f"{name} was removed.{_revoked_note(name, revoked)}")
    return redirect("aims:members", ms_id=ms.pk)


def _revoked_note(name: str, revoked: list[str]) -> str:
    if not revoked:
        return ""
    return (
        f" Their edit rights on {', '.join(revoked)} ended with the role; those records still name {name} as "
        "owner: assign them again to give edit rights back."
    )


# --- invitations, as the invitee sees them ---------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link of an invitation: log in, then accept or decline it."""
    invitation = invitations.invitation_by_token(token)
    if invitation is None:
        context = {"closed": "This invitation link is not valid. Check that you copied the whole link."}
        return render(request, "aims/invitation.html", context, status=404)
    if invitation.state != Invitation.State.PENDING:
        context = {"invitation": invitation, "closed": invitations.closed_reason(invitation)}
        return render(request, "aims/invitation.html", context, status=410)
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        return render(request, "aims/invitation.html", {"invitation": invitation, "login": True})
    if not invitations.is_addressed_to(invitation, request.user):
        context = {"invitation": invitation, "masked_email": invitations.masked_email(invitation.email)}
        return render(request, "aims/invitation.html", {**context, "not_yours": True}, status=403)
    if request.method == "POST":
        return _answer(request, invitation)
    return render(request, "aims/invitation.html", {"invitation": invitation, "answer": True})


@login_required
@require_POST
def invitation_respond(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """Accept or decline, from the home page, an invitation sent to the account's own address."""
    invitation = get_object_or_404(invitations.pending_invitations_for(request.user), pk=invitation_id)
    return _answer(request, invitation)


def _answer(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    answer = request.POST.get("answer")
    ms = invitation.management_system
    try:
        if answer == "accept":
            membership = invitations.invitation_accept(invitation, user=request.user)
        elif answer == "decline":
            invitations.invitation_decline(invitation, user=request.user)
        else:
            raise ValidationError("Choose to accept or to decline the invitation.")
    except invitations.InvitationNotForYou as exc:
        return render(request, "aims/invitation.html", {"invitation": invitation, "refused": str(exc)}, status=403)
    except ValidationError as exc:
        context = {"invitation": invitation, "refused": " ".join(exc.messages)}
        return render(request, "aims/invitation.html", context, status=400)
    if answer == "decline":
        messages.success(request, f"You declined the invitation to {ms.name}.")
        return redirect("aims:home")
    messages.success(request, f"Welcome to {ms.name}: you joined as {Role(membership.role).label.lower()}.")
    return redirect("aims:ms_home", ms_id=ms.pk)
