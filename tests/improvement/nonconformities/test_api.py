"""The nonconformity API beyond access: refusals as 400 with the reason, If-Match, reviews, closure, filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aims.models import SignOff
from improvement.models import CorrectiveAction, EffectivenessReview, Nonconformity
from improvement.nonconformities import services
from tests.improvement.nonconformities.helpers import (
    actions_done,
    analyse,
    contain,
    make_nc,
    refresh,
    verified,
)
from tests.kit import listed_by_api, listed_on_page, otp_header

JSON = {"content_type": "application/json"}


def nc_url(nc, tail=""):
    return f"/api/v1/nonconformities/{nc.pk}/{tail}"


def post(client, url, body, version=None, **headers):
    if version is not None:
        headers["if-match"] = f'"{version}"'
    return client.post(url, body, headers=headers, **JSON)


def test_a_refused_transition_is_a_400_with_the_reason_and_saves_nothing(world, client_as):
    nc = make_nc(world.acme, world.officer)
    response = post(client_as("officer"), nc_url(nc, "transition/"), {"to": "contained", "reason": "x"}, version=1)
    assert response.status_code == 400
    assert "Record the correction or the containment first" in str(response.json())
    assert refresh(nc).version == 1 and refresh(nc).history.count() == 1


def test_closure_is_not_a_transition(world, client_as):
    nc = verified(world)
    response = post(
        client_as("officer"), nc_url(nc, "transition/"), {"to": "closed", "reason": "x"}, version=nc.version
    )
    assert response.status_code == 400 and "closing is a sign-off" in str(response.json())


def test_a_transition_needs_if_match_and_refuses_a_stale_version(world, client_as):
    nc = make_nc(world.acme, world.officer, correction="Fixed.")
    client = client_as("officer")
    assert post(client, nc_url(nc, "transition/"), {"to": "contained", "reason": "x"}).status_code == 428
    assert post(client, nc_url(nc, "transition/"), {"to": "contained", "reason": "x"}, version=7).status_code == 412
    response = post(client, nc_url(nc, "transition/"), {"to": "contained", "reason": "Fixed"}, version=1)
    assert response.status_code == 200 and response.json()["state"] == "contained"
    assert response["ETag"] == '"2"'


def test_the_not_effective_cycle_through_the_api_is_in_the_history(world, client_as):
    nc, _actions = actions_done(world)
    client = client_as("owner")
    planned = post(
        client, nc_url(nc, "reviews/"), {"method": "Sample ten releases", "planned_on": str(timezone.localdate())}
    )
    assert planned.status_code == 201, planned.content
    review_id = planned.json()["id"]
    body = {
        "result": "not_effective",
        "performed_on": str(timezone.localdate()),
        "notes": "Two releases lacked a card.",
    }
    response = post(client, nc_url(nc, f"reviews/{review_id}/perform/"), body, version=nc.version)
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["iteration"]) == ("analysed", 2)
    history = client.get(nc_url(nc, "history/")).json()["results"]
    latest = history[0]
    assert latest["change_reason"].startswith("Not effective") and latest["user"] == "owner"
    assert {"field": "iteration", "old": 1, "new": 2} in [
        {k: change[k] for k in ("field", "old", "new")} for change in latest["changes"]
    ]
    reviews = client.get(nc_url(nc, "reviews/")).json()
    assert [(r["iteration"], r["result"]) for r in reviews] == [(1, "not_effective")]


def test_the_action_owner_may_not_record_the_review(world, client_as):
    nc, actions = actions_done(world)
    assert CorrectiveAction.objects.get(pk=actions[0].pk).owner == world.contributor
    review = services.review_plan(nc, user=world.officer, method="Sample", planned_on=timezone.localdate())
    # The contributor owns the action and is not the planned reviewer: they may not record the review.
    body = {"result": "effective", "performed_on": str(timezone.localdate())}
    response = post(client_as("contributor"), nc_url(nc, f"reviews/{review.pk}/perform/"), body, version=nc.version)
    assert response.status_code == 403
    assert not EffectivenessReview.objects.filter(result="effective").exists()


def test_reviews_of_another_nonconformity_or_management_system_are_not_found(world, client_as):
    nc, _actions = actions_done(world)
    other = make_nc(world.acme, world.officer, title="Other")
    review = services.review_plan(nc, user=world.officer, method="Sample", planned_on=timezone.localdate())
    body = {"result": "effective", "performed_on": str(timezone.localdate())}
    assert post(client_as("owner"), nc_url(other, f"reviews/{review.pk}/perform/"), body, version=1).status_code == 404
    assert client_as("outsider").get(nc_url(nc, "reviews/")).status_code == 404


def test_closure_needs_if_match_and_the_second_factor(world, client_as):
    nc = verified(world)
    client = client_as("leader")
    body = {"statement": "Closed."}
    assert post(client, nc_url(nc, "close/"), body, **otp_header(world, "leader")).status_code == 428
    response = post(client, nc_url(nc, "close/"), body, version=nc.version, **{"x-otp": "000000"})
    assert response.status_code == 400, response.content
    assert refresh(nc).state == "effectiveness_verified" and not SignOff.objects.exists()
    response = post(client, nc_url(nc, "close/"), body, version=nc.version, **otp_header(world, "leader"))
    assert response.status_code == 201 and response.json()["kind"] == "nonconformity_closure"
    read = client.get(nc_url(nc)).json()
    assert read["state"] == "closed" and read["closure"]["sequence"] == response.json()["sequence"]


def test_a_blocked_closure_is_a_400_naming_what_is_missing(world, client_as):
    nc, _actions = actions_done(world)
    response = post(
        client_as("leader"), nc_url(nc, "close/"), {"statement": "x"}, version=nc.version, **otp_header(world, "leader")
    )
    assert response.status_code == 400 and "Review the effectiveness" in str(response.json())


def test_no_action_through_the_api_before_a_root_cause(world, client_as):
    nc = contain(make_nc(world.acme, world.officer), world.officer)
    body = {"management_system": world.acme.pk, "nonconformity": nc.pk, "description": "Fix", "status": "planned"}
    response = client_as("officer").post("/api/v1/corrective-actions/", body, **JSON)
    assert response.status_code == 400 and "Record the root cause" in str(response.json())
    assert not CorrectiveAction.objects.exists()


def test_an_action_of_another_management_system_is_refused(world, client_as):
    theirs = analyse(contain(make_nc(world.northwind, world.outsider), world.outsider), world.outsider)
    body = {"management_system": world.acme.pk, "nonconformity": theirs.pk, "description": "Fix", "status": "planned"}
    response = client_as("officer").post("/api/v1/corrective-actions/", body, **JSON)
    assert response.status_code == 400 and not CorrectiveAction.objects.exists()


def test_the_contributor_completes_their_own_action_through_the_api(world, client_as):
    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    action = services.corrective_action_create(nc, user=world.officer, description="Fix", owner=world.contributor)
    body = {"status": "done", "completed_on": str(timezone.localdate())}
    response = client_as("contributor").patch(
        f"/api/v1/corrective-actions/{action.pk}/", body, headers={"if-match": '"1"'}, **JSON
    )
    assert response.status_code == 200 and response.json()["status"] == "done"
    history = client_as("auditor").get(f"/api/v1/corrective-actions/{action.pk}/history/").json()["results"]
    assert history[0]["user"] == "contributor"


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"state": "analysed"},
        {"grade": "major"},
        {"overdue": "yes"},
        {"status": "closed"},
        {"status": "all"},
        {"q": "Late"},
    ],
)
def test_the_list_page_and_the_api_filter_alike(world, client_as, query):
    late = analyse(
        contain(make_nc(world.acme, world.officer, title="Late", grade="major"), world.officer), world.officer
    )
    services.corrective_action_create(
        late, user=world.officer, description="x", due_date=timezone.localdate() - timedelta(days=2)
    )
    make_nc(world.acme, world.officer, title="Fresh")
    withdrawn = make_nc(world.acme, world.officer, title="Withdrawn")
    services.nonconformity_withdraw(withdrawn, user=world.officer, expected_version=1, reason="Duplicate")
    client = client_as("auditor")
    page = listed_on_page(client, reverse("improvement:nc_list", args=[world.acme.pk]), query)
    api = listed_by_api(client, "/api/v1/nonconformities/", {**query, "management_system": world.acme.pk})
    assert page == api
    expected = {
        "": {"NC-001", "NC-002"},
        "state": {"NC-001"},
        "grade": {"NC-001"},
        "overdue": {"NC-001"},
        "status": {"NC-003"} if query.get("status") == "closed" else {"NC-001", "NC-002", "NC-003"},
        "q": {"NC-001"},
    }
    assert page == expected[next(iter(query), "")]


def test_nonconformity_model_state_is_read_only_in_the_api(world, client_as):
    nc = make_nc(world.acme, world.officer)
    response = client_as("officer").patch(
        nc_url(nc), {"state": "closed", "iteration": 5}, headers={"if-match": '"1"'}, **JSON
    )
    assert response.status_code == 200
    assert (refresh(nc).state, refresh(nc).iteration) == (Nonconformity.State.OPEN, 1)
