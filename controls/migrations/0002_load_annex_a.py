"""Load the ISO/IEC 42001:2023 Annex A catalog from the project's own data file."""

from django.db import migrations

from controls.catalog import catalog_load


def load_catalog(apps, schema_editor):
    catalog_load(
        apps.get_model("controls", "Framework"),
        apps.get_model("controls", "ControlArea"),
        apps.get_model("controls", "ControlObjective"),
        apps.get_model("controls", "Control"),
    )


class Migration(migrations.Migration):
    dependencies = [("controls", "0001_initial")]

    operations = [migrations.RunPython(load_catalog, migrations.RunPython.noop)]
