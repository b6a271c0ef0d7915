"""Demo: Acme Health's first management review, held after the internal audit, and the next one planned.

The AIMS manager plans the review with the Chief Executive in the chair and the non-executive
director attending, freezes its inputs, records the discussion of each required input, the
review as held, its decisions and actions (one done, one still open); the Chief Executive signs
the minutes. The next review is planned in six months: its input (a) carries the open action.
Idempotent: once a review exists in Acme, it does nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from aims import mfa
from governance.models import Objective, Person
from reviews.meetings import services
from reviews.meetings.inputs import KINDS
from reviews.models import ManagementReview, ReviewAction, ReviewDecision

NOTES = {
    "previous_actions": "First review of the AIMS: no earlier action to follow up.",
    "issues": "The EU AI Act obligations for deployers of high-risk systems remain the main external issue.",
    "interested_parties": "Patients' groups asked for plain-language notices on the triage system.",
    "nonconformities": "The audit nonconformity on impact re-assessment is contained; its corrective action is late.",
    "monitoring": "Triage accuracy objective on track; chatbot escalation objective at risk.",
    "audits": "The first internal audit of the cycle is reported and acknowledged.",
    "opportunities": "Automate the monthly measurement of the chatbot's escalation rate.",
}
DECISIONS = (
    (ReviewDecision.Type.IMPROVEMENT, "Automate the chatbot escalation measurement from the gateway's event log."),
    (ReviewDecision.Type.RESOURCES, "Fund a second trained internal auditor for the next audit cycle."),
    (ReviewDecision.Type.OBJECTIVES, "Keep the AI objectives as set; review the escalation target next time."),
)


def _person(ms: Any, user: Any) -> Person | None:
    return Person.objects.filter(management_system=ms, account=user, retired_at__isnull=True).first()


def load(demo: Any) -> None:
    """Add the demo's management reviews (nothing when Acme already has one)."""
    ms, users = demo.acme, demo.acme_users
    if ManagementReview.objects.filter(management_system=ms).exists():
        return
    chair = _person(ms, users["leader"])
    if chair is None:
        return  # the people demo did not run: no chair with the top-management role
    officer = users["officer"]
    attendees = [p for p in (chair, _person(ms, officer), Person.objects.filter(
        management_system=ms, name="Margaret Osei").first()) if p is not None]  # fmt: skip
    today = timezone.localdate()
    review = services.review_create(
        management_system=ms, user=officer, reason="Annual management review planned", chair=chair,
        attendees=attendees, planned_on=today, title=f"Management review {today.year}",
        summary="First management review of the AIMS, after the first internal audit of the cycle.",
    )  # fmt: skip
    review = services.review_freeze_inputs(review, user=officer, expected_version=review.version)
    for row in review.inputs.all():
        if row.key in NOTES or KINDS[row.key].required:
            services.input_update(
                row, user=officer, expected_version=row.version, notes=NOTES.get(row.key, ""), discussed=True
            )
    review = services.review_mark_held(review, user=officer, expected_version=review.version, held_on=today)
    for decision_type, text in DECISIONS:
        services.decision_add(review, user=officer, decision_type=decision_type, text=text)
    objective = Objective.objects.filter(management_system=ms).order_by("reference").first()
    done = services.action_add(
        review, user=officer, title="Publish the minutes' decisions to the AI governance board",
        owner=officer, due_on=today, objective=None,
    )  # fmt: skip
    services.action_add(
        review, user=officer, title="Automate the chatbot escalation measurement", owner=users["contributor"],
        due_on=today + timedelta(days=45), objective=objective,
    )  # fmt: skip
    services.review_sign_minutes(
        review, user=users["leader"], verification=mfa.DEMO,
        statement="I sign these minutes of the management review as its chair.",
    )  # fmt: skip
    services.action_set_status(done, user=officer, expected_version=done.version, status=ReviewAction.Status.DONE)
    services.review_create(
        management_system=ms, user=officer, reason="Next management review planned", chair=chair,
        attendees=attendees, planned_on=today + timedelta(days=182), title=f"Management review {today.year} H2",
    )  # fmt: skip
    demo.created.append(review.reference)
