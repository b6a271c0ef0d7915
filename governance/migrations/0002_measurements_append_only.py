"""On PostgreSQL, measurements are append-only in the database too (no UPDATE, DELETE or TRUNCATE)."""

from django.db import migrations

from aims.append_only import refuse_truncate
from governance.objectives.append_only import TABLE, measurements_append_only


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]

    operations = [measurements_append_only(), refuse_truncate(TABLE)]
