"""HTML pages of the Statement of Applicability: the SoA, row editing and history, approval, exports."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from aims import access, ledger
from aims.access import Action
from aims.history import paged_history, versions_of
from aims.limits import parse_id
from aims.links import url_maker
from aims.models import ManagementSystem, SignOff
from aims.pages import open_management_system, open_record, save_or_conflict, sign_off_from_post, signoff_panel
from controls import exports, selectors, services
from controls.forms import ApplicabilityForm, SoAFilterForm
from controls.justification import attach_justifications
from controls.models import Applicability
from controls.signoffs import SOA
from registers.models import AISystem


def _row(request: HttpRequest, ms_id: int, pk: int, action: Action) -> Applicability:
    return open_record(request, selectors.soa_queryset(), ms_id, pk, action)


def _soa_url(ms: ManagementSystem, query: str = "", anchor: str = "") -> str:
    url = reverse("controls:soa", args=[ms.pk])
    return url + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")


def _read_soa(request: HttpRequest, ms: ManagementSystem, query: QueryDict, *, compact: bool = False):
    """Rows to show (live or as of), all rows for the progress summary, and the filter form.

    ``compact``: each row names only its first few linked AI systems (``linked_count`` says how
    many), as the page shows them; the exports read every link.
    """
    owners = selectors.soa_owner_choices(ms)
    filter_form = SoAFilterForm(query, owners=owners)
    as_of = filter_form.cleaned_data.get("as_of") if filter_form.is_valid() else None
    limit = selectors.SOA_SYSTEMS_SHOWN if compact else None
    if as_of:
        all_rows = selectors.soa_rows_as_of(management_system=ms, when=as_of, systems_limit=limit)
    elif compact:
        all_rows = selectors.soa_rows_compact(management_system=ms)
    else:
        all_rows = selectors.soa_rows(management_system=ms)
    shown = selectors.soa_filter(all_rows, filter_form.filters())
    return filter_form, owners, as_of, all_rows, shown


@login_required
@require_GET
def soa(request: HttpRequest, ms_id: int) -> HttpResponse:
    """The SoA: every row read-only, each list of links in brief (the first few and a count); a row is edited on its own page.

    The queries and the size do not grow with the AI systems, risks, evidence or citations the rows link.
    """
    ms = open_management_system(request, ms_id)
    query = request.GET
    filter_form, _owners, as_of, all_rows, shown = _read_soa(request, ms, query, compact=True)
    editable = None if as_of else access.editable_ids(request.user, Applicability, ms)
    can_edit_any = not as_of and (editable is None or bool(editable))
    for row in shown:
        row.can_edit = can_edit_any and (editable is None or row.pk in editable)
    attach_justifications(shown, ms, as_of=as_of, editable=not as_of and access.can(request.user, Action.CREATE, ms))
    if not as_of:  # evidence and risk links are not kept in the SoA's history: the as-of view shows neither
        selectors.soa_linked_evidence(shown)  # risks: the row template asks assessments (its soa_risks tag)
    groups = selectors.soa_by_area(all_rows, shown)
    filters = urlencode({k: v for k, v in query.items() if k in ("show", "owner") and v})
    _attach_urls(ms, shown, edit_query=urlencode({"filters": filters}) if filters else "")
    context = {
        "ms": ms,
        "filter_form": filter_form,
        "groups": groups,
        "totals": selectors.soa_totals(groups),
        "shown_count": len(shown),
        "as_of": as_of,
        "filtered": bool(query.get("show") or query.get("owner")),
        "edit_query": urlencode({"filters": filters}) if filters else "",
        "export_query": urlencode({"as_of": query.get("as_of", "")}) if as_of else "",
        "status": ledger.sign_off_status(SOA, ms),
        "can_approve": access.can(request.user, Action.SIGN_OFF, ms),
        "can_edit_any": can_edit_any,
    }
    return render(request, "controls/soa_list.html", context)


def _attach_urls(ms: ManagementSystem, rows: list[Applicability], *, edit_query: str) -> None:
    """Give each SoA row and each record it names its URL: ``edit_url``, ``history_url``, ``url``."""
    edit, history = url_maker("controls:soa_row_edit", ms.pk), url_maker("controls:soa_row_history", ms.pk)
    system, evidence = url_maker("registers:ai_system_detail", ms.pk), url_maker("evidence:detail", ms.pk)
    for row in rows:
        row.edit_url = edit(row.pk) + (f"?{edit_query}" if edit_query else "")
        row.history_url = history(row.pk)
        for item in getattr(row, "linked_systems", []):
            item.url = system(item.pk)
        for item in row.evidence.items if hasattr(row, "evidence") else []:
            item.url = evidence(item.pk)


def _filters_of(data: QueryDict) -> str:
    """The SoA page's filters a row editor returns to (show and owner only, re-encoded)."""
    query = QueryDict(str(data.get("filters", ""))[:500])
    return urlencode({k: v for k, v in query.items() if k in ("show", "owner") and v})


def _editor_form(request: HttpRequest, row: Applicability, picker: selectors.SystemPicker | None) -> ApplicabilityForm:
    ms = row.management_system
    owners = selectors.soa_owner_choices(ms)
    if request.method == "POST":
        ids = ApplicabilityForm.posted_system_ids(request.POST, row)
        systems = AISystem.objects.filter(management_system=ms, pk__in=ids).order_by("reference", "pk") if ids else []
        system_objects = {system.pk: system for system in systems}
        return ApplicabilityForm(
            request.POST,
            row=row,
            owners=owners,
            systems=[(pk, str(system)) for pk, system in system_objects.items()],
            owner_objects=get_user_model().objects.in_bulk([pk for pk, _ in owners]),
            system_objects=system_objects,
        )
    assert picker is not None
    listed = picker.listed
    initial = ApplicabilityForm.initial_for(row) | {
        "ai_systems": [s.pk for s in listed if s.is_linked],
        "shown_systems": [s.pk for s in listed],
    }
    return ApplicabilityForm(row=row, owners=owners, systems=[(s.pk, str(s)) for s in listed], initial=initial)


def _picked(form: ApplicabilityForm, picker: selectors.SystemPicker | None) -> dict[str, object]:
    """The AI systems the editor lists, each with ``ticked``: from the search on a GET, from the POST when redisplayed."""
    if not form.is_bound:
        assert picker is not None
        for system in picker.listed:
            system.ticked = system.is_linked
        return {"linked": picker.linked, "found": picker.found, "picker": picker}
    ticked = {str(v) for v in form["ai_systems"].value() or []}
    systems = list(form.system_objects.values())
    for system in systems:
        system.ticked = str(system.pk) in ticked
    return {
        "linked": [s for s in systems if s.ticked],
        "found": [s for s in systems if not s.ticked],
        "picker": None,
    }


@login_required
@require_http_methods(["GET", "POST"])
def soa_row_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """The editor of one SoA row: its fields and its linked AI systems, picked through a search (GET ?q=)."""
    row = _row(request, ms_id, pk, Action.EDIT)
    ms = row.management_system
    filters = _filters_of(request.POST if request.method == "POST" else request.GET)
    picker = None if request.method == "POST" else selectors.soa_system_picker(row, request.GET.get("q", ""))
    form = _editor_form(request, row, picker)
    conflict = None
    if request.method == "POST" and form.is_valid():
        linked_now = list(row.ai_systems.values_list("pk", flat=True))
        saved, conflict = save_or_conflict(
            form,
            lambda: services.applicability_update(
                row,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                reason=form.reason(),
                **form.service_fields(linked_now),
            ),
        )
        if saved is not None:
            messages.success(request, f"{row.control.key} saved.")
            return redirect(_soa_url(ms, filters, f"row-{row.pk}"))
    context = {
        "ms": ms,
        "row": row,
        "form": form,
        "conflict": conflict,
        "filters": filters,
        "back_url": _soa_url(ms, filters, f"row-{row.pk}"),
        "search_url": reverse("controls:soa_row_systems", args=[ms.pk, row.pk]),
        **_picked(form, picker),
    }
    status = 409 if conflict else 200
    return render(request, "controls/soa_row_edit.html", context, status=status)


@login_required
@require_GET
def soa_row_systems(request: HttpRequest, ms_id: int, pk: int) -> JsonResponse:
    """The row editor's search as JSON: AI systems of the management system matching ``q``, each with ``linked``."""
    row = _row(request, ms_id, pk, Action.EDIT)
    picker = selectors.soa_system_picker(row, request.GET.get("q", ""))
    return JsonResponse(
        {
            "query": picker.query,
            "results": [
                {"id": s.pk, "reference": s.reference, "name": s.name, "linked": bool(s.is_linked)}
                for s in picker.found
            ],
            "more": picker.found_more,
        }
    )


@login_required
@require_GET
def soa_row_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    # The row's management system joined (access and the page read it); its linked AI systems are not shown here.
    rows = selectors.soa_queryset().select_related("management_system").prefetch_related(None)
    row = open_record(request, rows, ms_id, pk, Action.VIEW_HISTORY)
    versions = paged_history(request, selectors.soa_row_history(row), Applicability)
    attach_justifications(
        [row], row.management_system, editable=access.can(request.user, Action.CREATE, row.management_system)
    )
    return render(
        request, "controls/applicability_history.html", {"ms": row.management_system, "row": row, "versions": versions}
    )


@login_required
@require_GET
def soa_changes(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    signoffs = SignOff.objects.filter(management_system=ms, kind=SOA).select_related("signer")
    since = parse_id(request.GET.get("since"))
    signoff = signoffs.filter(pk=since).first() if since else None
    signoff = signoff or signoffs.order_by("-sequence").first()
    if signoff is None:
        raise Http404("The Statement of Applicability has not been approved yet.")
    changed = ledger.changes_since(signoff, ms)
    rows = selectors.soa_queryset().in_bulk([c.object_id for c in changed])
    changed = [record for record in changed if record.object_id in rows]
    history = selectors.soa_rows_history({record.object_id: record.signed_history_id for record in changed})
    by_row: dict[int, list] = {}
    for version in versions_of(history, Applicability):  # each diffed against its own row's version before
        by_row.setdefault(version.record.id, []).append(version)
    changes = []
    for record in changed:
        versions = by_row.get(record.object_id, [])
        # The oldest version listed is the signed one: show what happened after it.
        changes.append((rows[record.object_id], versions[:-1] if record.signed_history_id else versions))
    context = {"ms": ms, "signoff": signoff, "changes": changes}
    return render(request, "controls/soa_changes.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def soa_approve(request: HttpRequest, ms_id: int) -> HttpResponse:
    """Top management signs the SoA exactly as shown (the version token on the page); 409 if it changed."""
    ms = open_management_system(request, ms_id, Action.SIGN_OFF)
    form = conflict = None
    if request.method == "POST":
        response, form, conflict = sign_off_from_post(request, SOA, ms, done_url=_soa_url(ms))
        if response is not None:
            return response
    all_rows = selectors.soa_rows_compact(management_system=ms, limit=0)
    context = {
        "ms": ms,
        "totals": selectors.soa_totals(selectors.soa_by_area(all_rows, [])),
        "status": ledger.sign_off_status(SOA, ms),
        "signoff": signoff_panel(
            request, SOA, ms, action_url=reverse("controls:soa_approve", args=[ms.pk]), form=form, conflict=conflict
        ),
    }
    status = 409 if conflict else (400 if form is not None else 200)
    return render(request, "controls/soa_approve.html", context, status=status)


@login_required
@require_GET
def soa_export(request: HttpRequest, ms_id: int, fmt: str) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    filter_form, _owners, as_of, all_rows, _shown = _read_soa(request, ms, request.GET)
    if request.GET.get("as_of") and not as_of:
        raise Http404("Not a valid as-of date.")
    moment: datetime = as_of or timezone.now()
    stamp = timezone.localtime(moment).strftime("%Y-%m-%d")
    title = f"Statement of Applicability · {ms.organisation} · {ms.name} · " + (
        f"as of {timezone.localtime(moment):%Y-%m-%d %H:%M}"
        if as_of
        else f"exported {timezone.localtime(moment):%Y-%m-%d %H:%M}"
    )
    table = exports.soa_table(all_rows)
    filename = f"soa-{ms.pk}-{'as-of-' if as_of else ''}{stamp}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(exports.to_csv(table, title=title), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.to_xlsx(table, title=title, generated_at=timezone.now()),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
