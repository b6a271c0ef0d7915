"""What the controls app contributes to the items of "my work" and of reminders (``aims.work``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from aims import ledger
from aims.models import ManagementSystem
from aims.work import OWN_CHANGE_NOTE, SIGNATURE, WorkItem, is_member, register_work_provider
from controls.signoffs import SOA, soa_blockers


def soa_to_approve(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """The Statement of Applicability, never approved or changed since, for whoever may approve it."""
    if not is_member(user, management_system) or not ledger.may_sign(SOA, user, management_system):
        return []
    status = ledger.sign_off_status(SOA, management_system)
    if status.latest is not None and not status.changed_since:
        return []
    if soa_blockers(management_system):
        return []  # controls still undecided or unjustified: the officer's work first, not a signature
    # The newest signed version names the state: a change after approval is a new item.
    head = max((row.history_id for row in ledger.signable(SOA).versions(management_system)), default=0)
    if status.latest is None:
        title, detail = "Approve the Statement of Applicability", "It has never been approved."
    else:
        title = "Approve the Statement of Applicability again"
        rows = len(status.changed)
        when = f"{status.latest.signed_at:%d %b %Y}"
        detail = f"{rows} row{'s' if rows != 1 else ''} changed since it was approved on {when}."
    if ledger.signs_own_change(SOA, user, management_system):
        detail = f"{detail} {OWN_CHANGE_NOTE}"
    url = reverse("controls:soa_approve", args=[management_system.pk])
    return [WorkItem(key=f"{SOA}:{management_system.pk}:{head}", kind=SIGNATURE, title=title, url=url, detail=detail)]


def register() -> None:
    """Declare this app's work contributions (called from its AppConfig.ready())."""
    register_work_provider("soa_approval", soa_to_approve, order=10)
