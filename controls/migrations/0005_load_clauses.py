"""Load ISO/IEC 42001:2023 clauses 4 to 10 as the second requirements catalogue, next to Annex A."""

from django.db import migrations

from controls.catalog import clauses_load


def load_clauses(apps, schema_editor):
    clauses_load(
        apps.get_model("controls", "Framework"),
        apps.get_model("controls", "ControlArea"),
        apps.get_model("controls", "Control"),
    )


class Migration(migrations.Migration):
    dependencies = [("controls", "0004_control_summary_and_documented_information")]

    operations = [migrations.RunPython(load_clauses, migrations.RunPython.noop)]
