"""The scope of a pack request: check and normalise what an auditor samples.

A scope names AI systems by reference (of the management system), clauses or Annex A controls
("6.1", "A.6", "A.6.2.4": a clause or control of the catalogue, or one a section of the pack's
kind declares), and sections by key (of the pack's kind). Anything unknown is refused with a
``ValidationError`` naming it, under the field it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError

from aims.pack_sections import PackScope, clause_covers, sections_for
from controls.models import Control, ControlArea, ControlObjective
from registers.models import AISystem

MAX_ITEMS = 200
CLAUSE_PATTERN = re.compile(r"^(A\.)?\d{1,2}(\.\d{1,2}){0,3}$")
FIELDS = ("ai_systems", "clauses", "sections")


def split_items(value: Any) -> list[str]:
    """A list from a list, or from text separated by commas, semicolons, spaces or new lines."""
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(r"[\s,;]+", value)
    return [str(item).strip() for item in value if str(item).strip()]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _too_many(name: str, items: list[str]) -> None:
    if len(items) > MAX_ITEMS:
        raise ValidationError({name: [f"Choose at most {MAX_ITEMS}; {len(items)} were given."]})


def _ai_systems(management_system: Any, items: list[str]) -> list[str]:
    references = _unique(item.upper() for item in items)
    _too_many("scope_ai_systems", references)
    known = set(
        AISystem.objects.filter(management_system=management_system, reference__in=references).values_list(
            "reference", flat=True
        )
    )
    unknown = [ref for ref in references if ref not in known]
    if unknown:
        raise ValidationError({"scope_ai_systems": [f"No AI system {', '.join(unknown)} in {management_system.name}."]})
    return sorted(references)


def _known_clause_keys() -> set[str]:
    return {
        key for model in (Control, ControlArea, ControlObjective) for key in model.objects.values_list("key", flat=True)
    }


def _clauses(kind: str, items: list[str]) -> list[str]:
    clauses = _unique(item.upper().rstrip(".") for item in items)
    _too_many("scope_clauses", clauses)
    malformed = [c for c in clauses if not CLAUSE_PATTERN.match(c)]
    if malformed:
        raise ValidationError(
            {"scope_clauses": [f"Not a clause or Annex A control: {', '.join(malformed)} (write e.g. 6.1 or A.6)."]}
        )
    declared = {clause for section in sections_for(kind) for clause in section.clauses}
    catalogue = _known_clause_keys()
    unknown = [c for c in clauses if c not in catalogue and not any(clause_covers(c, d) for d in declared)]
    if unknown:
        raise ValidationError({"scope_clauses": [f"Unknown clause or control: {', '.join(unknown)}."]})
    uncovered = [c for c in clauses if not any(clause_covers(c, d) for d in declared)]
    if uncovered:
        raise ValidationError(
            {"scope_clauses": [f"No section of this kind of pack evidences clause {', '.join(uncovered)}."]}
        )
    return clauses


def _sections(kind: str, items: list[str]) -> list[str]:
    keys = _unique(item.lower() for item in items)
    _too_many("scope_sections", keys)
    available = [s.key for s in sections_for(kind)]
    unknown = [key for key in keys if key not in available]
    if unknown:
        raise ValidationError(
            {
                "scope_sections": [
                    f"No section {', '.join(unknown)} in this kind of pack; choose from {', '.join(available)}."
                ]
            }
        )
    return [key for key in available if key in keys]  # in the pack's order


def clean_scope(
    management_system: Any, kind: str, ai_systems: Any = None, clauses: Any = None, sections: Any = None
) -> PackScope:
    """The scope, normalised (references upper case and sorted, sections in the pack's order), or a ValidationError."""
    return PackScope(
        ai_systems=tuple(_ai_systems(management_system, split_items(ai_systems))),
        clauses=tuple(_clauses(kind, split_items(clauses))),
        sections=tuple(_sections(kind, split_items(sections))),
    )
