"""On PostgreSQL, incidents' timelines are append-only in the database too (no UPDATE, DELETE or TRUNCATE)."""

from django.db import migrations

from aims.append_only import refuse_truncate
from improvement.incidents.append_only import TABLE, timeline_append_only


class Migration(migrations.Migration):
    dependencies = [("improvement", "0001_initial")]

    operations = [timeline_append_only(), refuse_truncate(TABLE)]
