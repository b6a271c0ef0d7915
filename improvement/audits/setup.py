"""Wiring of the audits register family into the kit (sign-off kinds, evidence links, panels)."""

from __future__ import annotations


def register() -> None:
    """Called from ImprovementConfig.ready()."""
    import evidence
    from aims import hooks
    from improvement.audits import finding_services, panels, signoffs
    from improvement.models import Finding, InternalAudit

    signoffs.register()
    evidence.register_linkable(
        InternalAudit, key="internal_audits", label="Internal audits", order=60, url=panels.audit_url
    )
    evidence.register_linkable(Finding, key="findings", label="Audit findings", order=61, url=panels.finding_url)
    hooks.register_reference_finder(finding_services.finding_references, probe=finding_services.finding_is_referenced)
    hooks.register_overview_panel(
        "internal_audits", template="improvement/audits/partials/overview_panel.html", context=panels.overview, order=60
    )
