"""Seed the reference counters from every register's history, so no next reference reads it again.

The history tables are found in the database itself (``<app>_historical<model>`` with a
``reference`` and a ``management_system_id``), whatever order the apps' migrations run in; a
register missing here (created later) makes its counter from its history the first time it
is asked for a reference (``aims.services._counter``).
"""

import re

from django.db import migrations

REFERENCE = re.compile(r"([A-Za-z]+)-(\d+)")


def seed(apps, schema_editor):
    connection = schema_editor.connection
    Counter = apps.get_model("aims", "ReferenceCounter")
    highest: dict[tuple[int, str, str], int] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            app_label, marker, model_name = table.partition("_historical")
            if not marker or not model_name:
                continue
            columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
            if not {"reference", "management_system_id"} <= columns:
                continue
            quoted = schema_editor.quote_name(table)
            cursor.execute(f"SELECT DISTINCT management_system_id, reference FROM {quoted}")  # noqa: S608 (a table name)
            for ms_id, reference in cursor.fetchall():
                match = REFERENCE.fullmatch(reference or "")
                if match is None or ms_id is None:
                    continue
                key = (ms_id, f"{app_label}.{model_name}", match.group(1))
                highest[key] = max(highest.get(key, 0), int(match.group(2)))
    systems = set(apps.get_model("aims", "ManagementSystem").objects.values_list("pk", flat=True))
    existing = set(Counter.objects.values_list("management_system_id", "register", "prefix"))
    Counter.objects.bulk_create(
        [
            Counter(management_system_id=ms_id, register=register, prefix=prefix, last=last)
            for (ms_id, register, prefix), last in highest.items()
            if ms_id in systems and (ms_id, register, prefix) not in existing
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("aims", "0012_reference_counter")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop, elidable=True)]
