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

A pack may be scoped to what an auditor samples (``PackScope`` on ``data.pack_scope``): chosen
AI systems, clauses or sections. Sections outside the chosen clauses and sections are left out of
the pack (``sections_for``); with AI systems chosen, each section keeps only its rows that concern
them with ``data.only_concerning(model, rows, systems_of)`` (or notes the rows that do with
``data.note_concerning``), so that the evidence, the sign-offs and the change log can leave out
what belongs to other systems.

A section that shows something the history tables cannot give back later (the readiness
checks read the registers as they are now) declares ``prepare(pack)``: it runs when the pack is
requested, inside the request's transaction, to record what the gatherer reads afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
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


def clause_list(text: str) -> list[str]:
    """The clauses a section's ``clause`` names ("6.1.2, 8.2" -> ["6.1.2", "8.2"])."""
    return [part.strip() for part in text.split(",") if part.strip()]


def clause_covers(chosen: str, declared: str) -> bool:
    """Whether a section that declares a clause evidences a chosen clause.

    The same clause, a subclause of the chosen one ("6.1" chosen, "6.1.2" declared), or a
    clause the chosen one belongs to ("8.2" chosen, "8" declared).
    """
    return chosen == declared or declared.startswith(chosen + ".") or chosen.startswith(declared + ".")


@dataclass(frozen=True)
class PackScope:
    """What a pack is scoped to: chosen AI systems (references), clauses and sections; all empty = the whole pack.

    A section is in the pack when it is chosen or evidences a chosen clause (either chosen
    list alone restricts; both together add up). ``ai_system_ids`` are the chosen systems' ids,
    set when the pack is gathered; None when no AI system was chosen.
    """

    ai_systems: tuple[str, ...] = ()
    clauses: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    ai_system_ids: frozenset[int] | None = None

    @property
    def is_whole(self) -> bool:
        return not (self.ai_systems or self.clauses or self.sections)

    @property
    def by_systems(self) -> bool:
        return self.ai_system_ids is not None

    def includes(self, section: PackSection) -> bool:
        """Whether a section belongs in a pack of this scope."""
        if not self.clauses and not self.sections:
            return True
        if section.key in self.sections:
            return True
        return any(clause_covers(chosen, declared) for chosen in self.clauses for declared in section.clauses)

    def concerns(self, system_ids: Iterable[int]) -> bool:
        """Whether a record naming these AI systems belongs in the pack (always, without chosen systems)."""
        return self.ai_system_ids is None or not self.ai_system_ids.isdisjoint(system_ids)

    def with_ids(self, ids: Iterable[int]) -> PackScope:
        return replace(self, ai_system_ids=frozenset(ids) if self.ai_systems else None)

    @property
    def description(self) -> str:
        return self.describe()

    def describe(self) -> str:
        """The scope in a sentence: "Scoped to AI systems AIS-003, AIS-007; clauses 6.1, 8.2", or the whole system."""
        if self.is_whole:
            return "Whole management system"
        parts = []
        if self.ai_systems:
            parts.append(f"AI system{'s' if len(self.ai_systems) != 1 else ''} {', '.join(self.ai_systems)}")
        if self.clauses:
            parts.append(f"clause{'s' if len(self.clauses) != 1 else ''} {', '.join(self.clauses)}")
        if self.sections:
            names = [_SECTIONS[key].title if key in _SECTIONS else key for key in self.sections]
            parts.append(f"section{'s' if len(self.sections) != 1 else ''} {', '.join(names)}")
        return "Scoped to " + "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ai_systems": list(self.ai_systems),
            "clauses": list(self.clauses),
            "sections": list(self.sections),
            "description": self.describe(),
        }


@dataclass
class PackData:
    """What the pack's templates render: the pack, the management system as of its date, and each section's parts."""

    pack: Any
    management_system: Any
    sections: list[PackSection]
    generated_at: datetime
    users: dict[int, Any] = field(default_factory=dict)
    parts: dict[str, Any] = field(default_factory=dict)
    pack_scope: PackScope = field(default_factory=PackScope)
    # With AI systems chosen: the ids of the records, by model, that concern them and that were left out.
    kept: dict[type, set[int]] = field(default_factory=dict)
    left_out: dict[type, set[int]] = field(default_factory=dict)
    noted: dict[type, set[int]] = field(default_factory=dict)  # shown all the same, but naming the chosen systems

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

    def only_concerning(self, model: type, rows: list[Any], systems_of: Callable[[Any], Iterable[int]]) -> list[Any]:
        """The rows that concern the chosen AI systems (every row when none was chosen); the others are left out.

        ``systems_of(row)`` gives the ids of the AI systems a row names. What is kept and left
        out is noted by model, for the evidence, the sign-offs and the change log.
        """
        if not self.pack_scope.by_systems:
            return rows
        kept, left_out = self.kept.setdefault(model, set()), self.left_out.setdefault(model, set())
        found = []
        for row in rows:
            if self.pack_scope.concerns(systems_of(row)):
                found.append(row)
                kept.add(row.id)
            else:
                left_out.add(row.id)
        return found

    def note_concerning(self, model: type, rows: list[Any], systems_of: Callable[[Any], Iterable[int]]) -> None:
        """Note the rows that concern the chosen AI systems, for a section that shows every row all the same."""
        if self.pack_scope.by_systems:
            noted = self.noted.setdefault(model, set())
            noted.update(row.id for row in rows if self.pack_scope.concerns(systems_of(row)))

    def leave_out(self, model: type, ids: Iterable[int]) -> None:
        """Note records left out of a scoped pack that no section reads (the rows of a left-out record)."""
        if self.pack_scope.by_systems:
            self.left_out.setdefault(model, set()).update(ids)

    def left_out_references(self) -> frozenset[str]:
        """The references of every record left out so far (one query per kind of record), e.g. to drop findings naming them."""
        found: set[str] = set()
        for model, ids in self.left_out.items():
            if ids and any(f.name == "reference" for f in model._meta.concrete_fields):
                found.update(model._base_manager.filter(pk__in=ids).values_list("reference", flat=True))
        return frozenset(found)

    def is_left_out(self, model: type | None, record_id: int) -> bool:
        """Whether a section left this record out of the pack because it concerns other AI systems only."""
        return model is not None and record_id in self.left_out.get(model, ())

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

    @property
    def clauses(self) -> list[str]:
        return clause_list(self.clause)


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


def sections_for(kind: str, scope: PackScope | None = None) -> list[PackSection]:
    """The sections a kind of pack contains (within the scope, if one is given), in the auditor's order."""
    found = (s for s in _SECTIONS.values() if kind in s.kinds and (scope is None or scope.includes(s)))
    return sorted(found, key=lambda s: (s.order, s.key))


def prepare_sections(pack: Any) -> None:
    """Let the sections of the pack's kind record, when it is requested, what they will show.

    Every section of the kind, whatever the pack's scope: a section in scope may read another's parts.
    """
    for section in sections_for(pack.kind):
        if section.prepare is not None:
            section.prepare(pack)


def pack_section(key: str) -> PackSection:
    return _SECTIONS[key]
