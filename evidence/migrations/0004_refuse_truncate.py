"""On PostgreSQL, statement-level triggers refuse TRUNCATE of evidence, its links and its downloads."""

from django.db import migrations

from aims.append_only import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("evidence", "0003_append_only"), ("aims", "0010_refuse_truncate")]

    operations = [refuse_truncate("evidence_evidence", "evidence_evidencelink", "evidence_evidencedownload")]
