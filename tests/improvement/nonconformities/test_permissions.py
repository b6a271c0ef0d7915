"""Permission matrix of the nonconformity pages and API: persona x action x own / other management system.

Acme is the personas' management system, Northwind the outsider's. In Acme the NC "mine" is
analysed, with one corrective action owned by the contributor ("own") and one by the officer
("other"). Refused writes change nothing; an allowed one changes what it should.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aims import services as aims_services
from aims.models import SignOff
from improvement.models import CorrectiveAction, EffectivenessReview, Nonconformity
from improvement.nonconformities import services
from improvement.nonconformities.signoffs import CLOSURE
from tests.factories import UserFactory
from tests.improvement.nonconformities.helpers import (
    actions_done,
    add_action,
    analyse,
    clause,
    contain,
    make_nc,
    verified,
)
from tests.kit import SYSTEMS, log_in, matrix, otp_header, sign_data

READ = {
    "owner": 200, "officer": 200, "leader": 200, "contributor": 200, "auditor": 200,
    "expired_auditor": 404, "outsider": 404, "anonymous": 302,
}  # fmt: skip
EDIT = {**READ, "leader": 403, "contributor": 403, "auditor": 403, "owner": 302, "officer": 302}
FORM = {**EDIT, "owner": 200, "officer": 200}
CLOSE = {**EDIT, "leader": 302}
API_READ = {**READ, "anonymous": 401}


def changed(persona: str, expected: int) -> bool:
    return expected == 302 and persona != "anonymous"


def everything() -> tuple:
    return (
        list(Nonconformity.objects.order_by("pk").values_list("pk", "version", "state", "retired_at")),
        list(CorrectiveAction.objects.order_by("pk").values_list("pk", "version")),
        list(EffectivenessReview.objects.order_by("pk").values_list("pk", "result", "method")),
        SignOff.objects.count(),
    )


def make_records(world: Any) -> dict[str, Any]:
    mine = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    own = add_action(mine, world.officer, world.contributor)
    other = add_action(mine, world.officer, world.officer, description="Train the release managers")
    theirs = analyse(contain(make_nc(world.northwind, world.outsider), world.outsider), world.outsider)
    theirs_action = add_action(theirs, world.outsider, world.outsider)
    return {"mine": mine, "own": own, "other": other, "theirs": theirs, "theirs_action": theirs_action}


@pytest.fixture
def records(world):
    return make_records(world)


def _read_urls(world: Any, records: dict[str, Any], where: str) -> dict[str, str]:
    ms = world.acme if where == "acme" else world.northwind
    nc = records["mine" if where == "acme" else "theirs"]
    action = records["own" if where == "acme" else "theirs_action"]
    args = [ms.pk, nc.pk]
    return {
        "list": reverse("improvement:nc_list", args=[ms.pk]),
        "detail": reverse("improvement:nc_detail", args=args),
        "history": reverse("improvement:nc_history", args=args),
        "actions": reverse("improvement:ca_list", args=[ms.pk]),
        "action": reverse("improvement:ca_detail", args=[ms.pk, action.pk]),
        "action history": reverse("improvement:ca_history", args=[ms.pk, action.pk]),
    }


@matrix(READ, where=SYSTEMS)
def test_reading_pages(world, client_as, records, persona, where, expected):
    client = client_as(persona)
    for name, url in _read_urls(world, records, where).items():
        assert client.get(url).status_code == expected, (persona, where, name)


@matrix(FORM)
def test_form_pages(world, client_as, records, persona, expected):
    client = client_as(persona)
    ms, nc = world.acme.pk, records["mine"].pk
    for name in ("nc_create",):
        assert client.get(reverse(f"improvement:{name}", args=[ms])).status_code == expected, name
    for name in ("nc_edit", "nc_withdraw", "ca_create", "review_plan"):
        assert client.get(reverse(f"improvement:{name}", args=[ms, nc])).status_code == expected, name


def _nc_form(world: Any, **extra: Any) -> dict[str, Any]:
    return {
        "title": "Logs not retained", "source": "monitoring", "grade": "minor", "requirements": [clause("7.5.3").pk],
        "nature": "Gateway logs are kept seven days, not ninety.", "root_cause_method": "", **extra,
    }  # fmt: skip


def _page_writes(world: Any, records: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    ms, nc = world.acme.pk, records["mine"]
    args = [ms, nc.pk]
    return {
        "create": (reverse("improvement:nc_create", args=[ms]), _nc_form(world)),
        "edit": (reverse("improvement:nc_edit", args=args), _nc_form(world, version=nc.version, root_cause="Kept.")),
        "transition": (
            reverse("improvement:nc_transition", args=args),
            {"to": "actions_planned", "version": nc.version, "reason": "Both planned"},
        ),
        "withdraw": (reverse("improvement:nc_withdraw", args=args), {"version": nc.version, "reason": "Duplicate"}),
        "add action": (
            reverse("improvement:ca_create", args=args),
            {"description": "Extend retention", "status": "planned", "owner": world.officer.pk},
        ),
        "plan review": (
            reverse("improvement:review_plan", args=args),
            {"method": "Check retention settings", "planned_on": timezone.localdate().isoformat()},
        ),
    }


@matrix(EDIT)
def test_writing_pages(world, client_as, persona, expected):
    """Each write on fresh records: refused ones change nothing, allowed ones change something."""
    client = client_as(persona)
    for name in ("create", "edit", "transition", "withdraw", "add action", "plan review"):
        records = make_records(world)
        url, data = _page_writes(world, records)[name]
        before = everything()
        response = client.post(url, data)
        assert response.status_code == expected, (persona, name, response.status_code)
        assert (everything() != before) is changed(persona, expected), (persona, name)


@matrix({**EDIT, "contributor": 302})
def test_the_action_owner_updates_their_own_action(world, client_as, records, persona, expected):
    action = records["own"]
    url = reverse("improvement:ca_edit", args=[world.acme.pk, action.pk])
    data = {"description": action.description, "owner": world.contributor.pk, "status": "done",
            "completed_on": timezone.localdate().isoformat(), "version": 1}  # fmt: skip
    response = client_as(persona).post(url, data)
    assert response.status_code == expected
    action.refresh_from_db()
    assert (action.status == "done") is changed(persona, expected)


@matrix(EDIT)
def test_only_editors_update_an_action_someone_else_owns(world, client_as, records, persona, expected):
    action = records["other"]
    url = reverse("improvement:ca_edit", args=[world.acme.pk, action.pk])
    data = {"description": "Changed", "owner": world.officer.pk, "status": "in_progress", "version": 1}
    assert client_as(persona).post(url, data).status_code == expected
    assert (CorrectiveAction.objects.get(pk=action.pk).version == 2) is changed(persona, expected)


@matrix(EDIT)
def test_recording_an_effectiveness_review(world, client_as, persona, expected):
    nc, _actions = actions_done(world)  # the contributor owns the action
    review = services.review_plan(nc, user=world.officer, method="Sample", planned_on=timezone.localdate())
    url = reverse("improvement:review_perform", args=[world.acme.pk, nc.pk, review.pk])
    data = {"result": "effective", "performed_on": timezone.localdate().isoformat(), "version": nc.version}
    before = everything()
    assert client_as(persona).post(url, data).status_code == expected
    assert (everything() != before) is changed(persona, expected)


def test_the_planned_reviewer_records_the_review_even_as_a_contributor(world, client_as):
    reviewer = UserFactory(username="second_contributor")
    aims_services.membership_add(management_system=world.acme, actor=world.owner, user=reviewer, role="contributor")
    nc, _actions = actions_done(world)
    review = services.review_plan(
        nc, user=world.officer, method="Sample", planned_on=timezone.localdate(), reviewer=reviewer
    )
    client = log_in(Client(), reviewer)
    url = reverse("improvement:review_perform", args=[world.acme.pk, nc.pk, review.pk])
    data = {"result": "effective", "performed_on": timezone.localdate().isoformat(), "version": nc.version}
    assert client.post(url, data).status_code == 302
    assert Nonconformity.objects.get(pk=nc.pk).state == "effectiveness_verified"


@matrix(CLOSE)
def test_closing_a_minor_nonconformity_on_its_page(world, client_as, persona, expected):
    nc = verified(world)
    signer = world.users.get(persona) if persona != "anonymous" else world.owner
    data = sign_data(CLOSURE, nc, signer=signer)
    response = client_as(persona).post(reverse("improvement:nc_close", args=[world.acme.pk, nc.pk]), data)
    assert response.status_code == expected
    assert (Nonconformity.objects.get(pk=nc.pk).state == "closed") is changed(persona, expected)


# --- the API -------------------------------------------------------------------------------------

API_HIDDEN = {"list": False, "retrieve": 404, "history": 404, "reviews": 404, "create": 400, "update": 404,
              "transition": 404, "retire": 404, "plan": 404, "own action": 404, "other action": 404, "new action": 400}  # fmt: skip
API_READER = {"list": True, "retrieve": 200, "history": 200, "reviews": 200, "create": 403, "update": 403,
              "transition": 403, "retire": 403, "plan": 403, "own action": 403, "other action": 403, "new action": 403}  # fmt: skip
API_EDITOR = {**API_READER, "create": 201, "update": 200, "transition": 200, "retire": 200, "plan": 201,
              "own action": 200, "other action": 200, "new action": 201}  # fmt: skip
API_IN_ACME = {
    "owner": API_EDITOR, "officer": API_EDITOR, "leader": API_READER,
    "contributor": {**API_READER, "own action": 200}, "auditor": API_READER,
    "expired_auditor": API_HIDDEN, "outsider": API_HIDDEN, "anonymous": dict.fromkeys(API_HIDDEN, 401),
}  # fmt: skip


def _api_call(client: Any, world: Any, action: str, where: str, records: dict[str, Any]) -> Any:
    acme = where == "acme"
    ms = world.acme if acme else world.northwind
    nc = records["mine" if acme else "theirs"]
    url = f"/api/v1/nonconformities/{nc.pk}/"
    match = {"if-match": f'"{nc.version}"'}
    json = {"content_type": "application/json"}
    own = records["own" if acme else "theirs_action"]
    other = records["other" if acme else "theirs_action"]
    calls = {
        "list": lambda: client.get("/api/v1/nonconformities/"),
        "retrieve": lambda: client.get(url),
        "history": lambda: client.get(url + "history/"),
        "reviews": lambda: client.get(url + "reviews/"),
        "create": lambda: client.post(
            "/api/v1/nonconformities/",
            {"management_system": ms.pk, "title": "New", "source": "other", "requirements": [clause().pk]},
            **json,
        ),
        "update": lambda: client.patch(url, {"title": "Changed"}, headers=match, **json),
        "transition": lambda: client.post(
            url + "transition/", {"to": "actions_planned", "reason": "Planned"}, headers=match, **json
        ),
        "retire": lambda: client.post(url + "retire/", {"reason": "Duplicate"}, headers=match, **json),
        "plan": lambda: client.post(
            url + "reviews/", {"method": "Sample", "planned_on": timezone.localdate().isoformat()}, **json
        ),
        "own action": lambda: client.patch(
            f"/api/v1/corrective-actions/{own.pk}/", {"status": "in_progress"}, headers={"if-match": '"1"'}, **json
        ),
        "other action": lambda: client.patch(
            f"/api/v1/corrective-actions/{other.pk}/", {"status": "in_progress"}, headers={"if-match": '"1"'}, **json
        ),
        "new action": lambda: client.post(
            "/api/v1/corrective-actions/",
            {"management_system": ms.pk, "nonconformity": nc.pk, "description": "More", "status": "planned"},
            **json,
        ),
    }
    return calls[action]()


@matrix(API_IN_ACME, where=SYSTEMS)
def test_api_permission_matrix(world, client_as, persona, where, expected):
    """Every action in own / other management system, each on fresh records; refused writes change nothing."""
    client = client_as(persona)
    for action, want in expected.items():
        records = make_records(world)
        before = everything()
        response = _api_call(client, world, action, where, records)
        case = (persona, where, action)
        if action == "list":
            ids = {row["id"] for row in response.json()["results"]} if response.status_code == 200 else set()
            nc = records["mine" if where == "acme" else "theirs"]
            assert response.status_code == (401 if want == 401 else 200), case
            assert (nc.pk in ids) is (want is True), case
            continue
        assert response.status_code == want, (case, response.content[:300])
        if want >= 400:
            assert everything() == before, case


API_CLOSE = {"owner": 201, "officer": 201, "leader": 201, "contributor": 403, "auditor": 403,
             "expired_auditor": 404, "outsider": 404, "anonymous": 401}  # fmt: skip


@matrix(API_CLOSE)
def test_api_closure_of_a_minor_nonconformity(world, client_as, persona, expected):
    nc = verified(world)
    response = client_as(persona).post(
        f"/api/v1/nonconformities/{nc.pk}/close/",
        {"statement": "Verified effective; closed."},
        content_type="application/json",
        headers={"if-match": f'"{nc.version}"', **otp_header(world, persona)},
    )
    assert response.status_code == expected, response.content[:300]
    assert (Nonconformity.objects.get(pk=nc.pk).state == "closed") is (expected == 201)


@matrix({**API_CLOSE, "officer": 403})
def test_api_closure_of_a_major_nonconformity_is_for_leadership(world, client_as, persona, expected):
    nc = verified(world, grade="major")
    response = client_as(persona).post(
        f"/api/v1/nonconformities/{nc.pk}/close/",
        {"statement": "Verified effective; closed."},
        content_type="application/json",
        headers={"if-match": f'"{nc.version}"', **otp_header(world, persona)},
    )
    assert response.status_code == expected, response.content[:300]
    assert (Nonconformity.objects.get(pk=nc.pk).state == "closed") is (expected == 201)
