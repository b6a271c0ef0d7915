"""Demo AI objectives for Acme Health: two objectives, each with a monthly metric and six months of results.

The officer records every measurement. The first objective (human review of triage suggestions)
met its target each month; the second (answer accuracy of the patient FAQ chatbot) missed it in
the latest month, and one earlier month was corrected. No nonconformity is raised: that is left to
a user, from the objective's page ("Raise a nonconformity"). Idempotent: once the demo metrics
exist, nothing is done. People come from the people demo, or are created here when missing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from aims.demo import Demo
from aims.services import register_create
from governance.models import Document, Metric, Person
from governance.models.objectives import previous_period
from governance.objectives import services

REVIEW = "Triage suggestions reviewed by a clinician"
ACCURACY = "FAQ chatbot answers judged accurate"
# Six months of values, oldest first; the last month of the chatbot misses its 95 % target.
REVIEW_VALUES = ("97.2", "98.1", "96.5", "98.8", "99.0", "98.4")
ACCURACY_VALUES = ("95.8", "96.4", "94.1", "96.0", "95.5", "92.7")


def _person(ms: Any, user: Any, officer: Any) -> Person:
    person = Person.objects.filter(management_system=ms, account=user).order_by("pk").first()
    if person is not None:
        return person
    name = user.get_full_name() or user.get_username()
    return register_create(
        Person, management_system=ms, user=officer, reason="Added for the objectives demo", name=name, account=user
    )


def _months(count: int) -> list[date]:
    """The starts of the last ``count`` completed months, oldest first."""
    start = timezone.localdate().replace(day=1)
    months = []
    for _ in range(count):
        start = previous_period(start, Metric.Cadence.MONTHLY)
        months.append(start)
    return list(reversed(months))


def load(demo: Demo) -> None:
    ms, users = demo.acme, demo.acme_users
    if Metric.objects.filter(management_system=ms, name=REVIEW).exists():
        return
    officer = users["officer"]
    measurer, analyst = _person(ms, officer, officer), _person(ms, users["owner"], officer)
    leader = _person(ms, users["leader"], officer)
    policy = Document.objects.filter(management_system=ms, key="ai_policy").first()
    common = {"management_system": ms, "user": officer, "reason": "Demo objectives"}
    review = services.metric_create(
        **common, name=REVIEW, cadence=Metric.Cadence.MONTHLY, unit="%", target_value=Decimal("95"),
        measured="Share of the triage tool's priority suggestions that a clinician reviewed before acting on them.",
        method="Monthly export of the triage tool's audit log; suggestions with a reviewer's sign-off divided by all.",
        source=Metric.Source.MANUAL, measured_by=measurer, analysed_by=analyst,
    )  # fmt: skip
    accuracy = services.metric_create(
        **common, name=ACCURACY, cadence=Metric.Cadence.MONTHLY, unit="%", target_value=Decimal("95"),
        measured="Share of a monthly sample of 200 chatbot answers that two clinical reviewers judge accurate.",
        method="Random sample of 200 conversations each month, scored blind by two reviewers; disagreements discussed.",
        source=Metric.Source.MANUAL, measured_by=measurer, analysed_by=analyst,
    )  # fmt: skip
    first = services.objective_create(
        **common, title="Keep a clinician in the loop for AI triage", policy=policy, metric=review,
        statement="Every priority suggestion of the AI triage tool is reviewed by a clinician before it changes care.",
        target="At least 95 % of suggestions reviewed each month", threshold=Decimal("97"),
        plan="Reviewer prompt in the triage screen; weekly report to ward leads; refresher briefing for new staff.",
        resources="Clinical safety officer (0.1 FTE); triage tool reporting.", responsible=leader,
        due_on=date(timezone.localdate().year, 12, 31), evaluation="Monthly review by the AIMS manager; quarterly to the board.",
        status="on_track",
    )  # fmt: skip
    second = services.objective_create(
        **common, title="Accurate answers from the patient FAQ chatbot", policy=policy, metric=accuracy,
        statement="Patients get accurate answers from the FAQ chatbot, or are handed to a person.",
        target="At least 95 % of sampled answers accurate each month",
        plan="Monthly answer review; content updates within two weeks of a change in hospital services.",
        resources="Two clinical reviewers, four hours a month; content editor.", responsible=measurer,
        due_on=date(timezone.localdate().year, 12, 31), evaluation="Sample review; trend reported at the management review.",
        status="at_risk",
    )  # fmt: skip
    _measure(review, REVIEW_VALUES, officer)
    _measure(accuracy, ACCURACY_VALUES, officer, correct=(2, "95.3", "Two answers were scored twice: recounted."))
    demo.created += [first.reference, second.reference]


def _measure(metric: Metric, values: tuple[str, ...], user: Any, correct: tuple | None = None) -> None:
    rows = []
    for month, value in zip(_months(len(values)), values, strict=True):
        note = f"Recorded from the {month:%B} report."
        rows.append(services.measurement_record(metric, user=user, period=month, value=Decimal(value), note=note))
    if correct is not None:
        index, value, note = correct
        services.measurement_correct(rows[index], user=user, value=Decimal(value), note=note)
