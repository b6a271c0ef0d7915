"""What the governance app contributes to the readiness checks (``aims.readiness``): one module per area."""

from __future__ import annotations


def register() -> None:
    """Declare this app's readiness contributions (called from its AppConfig.ready())."""
    from governance.readiness import documents, objectives, organisation

    documents.register()
    organisation.register()
    objectives.register()
