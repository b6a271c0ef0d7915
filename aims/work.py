"""What waits for a member: the items of "my work" and of the reminder e-mails, contributed by every app.

An app declares a provider from its ``AppConfig.ready()``::

    from aims.work import SIGNATURE, WorkItem, register_work_provider

    def soa_to_sign(user, management_system, today):
        ...
        return [WorkItem(key=f"soa_approval:{soa.pk}:{head}", kind=SIGNATURE, title="Approve the SoA ...",
                         url=..., due=None)]

    register_work_provider("soa_approval", soa_to_sign, order=10)

A provider answers, for one member of one management system, the items waiting for that member
now, reading only that management system (a provider never lists another's records) in a fixed
number of queries. ``key`` names the item stably: the same thing waiting for the same person gives
the same key on every run, so that a reminder is sent once per item and state, not once per run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from aims import access

SIGNATURE = "signature"  # a sign-off this member may give
ACTION = "action"  # an action, corrective action or task this member owns
REVIEW = "review"  # a review or re-assessment this member owns (a document's review, a management review)
CHECK = "check"  # a failing readiness check this member can fix
KINDS = {SIGNATURE: "To sign", ACTION: "Actions", REVIEW: "Reviews", CHECK: "Readiness checks to fix"}
# A review or re-assessment shows up this many days before its date (an action shows up as soon as it is owned).
REVIEW_NOTICE = timedelta(days=30)
# Shown on a sign-off waiting for the member who made the change it would approve (four eyes).
OWN_CHANGE_NOTE = "You made the last change: a second person should sign it, or record why you sign your own change."


@dataclass(frozen=True)
class WorkItem:
    key: str  # stable identity of the item, e.g. "document_version_approval:DV-004:17"
    kind: str
    title: str  # what to do, in words: "Approve version 3 of AIMS-POL-001 AI policy"
    url: str
    due: date | None = None
    detail: str = ""
    management_system_id: int = 0

    def state(self, today: date) -> str:
        """``overdue``, ``due`` (due today) or ``open``."""
        if self.due is None or self.due > today:
            return "open"
        return "due" if self.due == today else "overdue"


Provider = Callable[[Any, Any, date], list[WorkItem]]  # (user, management system, today) -> items


@dataclass(frozen=True)
class WorkProvider:
    key: str
    provide: Provider
    order: int


_PROVIDERS: dict[str, WorkProvider] = {}


def register_work_provider(key: str, provide: Provider, *, order: int = 100) -> WorkProvider:
    """Declare where some of a member's work comes from (registering a key again replaces it)."""
    provider = WorkProvider(key, provide, order)
    _PROVIDERS[key] = provider
    return provider


def work_providers() -> list[WorkProvider]:
    return sorted(_PROVIDERS.values(), key=lambda p: (p.order, p.key))


def work_for(user: Any, management_system: Any, today: date) -> list[WorkItem]:
    """Everything waiting for the member in one management system: signatures first, then by due date."""
    items: list[WorkItem] = []
    for provider in work_providers():
        for item in provider.provide(user, management_system, today):
            if not item.management_system_id:
                item = WorkItem(**{**item.__dict__, "management_system_id": management_system.pk})
            items.append(item)
    kinds = list(KINDS)
    return sorted(items, key=lambda i: (kinds.index(i.kind), i.due or date.max, i.title))


@dataclass(frozen=True)
class WorkGroup:
    kind: str
    label: str
    items: list[WorkItem]


def group_by_kind(items: list[WorkItem]) -> list[WorkGroup]:
    """The items in groups of one kind each, in the order of ``KINDS`` (empty groups left out)."""
    return [
        WorkGroup(kind, label, [item for item in items if item.kind == kind])
        for kind, label in KINDS.items()
        if any(item.kind == kind for item in items)
    ]


def review_is_near(due: date | None, today: date) -> bool:
    """Whether a review dated ``due`` belongs in "my work" now: overdue, due, or due within ``REVIEW_NOTICE``."""
    return due is not None and due <= today + REVIEW_NOTICE


def signoff_anchor(kind: str) -> str:
    """The fragment of a record's page at which the one sign-off panel of ``kind`` stands."""
    return f"#signoff-heading-{kind}"


def signature_item(kind: str, record: Any, *, title: str, page: str, detail: str, own_change: bool = False) -> WorkItem:
    """A sign-off of ``kind`` waiting on ``record`` as it stands: keyed by its version, linked to its panel on ``page``."""
    return WorkItem(
        key=f"{kind}:{record.pk}:{record.version}",
        kind=SIGNATURE,
        title=title,
        url=page + signoff_anchor(kind),
        detail=f"{detail} {OWN_CHANGE_NOTE}" if own_change else detail,
    )


def is_member(user: Any, management_system: Any) -> bool:
    """Whether the user is an active member of the management system (providers list nothing otherwise)."""
    return access.membership_for(user, management_system.pk) is not None
