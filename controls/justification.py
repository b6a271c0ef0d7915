"""What an SoA row's justification cites, from the apps above this one (the legal register, risks, policy).

``controls`` sits below the apps that hold those records, so they register a *justification
source* here (``register_justification_source``) and the SoA page, its history and the pack
section read every source through ``attach_justifications`` without importing them. Each source
answers for a whole page of rows at once: one call (a constant number of queries) for all rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aims.models import ManagementSystem

# (management system, SoA row ids, as of or None for now) -> {row id: short labels such as "REQ-003 EU AI Act Art. 26"}
Reader = Callable[[ManagementSystem, list[int], datetime | None], dict[int, list[str]]]


@dataclass(frozen=True)
class JustificationSource:
    key: str
    label: str  # what the SoA calls the list: "Cites"
    read: Reader
    url: Callable[[Any], str]  # the page where an editor adds or removes them for a row
    link_text: str = "Cite…"


_SOURCES: dict[str, JustificationSource] = {}


def register_justification_source(
    *, key: str, label: str, read: Reader, url: Callable[[Any], str], link_text: str = "Cite…"
) -> None:
    """Add (or replace) a source of citations for SoA rows; called from an app's ``ready()``."""
    _SOURCES[key] = JustificationSource(key=key, label=label, read=read, url=url, link_text=link_text)


def justification_sources() -> list[JustificationSource]:
    return list(_SOURCES.values())


CITED_SHOWN = 5  # citations of one source the SoA page names per row (the row's history page lists all)


@dataclass(frozen=True)
class Cited:
    """What one source says one row cites, and (for editors) where to change it."""

    label: str
    items: list[str]
    url: str = ""
    link_text: str = ""

    @property
    def shown(self) -> list[str]:
        """The first few items, as the SoA page names them."""
        return self.items[:CITED_SHOWN]

    @property
    def more(self) -> int:
        return len(self.items) - len(self.shown)


def attach_justifications(
    rows: Iterable[Any], management_system: ManagementSystem, *, as_of: datetime | None = None, editable: bool = False
) -> None:
    """Give each row ``cited``: the sources' citations (as of a moment if given), with links when ``editable``."""
    rows = list(rows)
    ids = [row.pk for row in rows]
    readings = [(source, source.read(management_system, ids, as_of) if ids else {}) for source in _SOURCES.values()]
    for row in rows:
        row.cited = [
            Cited(
                label=source.label,
                items=found.get(row.pk, []),
                url=source.url(row) if editable else "",
                link_text=source.link_text,
            )
            for source, found in readings
        ]
