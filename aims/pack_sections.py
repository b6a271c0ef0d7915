"""The sections of an audit pack: a registry that every app contributes to.

An app declares each section it owns from its ``AppConfig.ready()``::

    from aims.pack_sections import FULL, STAGE1, register_pack_section

    register_pack_section(
        "inventory",
        title="AI system inventory",
        clause="4.3, A.4",
        kinds={STAGE1, STAGE2, FULL},
        order=30,
        gather=gather_inventory,              # (data: PackData) -> None, reads as of data.as_of
        template="registers/pack/section_inventory.html",
    )

The ``packs`` app renders, for a pack of one kind, every section that kind includes, in
``order``. A gatherer reads the registers as they were at ``data.as_of`` (see
``aims.history.rows_as_of``) and puts what its template shows into ``data.parts``. Reads
that several sections share are done once with ``data.once(key, loader)``.

A section that shows something the history tables cannot give back later (the readiness
checks read the registers as they are now) declares ``prepare(pack)``: it runs when the pack is
requested, inside the request's transaction, to record what the gatherer reads afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STAGE1 = "stage1"
STAGE2 = "stage2"
FULL = "full"
ALL_KINDS = frozenset({STAGE1, STAGE2, FULL})


@dataclass
class DocumentControl:
    """The document control block printed at the head of a section (clause 7.5.2).

    ``approval`` is the section's approving sign-off as of the pack's date
    (``aims.signoff_currency.Currency``), or None for a section that is a record rather than
    an approved document.
    """

    identifier: str
    version: str
    owner: str = ""
    approval: Any = None
    next_review: Any = None
    note: str = ""


@dataclass
class PackData:
    """What the pack's templates render: the pack, the management system as of its date, and each section's parts."""

    pack: Any
    management_system: Any
    sections: list[PackSection]
    generated_at: datetime
    users: dict[int, Any] = field(default_factory=dict)
    parts: dict[str, Any] = field(default_factory=dict)

    @property
    def as_of(self) -> datetime:
        return self.pack.as_of

    @property
    def management_system_id(self) -> int:
        return self.pack.management_system_id

    def once(self, key: str, loader: Callable[[PackData], Any]) -> Any:
        """Read something several sections need only once: the loader's result is kept under ``key``."""
        if key not in self.parts:
            self.parts[key] = loader(self)
        return self.parts[key]

    def document_control(self, key: str, **fields: Any) -> None:
        """Describe the section ``key`` as a controlled document (identifier, version, approval, next review)."""
        self.parts.setdefault("document_controls", {})[key] = DocumentControl(**fields)

    def scope_fact(self, label: str, value: Any) -> None:
        """Add a line to the scope section's table (e.g. how many AI systems are in scope)."""
        self.parts.setdefault("scope_facts", []).append((label, value))

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["parts"][name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class PackSection:
    """One section of a pack: what it is called, which clause it evidences, how it is read and shown."""

    key: str
    title: str
    clause: str
    kinds: frozenset[str]
    order: int
    gather: Callable[[PackData], None]
    template: str
    prepare: Callable[[Any], None] | None = None  # (pack) -> None, when the pack is requested


_SECTIONS: dict[str, PackSection] = {}


def register_pack_section(
    key: str,
    *,
    title: str,
    clause: str,
    kinds: Iterable[str],
    order: int,
    gather: Callable[[PackData], None],
    template: str,
    prepare: Callable[[Any], None] | None = None,
) -> PackSection:
    """Declare a pack section (registering a key again replaces it)."""
    kinds = frozenset(kinds)
    unknown = kinds - ALL_KINDS
    if unknown:
        raise ValueError(f"Unknown pack kinds for section {key!r}: {sorted(unknown)}")
    section = PackSection(key, title, clause, kinds, order, gather, template, prepare)
    _SECTIONS[key] = section
    return section


def sections_for(kind: str) -> list[PackSection]:
    """The sections a kind of pack contains, in the auditor's order."""
    return sorted((s for s in _SECTIONS.values() if kind in s.kinds), key=lambda s: (s.order, s.key))


def prepare_sections(pack: Any) -> None:
    """Let the sections of the pack's kind record, when it is requested, what they will show."""
    for section in sections_for(pack.kind):
        if section.prepare is not None:
            section.prepare(pack)


def pack_section(key: str) -> PackSection:
    return _SECTIONS[key]
