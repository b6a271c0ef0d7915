"""Management review minutes in audit packs (9.3): each review as it stood on the pack's date, with its
frozen input snapshots (never the registers' data of today), decisions, actions and whether the chair's
signature of the minutes still holds.

Read from the history tables with a fixed number of queries whatever the number of reviews and rows.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth import get_user_model

from aims.history import rows_as_of
from aims.pack_gather import latest_sign_offs_as_of
from aims.pack_sections import FULL, STAGE1, PackData, register_pack_section
from aims.signoff_currency import currencies
from governance.models import Person
from reviews.meetings.inputs import KINDS
from reviews.meetings.signoffs import MINUTES
from reviews.models import ManagementReview, ReviewAction, ReviewDecision, ReviewInput

SECTION = "management_reviews"


def _by_review(rows: list[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.review_id].append(row)
    return grouped


def gather_reviews(data: PackData) -> None:
    """Every review on the pack's date with its frozen inputs, decisions, actions and the minutes' currency."""
    ms_id, as_of = data.management_system_id, data.as_of
    reviews = sorted(rows_as_of(ManagementReview, as_of, management_system_id=ms_id), key=lambda r: r.planned_on)
    ids = [r.id for r in reviews]
    inputs = _by_review(rows_as_of(ReviewInput, as_of, review_id__in=ids)) if ids else {}
    decisions = _by_review(rows_as_of(ReviewDecision, as_of, review_id__in=ids)) if ids else {}
    actions = _by_review(rows_as_of(ReviewAction, as_of, review_id__in=ids)) if ids else {}
    people = {p.id: p for p in rows_as_of(Person, as_of, id__in={r.chair_id for r in reviews})} if ids else {}
    owner_ids = {a.owner_id for rows in actions.values() for a in rows}
    owners = {u.pk: u for u in get_user_model().objects.filter(pk__in=owner_ids)} if owner_ids else {}
    latest = latest_sign_offs_as_of(data, MINUTES)
    currency = currencies(
        MINUTES, latest,
        [(r.id, r.version, [r, *inputs.get(r.id, []), *decisions.get(r.id, []), *actions.get(r.id, [])]) for r in reviews],
    )  # fmt: skip
    shown = []
    for review in reviews:
        review.chair_name = getattr(people.get(review.chair_id), "name", "")
        review.frozen = review.inputs_frozen_at is not None
        review.pack_inputs = [
            {"kind": KINDS.get(row.key), "row": row, "content": row.content or {}}
            for row in sorted(inputs.get(review.id, []), key=lambda row: row.position)
        ]
        review.pack_decisions = sorted(decisions.get(review.id, []), key=lambda row: row.id)
        review.pack_actions = actions.get(review.id, [])
        for action in review.pack_actions:
            owner = owners.get(action.owner_id)
            action.owner_name = (owner.get_full_name() or owner.get_username()) if owner else ""
        review.currency = currency[review.id]
        shown.append(review)
    data.parts[SECTION] = shown


def register() -> None:
    register_pack_section(
        SECTION,
        title="Management review minutes",
        clause="9.3",
        kinds={STAGE1, FULL},
        order=87,
        gather=gather_reviews,
        template="reviews/meetings/pack/section_reviews.html",
    )
