"""On PostgreSQL, gateway events are append-only in the database too (no UPDATE, DELETE or TRUNCATE).

The approver is protected (a user who approved is deactivated, never deleted) and covered by the
event's digest, so no column may change: ``nullable_user`` names no column. Bodies stay deletable.
"""

from django.db import migrations

from aims.append_only import refuse_row_changes, refuse_truncate

TABLE = "gateway_gatewayevent"


class Migration(migrations.Migration):
    dependencies = [("gateway", "0001_initial"), ("aims", "0010_refuse_truncate")]

    operations = [
        refuse_row_changes(TABLE, function="gateway_event_immutable", nullable_user="", hint="append an event instead"),
        refuse_truncate(TABLE),
    ]
