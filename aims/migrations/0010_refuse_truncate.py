"""On PostgreSQL, a statement-level trigger refuses TRUNCATE of sign-offs (row triggers do not fire for it)."""

from django.db import migrations

from aims.append_only import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("aims", "0009_signoff_signature")]

    operations = [refuse_truncate("aims_signoff")]
