"""The life of a nonconformity (10.2) as one declarative transition table.

    open ─► contained ─► analysed ─► actions planned ─► actions done ─► effectiveness verified ─► closed
                            ▲                 ▲               │
                            │                 └───────────────┤ more actions needed (by hand)
                            └─────────────────────────────────┘ "not effective" review (iteration + 1)

Each ``Step`` names its source and target, who or what makes it (``by``: a person asking for
it on the page or through the API, an effectiveness review's result, or the closure
sign-off), and a guard that answers *why not* in words (an empty list: it may happen now).
``services.nonconformity_transition`` and the review and closure services are the only
writers: they look the step up here, run its guard and save the new state through
``register_update``, so every transition is one history version with the acting user and a
reason, under the record's lock and its optimistic-concurrency check.

Why not a state-machine library such as django-fsm-2: its transitions are model methods that
change the field in memory and leave saving (and history, locking, the version check) to the
caller, and its conditions are booleans, while every refusal here must say why in words and
save nothing. The services would wrap every call anyway, the model would gain behaviour that
the house style keeps in services, and the project a dependency, for a table of eight rows that
reads as well as this one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError

from improvement.models import CorrectiveAction, Nonconformity

State = Nonconformity.State
Status = CorrectiveAction.Status


class By(StrEnum):
    HAND = "hand"  # a person asks for it (the page's buttons, POST .../transition/)
    REVIEW = "review"  # an effectiveness review's result
    SIGN_OFF = "sign_off"  # the closure sign-off


def _current_actions(nc: Nonconformity) -> list[CorrectiveAction]:
    return [action for action in nc.actions.all() if action.iteration == nc.iteration]


def needs_correction(nc: Nonconformity) -> list[str]:
    """Contained: the correction or the containment is recorded (10.2 a)."""
    if nc.correction.strip() or nc.containment.strip():
        return []
    return ["Record the correction or the containment first (10.2 a): what was done to control and correct it."]


def needs_analysis(nc: Nonconformity) -> list[str]:
    """Analysed: the nature and the root cause are recorded (10.2 b)."""
    missing = []
    if not nc.nature.strip():
        missing.append("Record the nature of the nonconformity first.")
    if not nc.root_cause.strip():
        missing.append("Record the root cause first (10.2 b): the corrective actions must address it.")
    return missing


def needs_planned_actions(nc: Nonconformity) -> list[str]:
    """Actions planned: at least one corrective action of this analysis is not cancelled."""
    if any(action.status != Status.CANCELLED for action in _current_actions(nc)):
        return []
    if nc.iteration > 1:
        return [
            f"Plan at least one corrective action for analysis {nc.iteration} (the earlier ones were not effective)."
        ]
    return ["Plan at least one corrective action first."]


def needs_actions_done(nc: Nonconformity) -> list[str]:
    """Actions done: every action of this analysis is done or cancelled (with its reason), one at least done."""
    actions = _current_actions(nc)
    pending = [action.reference for action in actions if action.status in CorrectiveAction.OPEN]
    if pending:
        return [f"{', '.join(pending)} {'is' if len(pending) == 1 else 'are'} not done or cancelled yet."]
    if not any(action.status == Status.DONE for action in actions):
        return ["At least one corrective action must be done: all of them are cancelled."]
    return []


def nothing(nc: Nonconformity) -> list[str]:
    return []


@dataclass(frozen=True)
class Step:
    source: str
    target: str
    label: str  # what the button says
    by: By = By.HAND
    guard: Callable[[Nonconformity], list[str]] = nothing


TRANSITIONS: tuple[Step, ...] = (
    Step(State.OPEN, State.CONTAINED, "Contained", guard=needs_correction),
    Step(State.CONTAINED, State.ANALYSED, "Analysed", guard=needs_analysis),
    Step(State.ANALYSED, State.ACTIONS_PLANNED, "Actions planned", guard=needs_planned_actions),
    Step(State.ACTIONS_PLANNED, State.ACTIONS_DONE, "Actions done", guard=needs_actions_done),
    Step(State.ACTIONS_DONE, State.ACTIONS_PLANNED, "More actions needed"),
    Step(State.ACTIONS_DONE, State.EFFECTIVENESS_VERIFIED, "Effective", by=By.REVIEW),
    Step(State.ACTIONS_DONE, State.ANALYSED, "Not effective: analyse again", by=By.REVIEW),
    Step(State.EFFECTIVENESS_VERIFIED, State.CLOSED, "Close", by=By.SIGN_OFF),
)

_HOW = {
    By.REVIEW: "an effectiveness review's result moves it there: record the review",
    By.SIGN_OFF: "closing is a sign-off (leadership closes a major nonconformity): use Close",
}


def label(state: str) -> str:
    return State(state).label if state in State.values else state


def steps_from(nc: Nonconformity, *, by: By = By.HAND) -> list[Step]:
    """The steps that may follow the NC's state, made the given way."""
    return [step for step in TRANSITIONS if step.source == nc.state and step.by == by]


def step(nc: Nonconformity, to: str, *, by: By) -> Step:
    """The step from the NC's state to ``to`` made the given way, or a ValidationError saying why there is none."""
    if to not in State.values:
        raise ValidationError({"to": f"Unknown state {to!r}: one of {', '.join(State.values)}."})
    if nc.is_retired:
        raise ValidationError(f"{nc.reference} was withdrawn on {nc.retired_at:%d %b %Y}: its state no longer changes.")
    if nc.state == to:
        raise ValidationError(f"{nc.reference} is already {label(to).lower()}.")
    found = next((s for s in TRANSITIONS if s.source == nc.state and s.target == to), None)
    if found is None:
        nexts = [s.target for s in TRANSITIONS if s.source == nc.state]
        after = f"; from there it goes to {', '.join(label(t).lower() for t in nexts)}" if nexts else ""
        raise ValidationError(
            {"to": f"{nc.reference} cannot go from {label(nc.state).lower()} to {label(to).lower()}{after}."}
        )
    if found.by != by:
        raise ValidationError(
            {"to": f"{nc.reference} cannot be moved to {label(to).lower()} by hand: {_HOW[found.by]}."}
        )
    return found


def check(nc: Nonconformity, to: str, *, by: By = By.HAND) -> Step:
    """The step to ``to`` if it may happen now; else a ValidationError with every reason it may not."""
    found = step(nc, to, by=by)
    problems = found.guard(nc)
    if problems:
        raise ValidationError(problems)
    return found


def next_steps(nc: Nonconformity) -> list[tuple[Step, list[str]]]:
    """The steps a person may ask for now, each with what still blocks it (for the page's buttons)."""
    if nc.is_retired:
        return []
    return [(s, s.guard(nc)) for s in steps_from(nc, by=By.HAND)]
