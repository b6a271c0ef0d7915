"""Wiring of SoA citations into the kit: the SoA page, its history and its pack section read them
through ``controls.justification`` (controls sits below this app and cannot import it)."""

from __future__ import annotations

from controls.justification import register_justification_source
from governance.citations import selectors


def register() -> None:
    """Called from GovernanceConfig.ready()."""
    from governance.citations.views import page_url

    register_justification_source(key="citations", label="Cites", read=selectors.labels_by_row, url=page_url)
