"""On PostgreSQL, triggers keep evidence and its download records append-only.

An evidence row may not be deleted, and an UPDATE may change nothing but ``uploaded_by_id``
(set to NULL by the database cascade when a user account is removed). Download records
may be neither updated nor deleted.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION registers_evidence_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR (to_jsonb(NEW) - 'uploaded_by_id') IS DISTINCT FROM (to_jsonb(OLD) - 'uploaded_by_id') THEN
        RAISE EXCEPTION '% is append-only: % refused (record a corrected version instead)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION registers_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS registers_evidence_immutable ON registers_evidence;
CREATE TRIGGER registers_evidence_immutable BEFORE UPDATE OR DELETE ON registers_evidence
    FOR EACH ROW EXECUTE FUNCTION registers_evidence_immutable();
DROP TRIGGER IF EXISTS registers_evidencedownload_append_only ON registers_evidencedownload;
CREATE TRIGGER registers_evidencedownload_append_only BEFORE UPDATE OR DELETE ON registers_evidencedownload
    FOR EACH ROW EXECUTE FUNCTION registers_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS registers_evidence_immutable ON registers_evidence;
DROP TRIGGER IF EXISTS registers_evidencedownload_append_only ON registers_evidencedownload;
DROP FUNCTION IF EXISTS registers_evidence_immutable();
DROP FUNCTION IF EXISTS registers_append_only();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("registers", "0003_evidence_links")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
