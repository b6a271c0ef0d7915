"""Load the requirement catalogues from the project's own data files (used by the data migrations).

Two catalogues of ISO/IEC 42001:2023 share one model: Annex A (the 38 controls of the
Statement of Applicability) and clauses 4 to 10 (the management system requirements, each
with the documented information it requires). Findings, nonconformities and audit scopes
refer to either with one kind of reference (a ``Control``).

The loaders take the model classes as arguments so migrations can pass their historical
models; ``catalog_ensure`` reloads what is missing if the tables were emptied (a database
flush, as transactional tests do), so SoA rows can always be created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data" / "iso42001-annex-a.yaml"
CLAUSES_DATA = Path(__file__).resolve().parent / "data" / "iso42001-clauses.yaml"
ANNEX_A = "iso42001-2023-annex-a"
CLAUSES = "iso42001-2023-clauses"


def catalog_load(framework_model: Any, area_model: Any, objective_model: Any, control_model: Any) -> int:
    """Create or update ISO/IEC 42001 Annex A from the data file; return the number of controls."""
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    framework, _ = framework_model.objects.update_or_create(
        key=ANNEX_A,
        defaults={"name": f"{data['standard']} Annex {data['annex']}", "source": f"controls/data/{DATA.name}"},
    )
    areas, objectives = {}, {}
    for position, group in enumerate(data["groups"], start=1):
        area, _ = area_model.objects.update_or_create(
            framework=framework, key=group["id"], defaults={"title": group["title"], "position": position}
        )
        areas[group["id"]] = area
        for index, objective in enumerate(group["objectives"], start=1):
            objectives[objective["id"]], _ = objective_model.objects.update_or_create(
                area=area, key=objective["id"], defaults={"summary": objective["summary"], "position": index}
            )
    for position, control in enumerate(data["controls"], start=1):
        # A control's objective is its sub-area's (A.6.1, A.6.2) or else its area's only one (A.x.1).
        objective_key = control.get("subgroup") or f"{control['group']}.1"
        control_model.objects.update_or_create(
            framework=framework,
            key=control["id"],
            defaults={
                "area": areas[control["group"]],
                "objective": objectives[objective_key],
                "title": control["title"],
                "position": position,
            },
        )
    return len(data["controls"])


def clauses_load(framework_model: Any, area_model: Any, control_model: Any) -> int:
    """Create or update clauses 4 to 10 (with the documented information each requires); return their number."""
    data = yaml.safe_load(CLAUSES_DATA.read_text(encoding="utf-8"))
    framework, _ = framework_model.objects.update_or_create(
        key=CLAUSES,
        defaults={"name": "ISO/IEC 42001:2023 clauses 4 to 10", "source": f"controls/data/{CLAUSES_DATA.name}"},
    )
    areas = {}
    for position, group in enumerate(data["groups"], start=1):
        areas[group["id"]], _ = area_model.objects.update_or_create(
            framework=framework, key=group["id"], defaults={"title": group["title"], "position": position}
        )
    for position, clause in enumerate(data["clauses"], start=1):
        control_model.objects.update_or_create(
            framework=framework,
            key=clause["id"],
            defaults={
                "area": areas[clause["group"]],
                "objective": None,
                "title": clause["title"],
                "summary": clause.get("summary", ""),
                "documented_information": clause.get("di", ""),
                "documented_information_what": clause.get("di_what", ""),
                "position": position,
            },
        )
    return len(data["clauses"])


def catalog_ensure() -> None:
    """Load Annex A and the clauses if they are missing."""
    from controls.models import Control, ControlArea, ControlObjective, Framework

    if not Control.objects.filter(framework__key=ANNEX_A).exists():
        catalog_load(Framework, ControlArea, ControlObjective, Control)
    if not Control.objects.filter(framework__key=CLAUSES).exists():
        clauses_load(Framework, ControlArea, Control)
