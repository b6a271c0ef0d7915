"""On PostgreSQL, a trigger refuses UPDATE and DELETE on sign-offs (they are append-only)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION aims_signoff_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'aims_signoff is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS aims_signoff_append_only ON aims_signoff;
CREATE TRIGGER aims_signoff_append_only
    BEFORE UPDATE OR DELETE ON aims_signoff
    FOR EACH ROW EXECUTE FUNCTION aims_signoff_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS aims_signoff_append_only ON aims_signoff;
DROP FUNCTION IF EXISTS aims_signoff_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("aims", "0002_signoff")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
