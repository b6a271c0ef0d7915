"""HTML pages of AI incidents and concerns: register, record with timeline and History, triage, status,
reporting obligations, leadership's reporting decision, withdrawal, and the concern form (A.3.3)."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aims import access, mfa
from aims.access import Action
from aims.forms import RetireForm, add_service_errors
from aims.history import paged_rows
from aims.pages import open_management_system, open_record, save_or_conflict, signoff_panel
from aims.services import StaleVersionError
from improvement.incidents import selectors, services, signoffs
from improvement.incidents.filters import IncidentFilterSet
from improvement.incidents.forms import (
    ConcernForm,
    DecisionForm,
    IncidentForm,
    ObligationForm,
    TimelineEntryForm,
    TransitionForm,
    TriageForm,
)
from improvement.models import Incident
from improvement.pages import form_status, history_page, list_page


def _incident(request: HttpRequest, ms_id: int, pk: int, action: Action = Action.VIEW) -> Incident:
    return open_record(request, selectors.incident_queryset(user=request.user), ms_id, pk, action)


def _detail(incident: Incident) -> HttpResponse:
    return redirect("improvement:incident_detail", ms_id=incident.management_system_id, pk=incident.pk)


@login_required
@require_GET
def incident_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    incidents = selectors.incident_list(user=request.user, management_system=ms)
    filterset = IncidentFilterSet(request.GET, incidents, request=request, management_system=ms)
    return list_page(
        request,
        "improvement/incidents/incident_list.html",
        filterset,
        can_create=access.can(request.user, Action.CREATE, ms),
        can_raise_concern=selectors.may_raise_concern(request.user, ms),
    )


# --- one incident ----------------------------------------------------------------------------------


def _decision_form(request: HttpRequest, incident: Incident, data: Any = None) -> DecisionForm:
    return DecisionForm(
        data,
        initial={"signed_version": str(incident.version), "statement": signoffs.signable_statement()},
        step_up_label=mfa.step_up_label(request.user),
        override=signoffs.signs_own_facts(request.user, incident),
        ask_job_title=signoffs.needs_job_title(request.user, incident),
    )


def _context(request: HttpRequest, incident: Incident, *, tab: str = "details", **extra: Any) -> dict[str, Any]:
    can_edit = access.can(request.user, Action.EDIT, incident)
    is_open = incident.is_open
    decision_url = reverse("improvement:incident_decide", args=[incident.management_system_id, incident.pk])
    decision = extra.pop("decision_form", None)
    show_decision = incident.possibly_serious or bool(incident.report_decision)
    panel = None
    if show_decision:
        may_sign = signoffs.may_decide(request.user, incident)
        form = decision or (_decision_form(request, incident) if may_sign else None)
        panel = signoff_panel(
            request, signoffs.KIND, incident, action_url=decision_url, form=form, conflict=extra.pop("conflict", None)
        )
    transitions = services.allowed_transitions(incident) if can_edit else ()
    return {
        "ms": incident.management_system,
        "incident": incident,
        "tab": tab,
        "timeline": selectors.timeline_of(incident),
        "obligations": list(incident.obligations.all()),
        "nonconformities": list(incident.nonconformities.all()),
        "can_edit": can_edit and is_open,
        "can_triage": can_edit and is_open,
        "can_withdraw": access.can(request.user, Action.DELETE, incident) and not incident.is_retired,
        "can_append": can_edit and not incident.is_retired,
        "timeline_form": extra.pop("timeline_form", None) or TimelineEntryForm(),
        "transitions": [
            (to, Incident.Status(to).label, TransitionForm(initial={"version": incident.version, "to": to}))
            for to in transitions
        ],
        "transition_errors": extra.pop("transition_errors", []),
        "close_blockers": services.close_blockers(incident) if "closed" in transitions else [],
        "decision_panel": panel,
        "statuses": Incident.Status.choices,
        **extra,
    }


@login_required
@require_GET
def incident_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    incident = _incident(request, ms_id, pk)
    return render(request, "improvement/incidents/incident_detail.html", _context(request, incident))


@login_required
@require_GET
def incident_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    incident = _incident(request, ms_id, pk, Action.VIEW_HISTORY)
    return history_page(
        request,
        "improvement/incidents/incident_detail.html",
        incident,
        selectors.history_of(incident),
        _context,
        obligation_history=paged_rows(request, selectors.obligation_history(incident), param="obligation_history_page"),
    )


@login_required
@require_POST
def incident_timeline_add(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    incident = _incident(request, ms_id, pk, Action.EDIT)
    form = TimelineEntryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _entry, _conflict = save_or_conflict(
            form, lambda: services.timeline_append(incident, user=request.user, text=data["text"], at=data["at"])
        )
        if not form.errors:
            messages.success(request, "The entry was added to the timeline.")
            return _detail(incident)
    context = _context(request, incident, timeline_form=form)
    return render(request, "improvement/incidents/incident_detail.html", context, status=400)


@login_required
@require_POST
def incident_transition(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    incident = _incident(request, ms_id, pk, Action.EDIT)
    form = TransitionForm(request.POST)
    conflict = None
    if form.is_valid():
        data = form.cleaned_data
        done, conflict = save_or_conflict(
            form,
            lambda: services.incident_transition(
                incident, user=request.user, expected_version=data["version"], to=data["to"], reason=data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, f"{done.reference} is now {done.get_status_display().lower()}.")
            return _detail(done)
    errors = [conflict] if conflict else [f"{e}" for errors in form.errors.values() for e in errors]
    context = _context(request, incident, transition_errors=errors)
    return render(request, "improvement/incidents/incident_detail.html", context, status=409 if conflict else 400)


@login_required
@require_POST
def incident_decide(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Leadership's reporting decision, recorded and signed in one step (the sign-off panel's form)."""
    incident = _incident(request, ms_id, pk)
    signoffs.require_may_decide(request.user, incident)
    form = _decision_form(request, incident, request.POST)
    conflict = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            signoff = services.incident_decide_reporting(
                incident,
                user=request.user,
                expected_version=data["signed_version"],
                decision=data["decision"],
                reason=data["decision_reason"],
                statement=data["statement"],
                verification=lambda: mfa.verify_step_up(request.user, data["second_factor"]),
                override_reason=data.get("override_reason", ""),
                job_title=data.get("job_title", ""),
            )
        except StaleVersionError as exc:
            conflict = str(exc)
            form = _decision_form(request, type(incident).objects.get(pk=incident.pk))
        except ValidationError as exc:
            add_service_errors(form, _decision_errors(exc))
        else:
            messages.success(request, f"Reporting decision signed (sign-off #{signoff.sequence}).")
            return _detail(incident)
    incident = _incident(request, ms_id, pk)
    context = _context(request, incident, decision_form=form, conflict=conflict)
    return render(request, "improvement/incidents/incident_detail.html", context, status=409 if conflict else 400)


def _decision_errors(exc: ValidationError) -> ValidationError:
    """The service's field names as the decision form's ("reason" is the decision's reason there)."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed = {"decision_reason" if name == "reason" else name: errors for name, errors in exc.error_dict.items()}
    return ValidationError(renamed)


# --- create, edit, withdraw -----------------------------------------------------------------------


def _form_page(request: HttpRequest, ms: Any, incident: Incident | None) -> HttpResponse:
    instance = copy.copy(incident) if incident else None
    initial = (
        {"version": incident.version} if incident else {"detected_at": timezone.now().replace(second=0, microsecond=0)}
    )
    form = IncidentForm(request.POST or None, instance=instance, initial=initial, management_system=ms)
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        if incident is None:
            save = lambda: services.incident_create(  # noqa: E731
                management_system=ms, user=request.user, reason=form.reason(), **fields
            )
        else:
            save = lambda: services.incident_update(  # noqa: E731
                incident, user=request.user, expected_version=form.cleaned_data["version"], reason=form.reason(),
                **fields,
            )  # fmt: skip
        saved, conflict = save_or_conflict(form, save)
        if saved is not None:
            messages.success(request, f"{saved.reference} was saved.")
            return _detail(saved)
    context = {"ms": ms, "form": form, "incident": incident, "conflict": conflict}
    status = form_status(conflict, bool(form.is_bound and form.errors))
    return render(request, "improvement/incidents/incident_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    return _form_page(request, open_management_system(request, ms_id, Action.CREATE), None)


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    incident = _incident(request, ms_id, pk, Action.EDIT)
    if not incident.is_open:
        messages.info(request, f"{incident.reference} is {_finished(incident)}: it can no longer be edited.")
        return _detail(incident)
    return _form_page(request, incident.management_system, incident)


def _finished(incident: Incident) -> str:
    return "withdrawn" if incident.is_retired else "closed"


@login_required
@require_http_methods(["GET", "POST"])
def incident_withdraw(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Withdraw an incident with a reason (incidents are never deleted)."""
    incident = _incident(request, ms_id, pk, Action.DELETE)
    cancel = reverse("improvement:incident_detail", args=[incident.management_system_id, incident.pk])
    form = None if incident.is_retired else RetireForm(request.POST or None, initial={"version": incident.version})
    conflict = None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        done, conflict = save_or_conflict(
            form,
            lambda: services.incident_withdraw(
                incident, user=request.user, expected_version=data["version"], reason=data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, f"{incident.reference} was withdrawn. It stays readable.")
            return redirect(cancel)
    context = {"ms": incident.management_system, "obj": incident, "references": [], "delete_form": None,
               "retire_form": form, "conflict": conflict, "cancel_url": cancel}  # fmt: skip
    status = form_status(conflict, bool(form is not None and form.is_bound and form.errors))
    return render(request, "aims/confirm_remove.html", context, status=status)


# --- triage and obligations -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def incident_triage(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    incident = _incident(request, ms_id, pk, Action.EDIT)
    ms = incident.management_system
    if not incident.is_open:
        messages.info(request, f"{incident.reference} is {_finished(incident)}: it can no longer be triaged.")
        return _detail(incident)
    initial = {"version": incident.version, "outcome": incident.outcome or None, "reason": incident.outcome_reason,
               "risk": incident.outcome_risk_id, "impact_assessment": incident.outcome_impact_assessment_id}  # fmt: skip
    form = TriageForm(request.POST or None, initial=initial, management_system=ms)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["outcome"] in (Incident.Outcome.NONCONFORMITY,) and not access.can(request.user, Action.CREATE, ms):
            raise PermissionDenied("Raising a nonconformity needs a compliance officer or an owner.")
        done, conflict = save_or_conflict(
            form,
            lambda: services.incident_triage(
                incident, user=request.user, expected_version=data["version"], outcome=data["outcome"],
                reason=data["reason"], risk=data["risk"], impact_assessment=data["impact_assessment"],
                requirements=data["requirements"], nc_title=data["nc_title"], nc_grade=data["nc_grade"],
            ),
        )  # fmt: skip
        if done is not None:
            messages.success(request, f"{done.reference} was triaged: {done.get_outcome_display().lower()}.")
            return _detail(done)
    context = {"ms": ms, "incident": incident, "form": form, "conflict": conflict,
               "can_raise_nc": access.can(request.user, Action.CREATE, ms)}  # fmt: skip
    status = form_status(conflict, bool(form.is_bound and form.errors))
    return render(request, "improvement/incidents/incident_triage.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def incident_obligation(request: HttpRequest, ms_id: int, pk: int, obligation_id: int) -> HttpResponse:
    incident = _incident(request, ms_id, pk, Action.EDIT)
    obligation = next((o for o in incident.obligations.all() if o.pk == obligation_id), None)
    if obligation is None:
        raise Http404("No such reporting obligation.")
    if not incident.is_open:
        messages.info(request, f"{incident.reference} is {_finished(incident)}: its obligations are settled.")
        return _detail(incident)
    initial = {"version": obligation.version, "submitted_on": obligation.submitted_on,
               "submission_reference": obligation.submission_reference, "waived_reason": obligation.waived_reason}  # fmt: skip
    form = ObligationForm(request.POST or None, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done, conflict = save_or_conflict(
            form,
            lambda: services.obligation_settle(
                obligation, user=request.user, expected_version=data["version"], submitted_on=data["submitted_on"],
                submission_reference=data["submission_reference"], waived_reason=data["waived_reason"],
            ),
        )  # fmt: skip
        if done is not None:
            messages.success(request, f"{done.regime_title}: recorded.")
            return _detail(incident)
    context = {"ms": incident.management_system, "incident": incident, "obligation": obligation, "form": form,
               "conflict": conflict}  # fmt: skip
    status = form_status(conflict, bool(form.is_bound and form.errors))
    return render(request, "improvement/incidents/obligation_form.html", context, status=status)


# --- concerns (A.3.3) -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def concern_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    """The concern form: any member but an auditor (see ``selectors.may_raise_concern``)."""
    ms = open_management_system(request, ms_id)
    if not selectors.may_raise_concern(request.user, ms):
        raise PermissionDenied("Auditors do not raise concerns here: record what you observed as an audit finding.")
    form = ConcernForm(request.POST or None, management_system=ms)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        incident, _conflict = save_or_conflict(
            form,
            lambda: services.concern_raise(management_system=ms, user=request.user, **data),
        )
        if incident is not None:
            return _concern_received(request, ms, incident)
    context = {"ms": ms, "form": form}
    return render(request, "improvement/incidents/concern_form.html", context, status=400 if form.errors else 200)


def _concern_received(request: HttpRequest, ms: Any, incident: Incident) -> HttpResponse:
    messages.success(request, f"Thank you: your concern was recorded as {incident.reference}.")
    if access.is_visible(request.user, incident):
        return _detail(incident)
    return redirect("aims:ms_home", ms_id=ms.pk)
