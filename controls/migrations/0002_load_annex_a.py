"""Load the ISO/IEC 42001:2023 Annex A catalog from the project's own data file."""

from pathlib import Path

import yaml
from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "iso42001-annex-a.yaml"
FRAMEWORK = "iso42001-2023-annex-a"


def load_catalog(apps, schema_editor):
    Framework = apps.get_model("controls", "Framework")
    ControlArea = apps.get_model("controls", "ControlArea")
    ControlObjective = apps.get_model("controls", "ControlObjective")
    Control = apps.get_model("controls", "Control")
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    framework, _ = Framework.objects.update_or_create(
        key=FRAMEWORK,
        defaults={"name": f"{data['standard']} Annex {data['annex']}", "source": f"controls/data/{DATA.name}"},
    )
    areas, objectives = {}, {}
    for position, group in enumerate(data["groups"], start=1):
        area, _ = ControlArea.objects.update_or_create(
            framework=framework, key=group["id"], defaults={"title": group["title"], "position": position}
        )
        areas[group["id"]] = area
        for index, objective in enumerate(group["objectives"], start=1):
            objectives[objective["id"]], _ = ControlObjective.objects.update_or_create(
                area=area, key=objective["id"], defaults={"summary": objective["summary"], "position": index}
            )
    for position, control in enumerate(data["controls"], start=1):
        # A control's objective is its sub-area's (A.6.1, A.6.2) or else its area's only one (A.x.1).
        objective_key = control.get("subgroup") or f"{control['group']}.1"
        Control.objects.update_or_create(
            framework=framework,
            key=control["id"],
            defaults={
                "area": areas[control["group"]],
                "objective": objectives[objective_key],
                "title": control["title"],
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("controls", "0001_initial")]

    operations = [migrations.RunPython(load_catalog, migrations.RunPython.noop)]
