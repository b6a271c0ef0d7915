"""Load a control catalog from the project's own data file (used by the data migration).

``catalog_load`` takes the model classes as arguments so the migration can pass its
historical models; ``catalog_ensure`` reloads the catalog if the tables were emptied
(a database flush, as transactional tests do), so SoA rows can always be created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data" / "iso42001-annex-a.yaml"
ANNEX_A = "iso42001-2023-annex-a"


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


def catalog_ensure() -> None:
    """Load Annex A if its controls are missing."""
    from controls.models import Control, ControlArea, ControlObjective, Framework

    if not Control.objects.filter(framework__key=ANNEX_A).exists():
        catalog_load(Framework, ControlArea, ControlObjective, Control)
