"""On PostgreSQL, a statement-level trigger refuses TRUNCATE of pack download records."""

from django.db import migrations

from aims.append_only import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("packs", "0002_downloads_append_only"), ("aims", "0007_refuse_truncate")]

    operations = [refuse_truncate("packs_packdownload")]
