"""Management reviews: inputs frozen at the moment of freezing, actions carried into the next review,
the minutes signed by the chair only and refused with every missing condition named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aims import ledger
from improvement.nonconformities import services as nc_services
from packs import gather, render
from reviews.meetings import services
from reviews.meetings.signoffs import MINUTES
from reviews.models import ManagementReview, ReviewAction
from tests.improvement.nonconformities.helpers import make_nc
from tests.kit import otp_header
from tests.packs.helpers import make_pack
from tests.reviews.meetings_helpers import fresh, make_review, ready_to_sign

pytestmark = pytest.mark.django_db


def _input(review: ManagementReview, key: str):
    return fresh(review).inputs.get(key=key)


def test_frozen_inputs_keep_what_the_registers_said_when_frozen(world, client_as):
    nc = make_nc(world.acme, world.officer, title="Model card out of date")
    review = make_review(world)
    review = services.review_freeze_inputs(review, user=world.officer, expected_version=review.version)
    frozen = _input(review, "nonconformities")
    assert frozen.digest == ledger.digest_of(frozen.content)
    assert review.inputs_digest and review.status == ManagementReview.Status.INPUTS_FROZEN

    nc_services.nonconformity_update(
        nc, user=world.officer, expected_version=nc.version, title="Renamed after freezing"
    )
    make_nc(world.acme, world.officer, title="Raised after freezing")

    assert _input(review, "nonconformities").content == frozen.content
    page = client_as("contributor").get(reverse("reviews:review_detail", args=[world.acme.pk, review.pk]))
    assert "Model card out of date" in page.content.decode()
    assert "Renamed after freezing" not in page.content.decode()
    assert "Raised after freezing" not in page.content.decode()
    pack = render.render_pack_html(gather.gather_pack(make_pack(world)))
    start = pack.index('id="sec-management_reviews"')
    section = pack[start : pack.index('<section class="chapter"', start)]
    assert "Model card out of date" in section and "Renamed after freezing" not in section
    assert review.inputs_digest in section


def test_before_freezing_the_page_shows_the_registers_now(world, client_as):
    review = make_review(world)
    make_nc(world.acme, world.officer, title="Raised just now")
    page = client_as("auditor").get(reverse("reviews:review_detail", args=[world.acme.pk, review.pk])).content.decode()
    assert "Raised just now" in page and "Live: gathered from the registers now" in page


def test_open_actions_of_an_earlier_review_are_input_a_of_the_next(world):
    first = make_review(world, planned_on=timezone.localdate() - timedelta(days=90))
    open_action = services.action_add(
        first, user=world.officer, title="Train the triage nurses", owner=world.contributor
    )
    done = services.action_add(first, user=world.officer, title="Publish the minutes", owner=world.officer)
    services.action_set_status(done, user=world.officer, expected_version=done.version, status="done")
    nxt = make_review(world)
    own = services.action_add(nxt, user=world.officer, title="Own action of this review", owner=world.officer)

    nxt = services.review_freeze_inputs(nxt, user=world.officer, expected_version=nxt.version)

    carried = _input(nxt, "previous_actions").content
    references = {item["reference"] for item in carried["items"]}
    assert open_action.reference in references and own.reference not in references
    assert ["Open", 1] in carried["counts"]
    assert fresh(nxt).inputs_since == first.planned_on  # the previous review's date (not held: its planned date)


def test_signing_is_refused_with_every_missing_condition_named(world, api_as):
    review = make_review(world, attend=False)
    url = reverse("management-review-sign", args=[review.pk])
    headers = {"if-match": f'"{review.version}"', **otp_header(world, "leader")}
    response = api_as("leader").post(url, {"statement": "Signed."}, format="json", headers=headers)
    assert response.status_code == 400
    missing = " ".join(response.json()["non_field_errors"])
    for words in ("Freeze the inputs", "top-management AIMS role", "Record at least one decision", "as held"):
        assert words in missing

    review = services.review_freeze_inputs(review, user=world.officer, expected_version=review.version)
    blockers = ledger.signable(MINUTES).blockers(fresh(review))
    assert any("(d) Audit results" in b and "(a) Status of actions" in b for b in blockers)


def test_only_the_chair_signs_the_minutes(world, api_as):
    review = ready_to_sign(world, make_review(world))
    url = reverse("management-review-sign", args=[review.pk])

    def sign(persona: str) -> int:
        headers = {"if-match": f'"{fresh(review).version}"', **otp_header(world, persona)}
        return api_as(persona).post(url, {"statement": "Signed as chair."}, format="json", headers=headers).status_code

    assert sign("owner") == 403  # may sign off in general, but is not the chair
    assert sign("officer") == 403
    assert sign("leader") == 201
    review = fresh(review)
    assert review.status == ManagementReview.Status.MINUTES_SIGNED
    status = ledger.sign_off_status(MINUTES, review)
    assert not status.changed_since  # becoming "minutes signed" is not a change of what was signed
    signed = {label for label, _ in status.latest.versions}
    assert {"reviews.managementreview", "reviews.reviewinput", "reviews.reviewdecision"} <= signed
    assert review.inputs_digest in str(ledger.chain_export(world.acme, timezone.now()))


def test_following_an_action_up_after_signing_does_not_reopen_the_minutes(world):
    review = make_review(world)
    action = services.action_add(review, user=world.officer, title="Fund an auditor", owner=world.officer)
    review = ready_to_sign(world, review)
    services.review_sign_minutes(review, user=world.leader, statement="Signed.", verification="demo")
    action = ReviewAction.objects.get(pk=action.pk)
    services.action_set_status(action, user=world.officer, expected_version=action.version, status="done")
    assert not ledger.sign_off_status(MINUTES, fresh(review)).changed_since
    with pytest.raises(Exception, match="signed"):
        services.decision_add(fresh(review), user=world.officer, decision_type="no_change", text="Late.")
