"""Invitations: people join a management system only by accepting one (consent).

An owner invites an e-mail address with a role; the address receives a one-time link whose
token is stored only as a SHA-256. Whoever accepts must be logged in with an account
registered to that address; accepting writes the membership through
``services.membership_add`` (history: the invitee, "Accepted the invitation of ...").
The inviter learns nothing about which addresses have accounts: an invitation is made and
sent the same way for every address.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from aims import access
from aims.access import Action
from aims.models import Invitation, ManagementSystem, Membership, Role
from aims.services import _stamp, hash_token, membership_add

logger = logging.getLogger(__name__)


class InvitationNotForYou(PermissionDenied):
    """The invitation was sent to an address other than the logged-in account's."""


class InvitationClosed(ValidationError):
    """The invitation was accepted, declined, withdrawn or has expired."""


_CLOSED = {
    Invitation.State.ACCEPTED: "This invitation was already accepted: the link works once.",
    Invitation.State.DECLINED: "This invitation was declined.",
    Invitation.State.REVOKED: "This invitation was withdrawn by the management system's owner.",
    Invitation.State.EXPIRED: "This invitation has expired.",
}


# --- reads ---------------------------------------------------------------------------------


def invitation_by_token(raw_token: str) -> Invitation | None:
    """The invitation a link's token opens, whatever its state, or None."""
    if not raw_token or len(raw_token) > 200:
        return None
    return (
        Invitation.objects.select_related("management_system", "invited_by")
        .filter(token_hash=hash_token(raw_token))
        .first()
    )


def pending_invitations_for(user: AbstractBaseUser) -> QuerySet[Invitation]:
    """Pending invitations addressed to the user's e-mail address, newest first."""
    email = (getattr(user, "email", "") or "").strip()
    if not user.is_authenticated or not email:
        return Invitation.objects.none()
    return (
        _pending(Invitation.objects.filter(email__iexact=email))
        .select_related("management_system", "invited_by")
        .order_by("-created_at", "-pk")
    )


def pending_invitations_of(management_system: ManagementSystem) -> QuerySet[Invitation]:
    """Pending invitations of a management system, newest first (what its owners may withdraw)."""
    return (
        _pending(Invitation.objects.filter(management_system=management_system))
        .select_related("invited_by")
        .order_by("-created_at", "-pk")
    )


def invitations_visible_to(user: AbstractBaseUser) -> QuerySet[Invitation]:
    """Every invitation of the management systems in which the user manages members, newest first."""
    managed = [ms.pk for ms in access.visible_management_systems(user) if access.can(user, Action.MANAGE_MEMBERS, ms)]
    return (
        Invitation.objects.filter(management_system_id__in=managed)
        .select_related("management_system", "invited_by", "accepted_by")
        .order_by("-created_at", "-pk")
    )


def _pending(queryset: QuerySet[Invitation]) -> QuerySet[Invitation]:
    return queryset.filter(
        accepted_at__isnull=True, declined_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def is_addressed_to(invitation: Invitation, user: AbstractBaseUser) -> bool:
    """Whether the user's account is registered to the address the invitation was sent to."""
    email = (getattr(user, "email", "") or "").strip()
    return bool(email) and email.lower() == invitation.email.lower()


def closed_reason(invitation: Invitation) -> str:
    """Why an invitation can no longer be answered ("" while it is pending)."""
    return _CLOSED.get(invitation.state, "")


def sent_message(invitation: Invitation) -> str:
    """The one answer to an invitation, whatever the address: it says nothing about existing accounts."""
    until = date_format(timezone.localtime(invitation.expires_at), "j F Y")
    return (
        f"If {invitation.email} is a working e-mail address, an invitation to join "
        f"{invitation.management_system.name} as {invitation.get_role_display().lower()} is on its way to it. "
        f"It can be accepted until {until}, with an account registered to that address."
    )


def masked_email(email: str) -> str:
    """The address with most of its local part hidden (``j…@example.org``), for a refusal page."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


# --- writes --------------------------------------------------------------------------------


def invitation_create(
    *,
    management_system: ManagementSystem,
    actor: AbstractBaseUser,
    email: str,
    role: str,
    access_ends_at: datetime | None = None,
    absolute_url: Callable[[str], str],
) -> Invitation:
    """Invite an address to join with a role and e-mail it a one-time link (``absolute_url(path)`` makes the link).

    A pending invitation of the same address to the same management system is withdrawn: the
    newest link is the only one that works. Nothing about existing accounts is looked up.
    """
    if not access.can(actor, Action.MANAGE_MEMBERS, management_system):
        raise PermissionDenied("Only the management system's owners invite members.")
    email = _clean_email(email)
    _check_invitation_terms(role, access_ends_at)
    raw_token = secrets.token_urlsafe(32)
    with transaction.atomic():
        for earlier in (
            pending_invitations_of(management_system).filter(email__iexact=email).select_for_update(of=("self",))
        ):
            _close(earlier, user=actor, field="revoked_at", reason="Replaced by a new invitation")
        invitation = Invitation(
            management_system=management_system,
            email=email,
            role=role,
            access_ends_at=access_ends_at,
            token_hash=hash_token(raw_token),
            invited_by=actor,
            expires_at=timezone.now() + timedelta(days=settings.AIMS_INVITATION_DAYS),
        )
        _stamp(invitation, user=actor, reason=f"Invited as {Role(role).label}")
        invitation.save()
    # Sent after the invitation is written (its link opens it); a message the mail server refuses
    # withdraws the invitation and says so, rather than leaving a link nobody received.
    _send(invitation, absolute_url(reverse("aims:invitation_open", args=[raw_token])), actor=actor)
    return invitation


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid e-mail address."}) from None
    return email


def _check_invitation_terms(role: str, access_ends_at: datetime | None) -> None:
    if role not in Role.values:
        raise ValidationError({"role": "Choose one of the roles."})
    if access_ends_at is not None and access_ends_at <= timezone.now():
        raise ValidationError({"access_ends_at": "The access would already have ended: choose a later date."})


def _send(invitation: Invitation, link: str, *, actor: AbstractBaseUser) -> None:
    context = {
        "invitation": invitation,
        "link": link,
        "inviter": actor.get_full_name() or actor.get_username(),
        "days": settings.AIMS_INVITATION_DAYS,
    }
    subject = " ".join(render_to_string("aims/email/invitation_subject.txt", context).split())
    body = render_to_string("aims/email/invitation_body.txt", context)
    try:
        send_mail(subject, body, None, [invitation.email])
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("Invitation %s could not be sent: %s", invitation.pk, exc)
        _close(invitation, user=actor, field="revoked_at", reason="Not sent: the mail server refused it")
        raise ValidationError(
            "The invitation could not be sent: the mail server did not take the message. Nothing was sent; "
            "try again later."
        ) from exc


def invitation_accept(invitation: Invitation, *, user: AbstractBaseUser) -> Membership:
    """Accept an invitation as the logged-in addressee: they become a member with the invited role."""
    with transaction.atomic():
        current = _open_for(invitation, user)
        ms = current.management_system
        if Membership.objects.filter(management_system=ms, user=user).exists():
            raise ValidationError(
                f"You already have a membership of {ms.name} (perhaps one whose access ended): nothing was changed. "
                "Ask its owner to change your role or access on the Members page."
            )
        if current.access_ends_at is not None and current.access_ends_at <= timezone.now():
            raise ValidationError(
                f"The access this invitation grants ended on {current.access_ends_at:%d %b %Y}: ask the owner for a "
                "new invitation."
            )
        inviter = current.invited_by.get_username() if current.invited_by else "a former owner"
        membership = membership_add(
            management_system=ms,
            actor=user,
            user=user,
            role=current.role,
            expires_at=current.access_ends_at,
            granted_by=current.invited_by,
            reason=f"Accepted the invitation of {inviter} as {Role(current.role).label}",
        )
        current.accepted_by = user
        _close(current, user=user, field="accepted_at", reason="Accepted")
    return membership


def invitation_decline(invitation: Invitation, *, user: AbstractBaseUser) -> Invitation:
    """Decline an invitation as its addressee; the link stops working."""
    with transaction.atomic():
        current = _open_for(invitation, user)
        return _close(current, user=user, field="declined_at", reason="Declined")


def invitation_revoke(invitation: Invitation, *, actor: AbstractBaseUser) -> Invitation:
    """Withdraw a pending invitation (an owner of its management system); the link stops working."""
    if not access.can(actor, Action.MANAGE_MEMBERS, invitation.management_system):
        raise PermissionDenied("Only the management system's owners withdraw invitations.")
    with transaction.atomic():
        current = Invitation.objects.select_for_update().get(pk=invitation.pk)
        _refuse_closed(current)
        return _close(current, user=actor, field="revoked_at", reason="Withdrawn")


def _open_for(invitation: Invitation, user: AbstractBaseUser) -> Invitation:
    """The invitation locked for an answer: still pending and addressed to the user."""
    current = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("management_system", "invited_by")
        .get(pk=invitation.pk)
    )
    if not is_addressed_to(current, user):
        raise InvitationNotForYou(
            f"This invitation was sent to {masked_email(current.email)}, not to the e-mail address of the account "
            f"you are logged in with ({user.get_username()}). Log in with the account registered to that address, "
            "or ask the owner to invite your own address."
        )
    _refuse_closed(current)
    return current


def _refuse_closed(invitation: Invitation) -> None:
    if invitation.state != Invitation.State.PENDING:
        raise InvitationClosed(closed_reason(invitation))


def _close(invitation: Invitation, *, user: AbstractBaseUser | None, field: str, reason: str) -> Invitation:
    setattr(invitation, field, timezone.now())
    _stamp(invitation, user=user, reason=reason)
    invitation.save()
    return invitation
