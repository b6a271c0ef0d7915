"""Who reads and runs management reviews (pages and API), and query counts that do not grow with the rows."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.people.selectors import person_for_user
from reviews.meetings import services
from reviews.models import ReviewDecision
from tests.governance.people_helpers import appoint_user
from tests.kit import SYSTEMS, assert_constant_queries, get_ok, log_in, matrix
from tests.reviews.meetings_helpers import chair_person, fresh, make_review

pytestmark = pytest.mark.django_db

READ = {"owner": 200, "officer": 200, "leader": 200, "contributor": 200, "auditor": 200,
        "expired_auditor": 404, "outsider": 404, "anonymous": 302}  # fmt: skip
# Officers, owners and the chair (the leader here) run a review; others are refused, outsiders see nothing.
RUN = {"owner": 302, "officer": 302, "leader": 302, "contributor": 403, "auditor": 403,
       "expired_auditor": 404, "outsider": 404}  # fmt: skip
RUN_API = {**RUN, "owner": 200, "officer": 200, "leader": 200, "anonymous": 401}


def _review_in(world, where: str):
    if where == "acme":
        return make_review(world)
    appoint_user(world.northwind, world.outsider, world.outsider, "top_management")
    chair = person_for_user(world.outsider, world.northwind)
    return services.review_create(
        management_system=world.northwind, user=world.outsider, chair=chair, attendees=[chair],
        planned_on=timezone.localdate(),
    )  # fmt: skip


@matrix(READ, where=SYSTEMS)
def test_who_reads_the_list_and_the_review(world, status_as, persona, where, expected):
    review = _review_in(world, where)
    ms_id = review.management_system_id
    assert status_as(persona, "get", reverse("reviews:review_list", args=[ms_id])) == expected
    assert status_as(persona, "get", reverse("reviews:review_detail", args=[ms_id, review.pk])) == expected


@matrix(RUN)
def test_who_freezes_the_inputs_on_the_page(world, status_as, persona, expected):
    review = make_review(world)
    url = reverse("reviews:review_freeze", args=[world.acme.pk, review.pk])
    assert status_as(persona, "post", url, {"version": review.version}) == expected
    assert fresh(review).is_frozen == (expected == 302)


@matrix(RUN_API)
def test_who_records_a_decision_through_the_api(world, status_as, persona, expected):
    review = make_review(world)
    url = reverse("management-review-decisions", args=[review.pk])
    got = status_as(persona, "post", url, {"decision_type": "no_change", "text": "No change."}, api=True)
    assert got == (201 if expected == 200 else expected)


def test_the_api_changes_a_review_only_as_the_version_read(world, api_as):
    review = make_review(world)
    url = reverse("management-review-detail", args=[review.pk])
    client = api_as("officer")
    assert client.patch(url, {"summary": "x"}, format="json").status_code == 428
    stale = client.patch(url, {"summary": "x"}, format="json", headers={"if-match": '"99"'})
    assert stale.status_code == 412
    ok = client.patch(url, {"summary": "Agreed"}, format="json", headers={"if-match": f'"{review.version}"'})
    assert ok.status_code == 200 and ok["ETag"] == f'"{review.version + 1}"'
    body = client.get(url).json()
    assert len(body["inputs"]) == 14 and body["inputs"][0]["content"] is None  # not frozen yet
    history = client.get(reverse("management-review-history", args=[review.pk]))
    assert history.status_code == 200 and len(history.json()["results"]) == 2


def test_list_and_detail_make_as_many_queries_for_many_rows(world, client):
    review = make_review(world)
    log_in(client, world.officer)
    fetches = {
        "list": get_ok(client, reverse("reviews:review_list", args=[world.acme.pk])),
        "detail": get_ok(client, reverse("reviews:review_detail", args=[world.acme.pk, review.pk])),
        "api": get_ok(client, reverse("management-review-list")),
    }
    chair = chair_person(world)

    def grow() -> None:
        for _ in range(3):
            other = services.review_create(
                management_system=world.acme, user=world.officer, chair=chair, attendees=[chair],
                planned_on=review.planned_on,
            )  # fmt: skip
            services.action_add(other, user=world.officer, title="More", owner=world.contributor)
            services.action_add(review, user=world.officer, title="More", owner=world.contributor)
            services.decision_add(review, user=world.officer, decision_type=ReviewDecision.Type.SCOPE, text="More")

    assert_constant_queries(fetches, grow)
