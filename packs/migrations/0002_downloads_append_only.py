"""On PostgreSQL, a trigger keeps pack download records append-only."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION packs_packdownload_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'packs_packdownload is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS packs_packdownload_append_only ON packs_packdownload;
CREATE TRIGGER packs_packdownload_append_only BEFORE UPDATE OR DELETE ON packs_packdownload
    FOR EACH ROW EXECUTE FUNCTION packs_packdownload_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS packs_packdownload_append_only ON packs_packdownload;
DROP FUNCTION IF EXISTS packs_packdownload_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("packs", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
