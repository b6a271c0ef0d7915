"""The one HTML kit every register's pages are built from.

- ``open_management_system`` and ``open_record``: resolve what a page shows through
  ``aims.access`` (404 outside the user's management systems, 403 where it is visible but
  the action is refused) and set ``request.management_system`` for the navigation.
- ``save_or_conflict``: call a service for a form; a stale version becomes the conflict
  message (the page answers 409), a ``ValidationError`` goes next to the form's fields.
- ``confirm_remove``: ask before deleting a record nothing refers to, or retiring (withdrawing)
  one with a reason; ``removal_verb`` names the button.
- ``signoff_panel`` and ``sign_off_from_post``: the sign-off box (status, history,
  blockers, form) and its POST handler, for every kind of sign-off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from aims import access, ledger, mfa, services
from aims.access import Action
from aims.forms import ConfirmDeleteForm, RetireForm, SignOffForm, add_service_errors
from aims.models import ManagementSystem, SignOff
from aims.services import StaleVersionError

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


def open_management_system(request: HttpRequest, ms_id: Any, action: Action = Action.VIEW) -> ManagementSystem:
    """The management system of the page, or 404/403 as ``aims.access`` decides; shows its navigation."""
    ms = access.get_management_system(request.user, ms_id, action)
    request.management_system = ms
    return ms


def open_record(request: HttpRequest, queryset: QuerySet[M], ms_id: Any, pk: Any, action: Action = Action.VIEW) -> M:
    """One record of the page's management system, or 404/403 as ``aims.access`` decides."""
    try:
        ms_id = int(ms_id)
    except (TypeError, ValueError):
        ms_id = 0
    obj = access.get_record(request.user, queryset.filter(management_system_id=ms_id), pk, action)
    request.management_system = obj.management_system
    return obj


def save_or_conflict(form: Any, save: Callable[[], T]) -> tuple[T | None, str | None]:
    """Run a service call for a form: (result, None), or (None, conflict message), or errors on the form."""
    try:
        return save(), None
    except StaleVersionError as exc:
        return None, str(exc)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None, None


def confirm_remove(
    request: HttpRequest,
    obj: Any,
    *,
    delete: Callable[..., None],
    retire: Callable[..., Any] | None,
    cancel_url: str,
    done_url: str,
) -> HttpResponse:
    """Delete a record nothing refers to, or retire (withdraw) one with a reason; ask first, act on the version seen.

    The page lists what refers to the record; when anything does, only retiring is offered, and
    a deletion posted anyway is refused by the service with the same list.
    """
    references = services.references_to(obj)
    delete_form = None if references else ConfirmDeleteForm(initial={"version": obj.version})
    retire_form = RetireForm(initial={"version": obj.version}) if retire and not obj.is_retired else None
    conflict = None
    if request.method == "POST":
        if request.POST.get("action") == "retire" and retire_form is not None:
            retire_form = RetireForm(request.POST)
            if retire_form.is_valid():
                data = retire_form.cleaned_data
                done, conflict = save_or_conflict(
                    retire_form,
                    lambda: retire(obj, user=request.user, expected_version=data["version"], reason=data["reason"]),
                )
                if done is not None:
                    messages.success(request, f"{obj.reference} was {obj.retired_label.lower()}. It stays readable.")
                    return redirect(cancel_url)
        else:
            delete_form = ConfirmDeleteForm(request.POST)
            if delete_form.is_valid():
                data = delete_form.cleaned_data
                _done, conflict = save_or_conflict(
                    delete_form,
                    lambda: delete(
                        obj, user=request.user, expected_version=data["version"], reason=delete_form.reason()
                    ),
                )
                if conflict is None and not delete_form.errors:
                    messages.success(request, f"{obj} was deleted. Its history is kept.")
                    return redirect(done_url)
    context = {
        "ms": obj.management_system,
        "obj": obj,
        "references": references,
        "delete_form": delete_form,
        "retire_form": retire_form,
        "conflict": conflict,
        "cancel_url": cancel_url,
    }
    invalid = any(f is not None and f.is_bound and f.errors for f in (delete_form, retire_form))
    return render(request, "aims/confirm_remove.html", context, status=409 if conflict else (400 if invalid else 200))


def removal_verb(obj: Any) -> str:
    """The word on a record's remove button: Delete while nothing refers to it, else Retire or Withdraw."""
    if getattr(obj, "is_retired", False):
        return ""
    return getattr(obj, "retire_verb", "Retire") if services.is_referenced(obj) else "Delete"


# --- sign-offs -------------------------------------------------------------------------------


@dataclass
class SignOffPanel:
    """Everything the sign-off box shows for one subject and one kind of sign-off."""

    spec: ledger.Signable
    subject: Any
    status: ledger.SignOffStatus
    history: list[SignOff]
    may_sign: bool
    blockers: list[str]
    form: SignOffForm | None
    action_url: str
    conflict: str | None = None
    rule: str = ""
    signed_version: int | None = None
    changes: list[Any] = field(default_factory=list)
    own_change: bool = False

    @property
    def current_version(self) -> int | None:
        """The record's version number; None when the subject is a whole (the SoA of a management system)."""
        return None if isinstance(self.subject, ManagementSystem) else getattr(self.subject, "version", None)

    @property
    def can_sign_now(self) -> bool:
        """Offer the form: the signer may sign, nothing blocks, and there is something new to sign."""
        return self.may_sign and not self.blockers and (self.status.latest is None or self.status.changed_since)


def signoff_panel(
    request: HttpRequest,
    kind: str,
    subject: Any,
    *,
    action_url: str,
    form: SignOffForm | None = None,
    conflict: str | None = None,
) -> SignOffPanel:
    """The sign-off box of a subject: latest sign-off, changed since, earlier ones, blockers and the form."""
    spec = ledger.signable(kind)
    history = list(ledger.sign_offs_of(kind, subject))
    may = ledger.may_sign(kind, request.user, subject)
    # What is signed now, read once for the status, the four-eyes check and the form's token (when any asks).
    versions = list(spec.versions(subject)) if (history or may) else None
    status = ledger.sign_off_status(kind, subject, history=history, versions=versions)
    blockers = spec.blockers(subject) if (may and spec.blockers) else []
    own_change = may and ledger.signs_own_change(kind, request.user, subject, versions=versions)
    if may and form is None:
        form = signoff_form(request, kind, subject, own_change=own_change, versions=versions)
    signed_version = None
    if status.latest is not None and hasattr(subject, "version"):
        signed_version = ledger.signed_record_version(status.latest, subject)
    return SignOffPanel(
        spec=spec,
        subject=subject,
        status=status,
        history=history,
        may_sign=may,
        blockers=blockers,
        form=form,
        action_url=action_url,
        conflict=conflict,
        rule=spec.rule(subject) if spec.rule else "",
        signed_version=signed_version,
        own_change=own_change,
    )


def signoff_form(
    request: HttpRequest,
    kind: str,
    subject: Any,
    data: Any = None,
    *,
    own_change: bool | None = None,
    versions: list[Any] | None = None,
    **initial: Any,
) -> SignOffForm:
    """The sign-off form for this signer and subject: the step-up it asks, the override when it applies.

    ``own_change`` and ``versions`` (the kind's ``versions(subject)``): what the caller already read.
    """
    spec = ledger.signable(kind)
    if own_change is None:
        own_change = ledger.signs_own_change(kind, request.user, subject)
    return SignOffForm(
        data,
        initial={
            "signed_version": ledger.version_token(kind, subject, versions=versions),
            "statement": spec.statement,
            **initial,
        },
        step_up_label=mfa.step_up_label(request.user),
        override=own_change,
        ask_job_title=ledger.needs_job_title(request.user, spec.management_system_of(subject)),
    )


def sign_off_from_post(
    request: HttpRequest, kind: str, subject: Any, *, done_url: str, sign: Callable[..., SignOff] | None = None
) -> tuple[HttpResponse | None, SignOffForm, str | None]:
    """Handle a sign-off form: (redirect, form, None) when signed, else (None, bound form, conflict message).

    The signer confirms, states, and steps up (a second factor, or a password where none is
    required); the last editor of what is signed also says why they sign it themselves.
    ``sign(subject, **signing)`` replaces ``ledger.sign_off`` for a sign-off that also moves
    its subject along (an approval that makes a draft approved), in one transaction.
    """
    ledger.require_may_sign(kind, request.user, subject)  # 404/403 before anything else is judged
    form = signoff_form(request, kind, subject, request.POST)
    conflict = None
    if sign is None:

        def sign(subject: Any, **signing: Any) -> SignOff:
            return ledger.sign_off(kind=kind, subject=subject, **signing)

    if form.is_valid():
        data = form.cleaned_data
        try:
            signoff = sign(
                subject,
                user=request.user,
                statement=data["statement"],
                verification=lambda: mfa.verify_step_up(request.user, data["second_factor"]),
                expected_token=data["signed_version"],
                override_reason=data.get("override_reason", ""),
                job_title=data.get("job_title", ""),
            )
        except ledger.SignOffConflict as exc:
            conflict = str(exc)
            # Offer the version that stands now, unticked: the signer reviews it and confirms again.
            form = signoff_form(request, kind, subject, statement=data["statement"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _signed_message(kind, subject, signoff))
            return redirect(done_url), form, None
    return None, form, conflict


def sign_off_page(
    request: HttpRequest,
    kind: str,
    subject: Any,
    *,
    done_url: str,
    template: str,
    context: Callable[[SignOffForm, str | None], dict[str, Any]],
    sign: Callable[..., SignOff] | None = None,
) -> HttpResponse:
    """The POST of a record's sign-off panel: signed, back to ``done_url``; else the record's page again
    with the bound form (400) or the version that stands now (409). ``context(form, conflict)`` builds that page;
    ``sign`` is as for ``sign_off_from_post``."""
    response, form, conflict = sign_off_from_post(request, kind, subject, done_url=done_url, sign=sign)
    if response is not None:
        return response
    return render(request, template, context(form, conflict), status=409 if conflict else 400)


def _signed_message(kind: str, subject: Any, signoff: SignOff) -> str:
    spec = ledger.signable(kind)
    if isinstance(subject, ManagementSystem) or not hasattr(subject, "reference"):
        return f"{spec.label}: signed (sign-off #{signoff.sequence})."
    # The version signed, which a transition made with the signature (draft to approved) does not change.
    version = ledger.signed_record_version(signoff, subject) or (
        type(subject)._default_manager.filter(pk=subject.pk).values_list("version", flat=True).first()
    )
    return f"You {spec.done_label.lower()} version {version} of {subject.reference} (sign-off #{signoff.sequence})."
