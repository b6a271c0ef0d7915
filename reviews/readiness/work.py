"""The failing readiness checks as "my work": one item per failing check, for members who edit the registers."""

from __future__ import annotations

from datetime import date
from typing import Any

from aims import access
from aims.access import Action
from aims.readiness import evaluate
from aims.work import CHECK, WorkItem


def checks_to_fix(user: Any, management_system: Any, today: date) -> list[WorkItem]:
    """Each failing check, for the owner and compliance officers (who may edit every register)."""
    if not access.can(user, Action.EDIT, management_system):
        return []
    readiness = evaluate(management_system)
    return [
        WorkItem(
            key=f"readiness:{result.id}",
            kind=CHECK,
            title=f"{result.severity_label}: {result.check.title} ({result.check.clause})",
            url=result.fix_url,
            detail=result.message,
            management_system_id=management_system.pk,
        )
        for result in readiness.results
        if not result.ok
    ]
