"""Wiring of the incidents register family into the kit: the reporting decision as a kind of sign-off,
incidents as evidence targets, the overview panel, and the check of the reporting rules file."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.urls import reverse


def incident_url(incident: Any) -> str:
    return reverse("improvement:incident_detail", args=[incident.management_system_id, incident.pk])


def overview_panel(request: Any, management_system: Any) -> dict[str, Any] | None:
    from improvement.incidents import selectors

    return selectors.overview(user=request.user, management_system=management_system)


def register() -> None:
    """Called from ImprovementConfig.ready()."""
    import evidence
    from aims import hooks
    from improvement.incidents import rules, signoffs
    from improvement.models import Incident

    signoffs.register()
    evidence.register_linkable(Incident, key="incidents", label="AI incidents", order=70, url=incident_url)
    hooks.register_overview_panel(
        "incidents", template="improvement/incidents/partials/overview_panel.html", context=overview_panel, order=60
    )
    checks.register(rules.check_rules_file, "improvement")
