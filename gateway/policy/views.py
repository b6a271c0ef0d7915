"""HTML pages of the gateway policy (under ms/<ms_id>/gateway/policy/).

Everyone in the management system reads the versions; officers and owners start a draft, edit
its settings and rules, submit it for approval, return or withdraw it; leadership or the AIMS
manager approves it (the one sign-off panel); outsiders get 404 (``aims.pages``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aims import access, ledger
from aims.access import Action
from aims.pages import (
    SignOffPanel,
    open_management_system,
    open_record,
    save_or_conflict,
    sign_off_page,
    signoff_panel,
)
from gateway.models import PolicyRule, PolicyVersion
from gateway.policy import selectors, services
from gateway.policy.forms import MoveForm, PolicySettingsForm, ReasonForm, RuleForm, StepForm
from gateway.policy.signoffs import APPROVAL, approval_refusal
from improvement.pages import form_status, history_page

DETAIL = "gateway/policy_detail.html"
Status = PolicyVersion.Status
RETURN_HELP = "What has to change before it is approved. Kept in its history."
WITHDRAW_HELP = "Why this draft is given up, e.g. “Superseded by a simpler draft”. Kept in its history."


class VersionPanel(SignOffPanel):
    """The approval box, naming the policy's version number (policy@N) rather than the record's edit counter."""

    @property
    def current_version(self) -> int | None:
        return self.subject.number


def open_version(request: HttpRequest, ms_id: Any, pk: Any, action: Action = Action.VIEW) -> PolicyVersion:
    return open_record(request, selectors.version_queryset(user=request.user), ms_id, pk, action)


def open_rule(request: HttpRequest, ms_id: Any, pk: Any) -> PolicyRule:
    return open_record(request, selectors.rule_queryset(user=request.user), ms_id, pk, Action.EDIT)


def _detail(version: PolicyVersion) -> HttpResponse:
    return redirect("gateway:policy_detail", ms_id=version.management_system_id, pk=version.pk)


@login_required
@require_GET
def policy_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    versions = selectors.versions_of(ms)
    open_one = next((v for v in versions if v.is_open), None)
    context = {
        "ms": ms,
        "versions": versions,
        "in_force": next((v for v in versions if v.status == Status.APPROVED), None),
        "open_version": open_one,
        "can_draft": access.can(request.user, Action.CREATE, ms) and open_one is None,
    }
    return render(request, "gateway/policy_list.html", context)


@login_required
@require_POST
def policy_new(request: HttpRequest, ms_id: int) -> HttpResponse:
    """Start a draft copied from the version in force, then edit its settings."""
    ms = open_management_system(request, ms_id, Action.CREATE)
    form = StepForm({"version": 1})
    draft, _conflict = save_or_conflict(
        form, lambda: services.policy_draft_start(management_system=ms, user=request.user)
    )
    if draft is None:
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect("gateway:policy_list", ms_id=ms.pk)
    messages.success(request, f"{draft.label} was started as a draft, copied from the version in force.")
    return redirect("gateway:policy_edit", ms_id=ms.pk, pk=draft.pk)


def detail_context(
    request: HttpRequest, version: PolicyVersion, *, form: Any = None, conflict: str | None = None, **extra: Any
) -> dict[str, Any]:
    """What the version page shows: settings, rules in words, changes from the version in force, approval."""
    ms = version.management_system
    panel = signoff_panel(
        request, APPROVAL, version, action_url=reverse("gateway:policy_approve", args=[ms.pk, version.pk]),
        form=form, conflict=conflict,
    )  # fmt: skip
    panel = VersionPanel(**vars(panel))
    if panel.status.latest is not None:
        panel.signed_version = version.number  # a version is approved once, as it stands
    if version.status in (Status.APPROVED, Status.SUPERSEDED, Status.WITHDRAWN):
        panel.blockers = []  # nothing left to sign: the box shows the approval, if any
    can_edit = access.can(request.user, Action.EDIT, version)
    in_force = None
    if version.is_open:
        in_force = (
            selectors.version_queryset(user=request.user).filter(management_system=ms, status=Status.APPROVED).first()
        )
    rules = list(version.rules.all())
    for rule in rules:
        rule.conditions, rule.decides = selectors.rule_conditions(rule), selectors.rule_outcome(rule)
    is_draft = version.status == Status.DRAFT
    refusal = ""
    if version.status == Status.IN_REVIEW and not panel.may_sign and access.can(request.user, Action.SIGN_OFF, ms):
        refusal = approval_refusal(version)
    return {
        "ms": ms,
        "version": version,
        "rules": rules,
        "entity_rows": selectors.entity_actions_rows(version),
        "in_force": in_force,
        "changes": selectors.changes_from(in_force, version) if version.is_open else [],
        "signoff": panel,
        "approval_refusal": refusal,
        "can_edit": can_edit and is_draft,
        "can_submit": can_edit and is_draft,
        "can_return": can_edit and version.status == Status.IN_REVIEW,
        "can_withdraw": can_edit and version.is_open,
        "step_form": extra.pop("step_form", None) or StepForm(initial={"version": version.version}),
        "return_form": extra.pop("return_form", None)
        or ReasonForm(initial={"version": version.version}, help_text=RETURN_HELP),
        "withdraw_form": extra.pop("withdraw_form", None)
        or ReasonForm(initial={"version": version.version}, help_text=WITHDRAW_HELP),
        "tab": "details",
        **extra,
    }


@login_required
@require_GET
def policy_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return render(request, DETAIL, detail_context(request, open_version(request, ms_id, pk)))


@login_required
@require_GET
def policy_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    version = open_version(request, ms_id, pk, Action.VIEW_HISTORY)
    return history_page(request, DETAIL, version, selectors.history_of(version), detail_context)


def _only_drafts(request: HttpRequest, version: PolicyVersion) -> HttpResponse | None:
    """Back to the version with the reason when it is not a draft (an approved version never changes)."""
    if version.status == Status.DRAFT:
        return None
    try:
        services.refuse_unless_draft(version)
    except Exception as exc:  # a ValidationError with the reason in words
        messages.info(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return _detail(version)


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Edit a draft's settings."""
    version = open_version(request, ms_id, pk, Action.EDIT)
    refused = _only_drafts(request, version)
    if refused is not None:
        return refused
    ms = version.management_system
    form = PolicySettingsForm(
        request.POST or None, instance=copy.copy(version), initial={"version": version.version}, management_system=ms
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        saved, conflict = save_or_conflict(
            form,
            lambda: services.policy_update(
                version, user=request.user, expected_version=form.cleaned_data["version"], reason=form.reason(),
                **form.register_fields(),
            ),
        )  # fmt: skip
        if saved is not None:
            messages.success(request, f"The settings of {saved.label} were saved.")
            return _detail(saved)
    context = {"ms": ms, "version": version, "form": form, "conflict": conflict}
    return render(request, "gateway/policy_form.html", context, status=form_status(conflict, bool(form.errors)))


def _rule_page(
    request: HttpRequest, version: PolicyVersion, form: RuleForm, rule: PolicyRule | None, conflict: str | None
) -> HttpResponse:
    context = {"ms": version.management_system, "version": version, "rule": rule, "form": form, "conflict": conflict}
    return render(request, "gateway/policy_rule_form.html", context, status=form_status(conflict, bool(form.errors)))


@login_required
@require_http_methods(["GET", "POST"])
def rule_add(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    version = open_version(request, ms_id, pk, Action.EDIT)
    refused = _only_drafts(request, version)
    if refused is not None:
        return refused
    form = RuleForm(request.POST or None, management_system=version.management_system)
    if request.method == "POST" and form.is_valid():
        saved, _conflict = save_or_conflict(
            form,
            lambda: services.rule_add(version, user=request.user, reason=form.reason(), **form.register_fields()),
        )
        if saved is not None:
            messages.success(request, f"Rule {saved.reference} was added to {version.label}.")
            return _detail(version)
    return _rule_page(request, version, form, None, None)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    rule = open_rule(request, ms_id, pk)
    version = rule.policy
    refused = _only_drafts(request, version)
    if refused is not None:
        return refused
    form = RuleForm(
        request.POST or None, instance=copy.copy(rule), initial={"version": rule.version},
        management_system=version.management_system,
    )  # fmt: skip
    conflict = None
    if request.method == "POST" and form.is_valid():
        saved, conflict = save_or_conflict(
            form,
            lambda: services.rule_update(
                rule, user=request.user, expected_version=form.cleaned_data["version"], reason=form.reason(),
                **form.register_fields(),
            ),
        )  # fmt: skip
        if saved is not None:
            messages.success(request, f"Rule {saved.reference} was saved.")
            return _detail(version)
    return _rule_page(request, version, form, rule, conflict)


def _rule_step(
    request: HttpRequest, rule: PolicyRule, form: Any, call: Callable[[dict], Any], done: str
) -> HttpResponse:
    """A POST on one rule (remove, move): done, back to the version; refused, the reason on the version page."""
    version = rule.policy
    refused = _only_drafts(request, version)
    if refused is not None:
        return refused
    conflict = None
    if form.is_valid():
        saved, conflict = save_or_conflict(form, lambda: call(form.cleaned_data) or True)
        if saved is not None:
            messages.success(request, done)
            return _detail(version)
    version = open_version(request, version.management_system_id, version.pk)
    context = detail_context(request, version, step_conflict=conflict, rule_form=form)
    return render(request, DETAIL, context, status=form_status(conflict, True))


@login_required
@require_POST
def rule_remove(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    rule = open_rule(request, ms_id, pk)
    return _rule_step(
        request, rule, StepForm(request.POST),
        lambda data: services.rule_remove(
            rule, user=request.user, expected_version=data["version"], reason=f"Removed from {rule.policy.label}"
        ),
        f"Rule {rule.reference} was removed.",
    )  # fmt: skip


@login_required
@require_POST
def rule_move(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    rule = open_rule(request, ms_id, pk)
    return _rule_step(
        request, rule, MoveForm(request.POST),
        lambda data: services.rule_move(rule, user=request.user, expected_version=data["version"], to=data["to"]),
        f"Rule {rule.reference} was moved.",
    )  # fmt: skip


def _step(
    request: HttpRequest, version: PolicyVersion, form: Any, call: Callable[[dict], Any], done: str
) -> HttpResponse:
    """A workflow step: done, back to the version; refused, the version page with the reason."""
    conflict = None
    if form.is_valid():
        saved, conflict = save_or_conflict(form, lambda: call(form.cleaned_data))
        if saved is not None:
            messages.success(request, done)
            return _detail(saved)
    name = {"return": "return_form", "withdraw": "withdraw_form"}.get(request.POST.get("step", ""), "step_form")
    context = detail_context(request, version, step_conflict=conflict, **{name: form})
    return render(request, DETAIL, context, status=form_status(conflict, True))


@login_required
@require_POST
def policy_submit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    version = open_version(request, ms_id, pk, Action.EDIT)
    return _step(
        request, version, StepForm(request.POST),
        lambda data: services.policy_submit(version, user=request.user, expected_version=data["version"]),
        f"{version.label} was submitted for approval.",
    )  # fmt: skip


@login_required
@require_POST
def policy_return(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    version = open_version(request, ms_id, pk, Action.EDIT)
    return _step(
        request, version, ReasonForm(request.POST, help_text=RETURN_HELP),
        lambda data: services.policy_return(
            version, user=request.user, expected_version=data["version"], reason=data["reason"]
        ),
        f"{version.label} is a draft again.",
    )  # fmt: skip


@login_required
@require_POST
def policy_withdraw(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    version = open_version(request, ms_id, pk, Action.EDIT)
    return _step(
        request, version, ReasonForm(request.POST, help_text=WITHDRAW_HELP),
        lambda data: services.policy_withdraw(
            version, user=request.user, expected_version=data["version"], reason=data["reason"]
        ),
        f"{version.label} was withdrawn.",
    )  # fmt: skip


@login_required
@require_POST
def policy_approve(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """The approval sign-off: signed, the version is in force and the one before superseded, in one transaction."""
    version = open_version(request, ms_id, pk)
    if not ledger.may_sign(APPROVAL, request.user, version):
        return render(request, DETAIL, detail_context(request, version), status=403)
    return sign_off_page(
        request,
        APPROVAL,
        version,
        done_url=reverse("gateway:policy_detail", args=[version.management_system_id, version.pk]),
        template=DETAIL,
        context=lambda form, conflict: detail_context(
            request, open_version(request, ms_id, pk), form=form, conflict=conflict
        ),
        sign=lambda subject, **signing: services.policy_approve(subject, **signing),
    )
