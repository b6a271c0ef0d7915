"""HTML pages of document versions: the rendered text with its digest, checklist, approval and acknowledgements;
the draft's form; submit for review, return to draft, approve (a sign-off) and acknowledge."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aims import access, ledger
from aims.access import Action
from aims.forms import add_service_errors
from aims.pages import SignOffPanel, open_record, save_or_conflict, sign_off_page, signoff_panel
from governance.documents import selectors, services
from governance.documents.forms import ReturnForm, StepForm, VersionForm
from governance.documents.markdown import render_markdown
from governance.documents.signoffs import APPROVAL, approval_refusal, needs_top_management
from governance.models import DocumentVersion
from improvement.pages import form_status, history_page

TEMPLATE = "governance/documents/version_detail.html"
Status = DocumentVersion.Status


class VersionPanel(SignOffPanel):
    """The approval box, naming the document's version number rather than the record's edit counter."""

    @property
    def current_version(self) -> int | None:
        return self.subject.number


def open_version(request: HttpRequest, ms_id: Any, pk: Any, action: Action = Action.VIEW) -> DocumentVersion:
    """The document version of the page, or 404/403."""
    return open_record(request, selectors.version_queryset(user=request.user), ms_id, pk, action)


def _acknowledgements(request: HttpRequest, version: DocumentVersion) -> dict[str, Any]:
    if version.document.doc_type != version.document.Type.POLICY:
        return {"acknowledgeable": False}
    acks = selectors.acknowledgements_of(version)
    expected = selectors.members_expected(version.management_system)
    mine = any(ack.user_id == request.user.pk for ack in acks)
    return {
        "acknowledgeable": True,
        "acknowledgements": acks,
        "ack_expected": expected,
        "ack_rate": selectors.rate(len(acks), expected),
        "acknowledged_by_me": mine,
        "can_acknowledge": not mine
        and version.status == Status.APPROVED
        and services.may_acknowledge(request.user, version),
    }


def version_context(
    request: HttpRequest, version: DocumentVersion, *, form: Any = None, conflict: str | None = None, **extra: Any
) -> dict[str, Any]:
    """What the version page shows: the text rendered safely, the digest, checklist, steps, approval, acknowledgements."""
    ms = version.management_system
    panel = signoff_panel(
        request, APPROVAL, version, action_url=reverse("governance:version_approve", args=[ms.pk, version.pk]),
        form=form, conflict=conflict,
    )  # fmt: skip
    panel = VersionPanel(**vars(panel))
    if panel.status.latest is not None:
        panel.signed_version = version.number  # a version is approved once, as it stands
    if version.status in (Status.APPROVED, Status.SUPERSEDED):
        panel.blockers = []  # nothing left to sign: the box shows the approval
    can_edit = access.can(request.user, Action.EDIT, version) and not version.document.is_retired
    refusal = ""
    if version.status == Status.IN_REVIEW and access.can(request.user, Action.SIGN_OFF, version) and not panel.may_sign:
        refusal = approval_refusal(version)
    return {
        "approval_refusal": refusal,
        "ms": ms,
        "version": version,
        "document": version.document,
        "rendered": render_markdown(version.body),
        "policy": needs_top_management(version),
        "checklist": version.checklist(),
        "can_edit": can_edit and version.status == Status.DRAFT,
        "can_submit": can_edit and version.status == Status.DRAFT,
        "can_return": can_edit and version.status == Status.IN_REVIEW,
        "step_form": StepForm(initial={"version": version.version}),
        "return_form": extra.pop("return_form", None) or ReturnForm(initial={"version": version.version}),
        "signoff": panel,
        "tab": "details",
        **_acknowledgements(request, version),
        **extra,
    }


@login_required
@require_GET
def version_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    version = open_version(request, ms_id, pk)
    return render(request, TEMPLATE, version_context(request, version))


@login_required
@require_GET
def version_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    version = open_version(request, ms_id, pk, Action.VIEW_HISTORY)
    return history_page(request, TEMPLATE, version, selectors.history_of(version), version_context)


def _detail(version: DocumentVersion) -> HttpResponse:
    return redirect("governance:version_detail", ms_id=version.management_system_id, pk=version.pk)


@login_required
@require_http_methods(["GET", "POST"])
def version_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Edit a draft: its Markdown text or file, change summary and (for a policy) checklist."""
    version = open_version(request, ms_id, pk, Action.EDIT)
    if version.status != Status.DRAFT:
        messages.info(
            request,
            f"Version {version.number} is {version.get_status_display().lower()}: only a draft is edited. "
            + ("Return it to draft first." if version.status == Status.IN_REVIEW else "Start a new version."),
        )
        return _detail(version)
    ms = version.management_system
    form = VersionForm(
        request.POST or None, instance=copy.copy(version), initial={"version": version.version},
        management_system=ms, policy=needs_top_management(version),
    )  # fmt: skip
    conflict = None
    if request.method == "POST" and form.is_valid():
        saved, conflict = save_or_conflict(
            form,
            lambda: services.version_update(
                version, user=request.user, expected_version=form.cleaned_data["version"], reason=form.reason(),
                **form.register_fields(),
            ),
        )  # fmt: skip
        if saved is not None:
            messages.success(request, f"The draft of version {saved.number} was saved.")
            return _detail(saved)
    context = {"ms": ms, "form": form, "version": version, "document": version.document, "conflict": conflict}
    status = form_status(conflict, bool(form.errors))
    return render(request, "governance/documents/version_form.html", context, status=status)


def _step(request: HttpRequest, version: DocumentVersion, form: Any, call: Any, done: str) -> HttpResponse:
    """Run a workflow step for a form: done, back to the version; refused, the page with the reason."""
    if form.is_valid():
        saved, conflict = save_or_conflict(form, lambda: call(form.cleaned_data))
        if saved is not None:
            messages.success(request, done)
            return _detail(saved)
    else:
        conflict = None
    extra = {"return_form": form} if isinstance(form, ReturnForm) else {"step_form": form}
    context = version_context(request, version, step_conflict=conflict, **extra)
    return render(request, TEMPLATE, context, status=form_status(conflict, True))


@login_required
@require_POST
def version_submit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    version = open_version(request, ms_id, pk, Action.EDIT)
    return _step(
        request, version, StepForm(request.POST),
        lambda data: services.version_submit(version, user=request.user, expected_version=data.get("version")),
        f"Version {version.number} was submitted for review.",
    )  # fmt: skip


@login_required
@require_POST
def version_return(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    version = open_version(request, ms_id, pk, Action.EDIT)
    return _step(
        request, version, ReturnForm(request.POST),
        lambda data: services.version_return(
            version, user=request.user, expected_version=data["version"], reason=data["reason"]
        ),
        f"Version {version.number} is a draft again.",
    )  # fmt: skip


@login_required
@require_POST
def version_approve(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """The approval sign-off: signed, the version is approved and the one before superseded, in one transaction."""
    version = open_version(request, ms_id, pk)
    if not ledger.may_sign(APPROVAL, request.user, version):  # the version page, saying why
        return render(request, TEMPLATE, version_context(request, version), status=403)
    return sign_off_page(
        request,
        APPROVAL,
        version,
        done_url=reverse("governance:version_detail", args=[version.management_system_id, version.pk]),
        template=TEMPLATE,
        context=lambda form, conflict: version_context(
            request, open_version(request, ms_id, pk), form=form, conflict=conflict
        ),
        sign=lambda subject, **signing: services.version_approve(subject, **signing),
    )


@login_required
@require_POST
def version_acknowledge(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """A member acknowledges that they read the approved policy version."""
    version = open_version(request, ms_id, pk)
    if not services.may_acknowledge(request.user, version):
        raise PermissionDenied("Auditors read the policy; members acknowledge it.")
    try:
        services.acknowledge(version, user=request.user)
    except ValidationError as exc:
        form = StepForm(request.POST)
        form.is_valid()
        add_service_errors(form, exc)
        return render(request, TEMPLATE, version_context(request, version, ack_form=form), status=400)
    messages.success(request, f"You acknowledged version {version.number} of {version.document.title}.")
    return _detail(version)
