"""On PostgreSQL, a statement-level trigger refuses TRUNCATE of pack download records."""

from django.db import migrations

from aims.append_only import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("packs", "0003_pack_heartbeat_and_not_queued"), ("aims", "0010_refuse_truncate")]

    operations = [refuse_truncate("packs_packdownload")]
