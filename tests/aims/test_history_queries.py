"""Histories read one page of versions (50, newest first) in a number of queries that does not grow with versions.

Every history page (URL names ending ``_history``) and every ``…/history/`` endpoint is counted with 3
versions and with 60 (added through the services); a page and its API page 2 hold the older versions,
and the oldest version of page 1 is diffed against the newest of page 2.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from aims import demo, services
from aims.api_common import HistoryMixin
from aims.api_urls import router
from aims.history import HISTORY_PAGE_SIZE
from aims.models import ManagementSystem, Membership
from tests.factories import make_ai_system
from tests.kit import assert_constant_queries, count_queries, log_in

MANY = 60

# The page of each history URL name: its model and the URL's arguments beside ms_id.
PAGES: dict[str, tuple[str, dict[str, Any]]] = {
    "registers:ai_system_history": ("registers.AISystem", {}),
    "registers:record_history": ("registers.ModelRecord", {"kind": "model-records"}),
    "controls:soa_row_history": ("controls.Applicability", {}),
    "assessments:risk_history": ("assessments.Risk", {}),
    "assessments:impact_history": ("assessments.ImpactAssessment", {}),
    "gateway:policy_history": ("gateway.PolicyVersion", {}),
    "governance:context_issue_history": ("governance.ContextIssue", {}),
    "governance:interested_party_history": ("governance.InterestedParty", {}),
    "governance:requirement_history": ("governance.Requirement", {}),
    "governance:document_history": ("governance.Document", {}),
    "governance:version_history": ("governance.DocumentVersion", {}),
    "governance:objective_history": ("governance.Objective", {}),
    "governance:metric_history": ("governance.Metric", {}),
    "governance:scope_history": ("governance.Scope", {"pk": None}),
    "improvement:programme_history": ("improvement.AuditProgramme", {}),
    "improvement:audit_history": ("improvement.InternalAudit", {}),
    "improvement:finding_history": ("improvement.Finding", {}),
    "improvement:incident_history": ("improvement.Incident", {}),
    "improvement:nc_history": ("improvement.Nonconformity", {}),
    "improvement:ca_history": ("improvement.CorrectiveAction", {}),
    "reviews:review_history": ("reviews.ManagementReview", {}),
}
# Pages that show a record's versions without a history URL of their own.
OTHER_PAGES: dict[str, tuple[str, dict[str, Any]]] = {
    "assessments:criteria_detail": ("assessments.RiskCriteria", {}),
    "assessments:impact_criteria_detail": ("assessments.ImpactCriteria", {}),
}


def _history_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif (
                isinstance(pattern, URLPattern) and (pattern.name or "").endswith("_history") and namespace != "admin:"
            ):
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return names


# Where the first free-text field has a format of its own, the field a version changes.
TEXT_FIELDS = {"ModelRoute": "upstream_model", "Connector": "description"}


def _text_field(model: type[models.Model]) -> str:
    """A free-text field of the model a version can change."""
    if model.__name__ in TEXT_FIELDS:
        return TEXT_FIELDS[model.__name__]
    candidates = [
        f
        for f in model._meta.concrete_fields
        if type(f) in (models.TextField, models.CharField)
        and f.editable
        and not f.choices
        and not f.unique
        and f.name not in ("reference", "identifier", "sha256", "content_hash")
    ]
    candidates.sort(key=lambda f: (not isinstance(f, models.TextField), f.name))
    assert candidates, f"{model.__name__} has no free-text field to change"
    return candidates[0].name


def add_versions(obj: Any, user: Any, count: int) -> Any:
    """``count`` more versions of ``obj``, written through the services."""
    for index in range(count):
        obj = type(obj).objects.get(pk=obj.pk)
        if isinstance(obj, ManagementSystem):
            services.management_system_update(obj, user=user, expected_version=obj.version, name=f"AIMS {index}")
        elif isinstance(obj, Membership):
            services.membership_set_job_title(obj, actor=user, job_title=f"Lead {index}")
        else:
            field = _text_field(type(obj))
            limit = type(obj)._meta.get_field(field).max_length or 10_000
            value = f"{getattr(obj, field) or 'Text'} {index}"[-limit:]
            services.register_update(
                obj, user=user, expected_version=obj.version, reason=f"Change {index}", **{field: value}
            )
    return obj


@pytest.fixture
def loaded(db):
    return demo.load()


def _record(label: str, ms: ManagementSystem) -> Any:
    from django.apps import apps

    model = apps.get_model(label)
    if model is ManagementSystem:
        return ms
    return model.objects.filter(management_system=ms).order_by("pk").first()


def test_every_history_page_and_endpoint_makes_as_many_queries_with_60_versions_as_with_3(loaded, client):
    ms, officer = loaded.acme, loaded.users["officer"]
    log_in(client, loaded.users["owner"])
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(loaded.users["owner"])
    from governance.people.registers import REGISTERS

    pages = {**PAGES, **OTHER_PAGES}
    for register in REGISTERS.values():
        pages[f"governance:{register.name}_history"] = (register.model._meta.label, {"register": None})
    assert _history_url_names() <= set(pages), f"history pages not counted: {_history_url_names() - set(pages)}"
    endpoints = {
        f"/api/v1/{prefix}/": viewset
        for prefix, viewset, _basename in router.registry
        if issubclass(viewset, HistoryMixin)
    }
    checked: list[str] = []
    failures: list[str] = []
    seen: set[str] = set()
    for name, (label, extra) in pages.items():
        record = _record(label, ms)
        if record is None:
            failures.append(f"{name}: the demo has no {label}")
            continue
        kwargs = {"ms_id": ms.pk, "pk": record.pk, **extra}
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        url = reverse(name, kwargs=kwargs)
        api_url = next(
            (
                f"{prefix}{record.pk}/history/"
                for prefix, viewset in endpoints.items()
                if _endpoint_model(viewset) is type(record)
            ),
            None,
        )
        fetches = {"page": lambda url=url: _ok(client.get(url))}
        if api_url:
            fetches["api"] = lambda api_url=api_url: _ok(api.get(api_url))
            seen.add(api_url.rsplit("/", 3)[0] + "/")
        try:
            # The demo's own versions change relations, whose names are read once per relation
            # field changed on the page: push them to page 2 first, so that page 1 shows the
            # same kind of change with few versions beyond a page and with many.
            add_versions(record, officer, HISTORY_PAGE_SIZE)
            assert_constant_queries(fetches, lambda record=record: add_versions(record, officer, MANY))
            checked.append(name)
        except Exception as error:  # every page is reported at once
            failures.append(f"{name}: {error!r}")
    for prefix, viewset in endpoints.items():
        if prefix in seen:
            continue
        model = _endpoint_model(viewset)
        record = _record(model._meta.label, ms)
        if model is Membership:
            record = Membership.objects.filter(management_system=ms).order_by("pk").first()
        if record is None or not hasattr(record, "version") and model not in (ManagementSystem, Membership):
            continue  # written by state changes only (invitations, gateway actions): counted below
        if model._meta.label == "evidence.Evidence":
            continue  # immutable (append-only on PostgreSQL): its history is its upload and at most a retirement
        url = f"{prefix}{record.pk}/history/"
        try:
            add_versions(record, officer, HISTORY_PAGE_SIZE)  # as above
            assert_constant_queries(
                lambda url=url: _ok(api.get(url)), lambda record=record: add_versions(record, officer, MANY)
            )
            checked.append(prefix)
        except Exception as error:  # every endpoint is reported at once
            failures.append(f"{prefix}: {error!r}")
    assert not failures, "\n".join(failures)
    assert len(checked) >= len(pages)


def _endpoint_model(viewset: Any) -> type[models.Model]:
    serializer = getattr(viewset, "serializer_class", None)
    if serializer is not None and hasattr(serializer, "Meta"):
        return serializer.Meta.model
    return ManagementSystem  # the one viewset choosing its serializer per action


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.status_code
    return response


# --- pagination and diffs across the page boundary ------------------------------------------


@pytest.fixture
def system_with_versions(world):
    system = make_ai_system(world.acme, user=world.officer, name="Triage", purpose="Purpose 0")
    for index in range(1, MANY + 1):
        system = services.register_update(
            type(system).objects.get(pk=system.pk),
            user=world.officer,
            expected_version=system.version,
            reason=f"Reason {index}",
            purpose=f"Purpose {index}",
            owner=world.contributor if index % 2 else world.officer,
        )
    return system


def _purpose(version: Any) -> tuple[Any, Any]:
    change = next(c for c in version.changes if c.field == "purpose")
    return change.old, change.new


def test_history_page_two_holds_the_older_versions_diffed_across_the_boundary(world, client, system_with_versions):
    system = system_with_versions
    log_in(client, world.officer)
    url = reverse("registers:ai_system_history", kwargs={"ms_id": world.acme.pk, "pk": system.pk})
    first = client.get(url)
    page = first.context["versions"]
    assert page.paginator.count == MANY + 1 and len(page) == HISTORY_PAGE_SIZE
    assert [v.record.version for v in page][:2] == [MANY + 1, MANY]
    oldest = list(page)[-1]
    assert oldest.record.version == MANY + 1 - HISTORY_PAGE_SIZE + 1
    assert _purpose(oldest) == (f"Purpose {MANY - HISTORY_PAGE_SIZE}", f"Purpose {MANY - HISTORY_PAGE_SIZE + 1}")
    owner = next(c for c in oldest.changes if c.field == "owner")
    assert {owner.old, owner.new} == {"officer", "contributor"} or {str(owner.old), str(owner.new)} >= {"officer"}
    assert 'href="?history_page=2"' in first.content.decode()

    second = client.get(url, {"history_page": 2})
    older = list(second.context["versions"])
    assert [v.record.version for v in older] == list(range(MANY + 1 - HISTORY_PAGE_SIZE, 0, -1))
    assert _purpose(older[0]) == (f"Purpose {MANY - HISTORY_PAGE_SIZE - 1}", f"Purpose {MANY - HISTORY_PAGE_SIZE}")
    assert older[-1].kind == "Created" and older[-1].changes == []
    assert 'href="?history_page=1"' in second.content.decode()
    # Out of range: the last page, as the lists; not a number: the first.
    assert client.get(url, {"history_page": 99}).context["versions"].number == 2
    assert client.get(url, {"history_page": "x"}).context["versions"].number == 1


def test_history_endpoint_pages_like_the_lists_and_diffs_across_pages(world, api_as, system_with_versions):
    system = system_with_versions
    api = api_as("officer")
    url = f"/api/v1/ai-systems/{system.pk}/history/"
    body = api.get(url).json()
    assert body["count"] == MANY + 1 and len(body["results"]) == HISTORY_PAGE_SIZE
    assert body["next"].endswith("page=2") and body["previous"] is None
    oldest = body["results"][-1]
    purpose = next(c for c in oldest["changes"] if c["field"] == "purpose")
    assert (purpose["old"], purpose["new"]) == (
        f"Purpose {MANY - HISTORY_PAGE_SIZE}",
        f"Purpose {MANY - HISTORY_PAGE_SIZE + 1}",
    )
    owner = next(c for c in oldest["changes"] if c["field"] == "owner")
    assert {owner["old"], owner["new"]} == {"officer", "contributor"}
    second = api.get(url, {"page": 2}).json()
    assert [v["version"] for v in second["results"]] == list(range(MANY + 1 - HISTORY_PAGE_SIZE, 0, -1))
    assert second["results"][-1]["type"] == "created" and second["results"][-1]["changes"] == []
    assert api.get(url, {"page": 3}).status_code == 404  # as the lists
    small = api.get(url, {"page_size": 5}).json()
    assert [v["version"] for v in small["results"]] == list(range(MANY + 1, MANY - 4, -1))


def test_a_fresh_ai_system_and_risk_make_as_many_queries_with_60_versions_as_with_3(world, client, api_as):
    from tests.factories import RiskFactory

    log_in(client, world.officer)
    api = api_as("officer")
    system = make_ai_system(world.acme, user=world.officer)
    risk = RiskFactory(management_system=world.acme, user=world.officer)
    for record, page in (
        (system, reverse("registers:ai_system_history", kwargs={"ms_id": world.acme.pk, "pk": system.pk})),
        (risk, reverse("assessments:risk_history", kwargs={"ms_id": world.acme.pk, "pk": risk.pk})),
    ):
        add_versions(record, world.officer, 2)  # 3 versions
        endpoint = f"/api/v1/{'ai-systems' if record is system else 'risks'}/{record.pk}/history/"
        fetches = {"page": lambda page=page: _ok(client.get(page)), "api": lambda e=endpoint: _ok(api.get(e))}
        assert_constant_queries(fetches, lambda record=record: add_versions(record, world.officer, MANY - 3))


def test_a_history_of_several_records_diffs_each_against_its_own_previous_version(world, client):
    """The AI system's role changes: a role's version is diffed against that role's, not another's."""
    system = make_ai_system(world.acme, user=world.officer)
    log_in(client, world.officer)
    url = reverse("registers:ai_system_history", kwargs={"ms_id": world.acme.pk, "pk": system.pk})
    roles = client.get(url).context["role_versions"]
    for version in roles:
        if version.kind == "Created":
            assert version.changes == []


def test_the_history_queries_are_pinned(world, client, api_as, system_with_versions):
    """The AI system's history: the same queries for 61 versions as a page of them needs, whatever the page."""
    system = system_with_versions
    log_in(client, world.officer)
    url = reverse("registers:ai_system_history", kwargs={"ms_id": world.acme.pk, "pk": system.pk})
    api = api_as("officer")
    api_url = f"/api/v1/ai-systems/{system.pk}/history/"
    client.get(url)
    api.get(api_url)
    counts = {
        "page 1": count_queries(lambda: client.get(url)),
        "page 2": count_queries(lambda: client.get(url, {"history_page": 2})),
        "api 1": count_queries(lambda: api.get(api_url)),
        "api 2": count_queries(lambda: api.get(api_url, {"page": 2})),
    }
    assert counts["page 1"] == counts["page 2"] and counts["api 1"] == counts["api 2"], counts
    assert counts["api 1"] <= 12, counts


# --- the changes to a record's child rows, listed beside its versions ------------------------
#
# Each builder makes a parent with one child row in Acme and returns the history page's URL, the
# page's context name and query parameter of the child table, and ``change(count)`` writing
# ``count`` more versions of the child row through the services.


def _risk_actions(world: Any) -> tuple[str, str, str, Any]:
    from assessments import services as risk_services
    from tests.factories import RiskFactory

    risk = RiskFactory(management_system=world.acme, user=world.officer)
    risk = risk_services.risk_update(
        risk,
        user=world.officer,
        expected_version=risk.version,
        actions=[{"description": "Action", "status": "planned"}],
    )
    action_id = risk.actions.get().pk

    def change(count: int) -> None:
        for index in range(count):
            current = type(risk).objects.get(pk=risk.pk)
            action = {"id": action_id, "description": f"Action {index}", "status": "planned"}
            risk_services.risk_update(current, user=world.officer, expected_version=current.version, actions=[action])

    url = reverse("assessments:risk_history", args=[world.acme.pk, risk.pk])
    return url, "child_history", "action_history_page", change


def _impact_rows(world: Any) -> tuple[str, str, str, Any]:
    from assessments import services as impact_services
    from assessments.models import ImpactRow
    from tests.factories import ImpactAssessmentFactory

    assessment = ImpactAssessmentFactory(management_system=world.acme, user=world.officer)
    row = {"area": "fairness", "affected_group": "Patients", "description": "Row", "severity": 2, "likelihood": 2}
    assessment = impact_services.impact_assessment_update(
        assessment, user=world.officer, expected_version=assessment.version, rows=[row]
    )
    row["id"] = ImpactRow.objects.get(assessment=assessment).pk

    def change(count: int) -> None:
        for index in range(count):
            current = type(assessment).objects.get(pk=assessment.pk)
            rows = [{**row, "description": f"Row {index}"}]
            impact_services.impact_assessment_update(
                current, user=world.officer, expected_version=current.version, rows=rows
            )

    url = reverse("assessments:impact_history", args=[world.acme.pk, assessment.pk])
    return url, "child_history", "row_history_page", change


def _programme_items(world: Any) -> tuple[str, str, str, Any]:
    from improvement.audits import services as audit_services
    from tests.improvement.audits.helpers import clause, make_programme

    programme = make_programme(world.acme, world.officer)
    item_id = programme.items.get().pk

    def change(count: int) -> None:
        for index in range(count):
            current = type(programme).objects.get(pk=programme.pk)
            item = {"id": item_id, "requirement": clause("9.2.2"), "planned_quarter": f"2026-Q{index % 4 + 1}"}
            audit_services.programme_update(current, user=world.officer, expected_version=current.version, items=[item])

    url = reverse("improvement:programme_history", args=[world.acme.pk, programme.pk])
    return url, "item_history", "item_history_page", change


def _audit_checks(world: Any) -> tuple[str, str, str, Any]:
    from improvement.audits import services as audit_services
    from tests.improvement.audits.helpers import make_audit, start

    audit = start(make_audit(world, lead_auditor=world.contributor), world.officer)
    check = audit.checks.get()

    def change(count: int) -> None:
        for index in range(count):
            current = type(check).objects.get(pk=check.pk)
            audit_services.check_record(
                current, user=world.officer, expected_version=current.version, tested=f"Interviews {index}"
            )

    url = reverse("improvement:audit_history", args=[world.acme.pk, audit.pk])
    return url, "check_history", "check_history_page", change


def _corrective_actions(world: Any) -> tuple[str, str, str, Any]:
    from improvement.nonconformities import services as nc_services
    from tests.improvement.nonconformities.helpers import add_action, analyse, contain, make_nc

    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    action = add_action(nc, world.officer, world.contributor)

    def change(count: int) -> None:
        for index in range(count):
            current = type(action).objects.get(pk=action.pk)
            nc_services.corrective_action_update(
                current, user=world.officer, expected_version=current.version, description=f"Checklist {index}"
            )

    url = reverse("improvement:nc_history", args=[world.acme.pk, nc.pk])
    return url, "action_history", "action_history_page", change


def _effectiveness_reviews(world: Any) -> tuple[str, str, str, Any]:
    from django.utils import timezone

    from improvement.nonconformities import services as nc_services
    from tests.improvement.nonconformities.helpers import actions_done, qa_member, refresh

    nc, _actions = actions_done(world)
    review = nc_services.review_plan(
        refresh(nc), user=world.officer, method="Sample", planned_on=timezone.localdate(), reviewer=qa_member(world)
    )

    def change(count: int) -> None:
        for index in range(count):
            current = type(review).objects.get(pk=review.pk)
            nc_services.review_replan(current, user=world.officer, method=f"Sample {index} releases")

    url = reverse("improvement:nc_history", args=[world.acme.pk, nc.pk])
    return url, "review_history", "review_history_page", change


def _incident_obligations(world: Any) -> tuple[str, str, str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    from improvement.incidents import services as incident_services

    system = make_ai_system(world.acme, user=world.officer, eu_ai_act_risk_class="high")
    incident = incident_services.incident_create(
        management_system=world.acme, user=world.officer, title="Advice to stop a drug", description="D",
        ai_systems=[system], possibly_serious=True, severity="high", detected_at=timezone.now() - timedelta(hours=2),
    )  # fmt: skip
    obligation = incident.obligations.order_by("pk").first()
    assert obligation is not None, "a serious incident of a high-risk system has a reporting obligation"

    def change(count: int) -> None:
        for index in range(count):
            current = type(obligation).objects.get(pk=obligation.pk)
            incident_services.obligation_settle(
                current, user=world.officer, expected_version=current.version, waived_reason=f"Not reportable {index}"
            )

    url = reverse("improvement:incident_history", args=[world.acme.pk, incident.pk])
    return url, "obligation_history", "obligation_history_page", change


CHILD_TABLES = {
    "risk treatment actions": _risk_actions,
    "impact rows": _impact_rows,
    "audit programme items": _programme_items,
    "internal audit checks": _audit_checks,
    "corrective actions": _corrective_actions,
    "effectiveness reviews": _effectiveness_reviews,
    "incident obligations": _incident_obligations,
}


@pytest.mark.parametrize("table", CHILD_TABLES)
def test_a_history_page_lists_one_page_of_child_changes_in_as_many_queries_with_60_as_with_3(world, client, table):
    url, name, param, change = CHILD_TABLES[table](world)
    log_in(client, world.officer)
    change(2)
    assert_constant_queries(lambda: _ok(client.get(url)), lambda: change(MANY))

    response = client.get(url)
    first = response.context[name]
    assert first.paginator.count > MANY and len(first) == HISTORY_PAGE_SIZE
    assert f'href="?{param}=2"' in response.content.decode()
    newest = [row.history_id for row in first]
    assert newest == sorted(newest, reverse=True)
    second = client.get(url, {param: 2}).context[name]
    assert second.number == 2 and len(second) == first.paginator.count - HISTORY_PAGE_SIZE
    assert max(row.history_id for row in second) < min(newest)  # the older changes
    # The record's own versions keep their page: the child table's pager leaves them alone.
    assert client.get(url, {param: 2}).context["versions"].number == 1
    assert client.get(url, {param: 99}).context[name].number == 2  # out of range: the last page, as the lists
    assert client.get(url, {param: "x"}).context[name].number == 1
