"""On PostgreSQL, triggers keep evidence, its links and its download records append-only.

An evidence row may not be deleted, and an UPDATE may change nothing but ``uploaded_by_id``
(set to NULL by the database cascade when a user account is removed). Links and download
records may be neither updated nor deleted.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION evidence_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR (to_jsonb(NEW) - 'uploaded_by_id') IS DISTINCT FROM (to_jsonb(OLD) - 'uploaded_by_id') THEN
        RAISE EXCEPTION '% is append-only: % refused (record a corrected version instead)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION evidence_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS evidence_evidence_immutable ON evidence_evidence;
CREATE TRIGGER evidence_evidence_immutable BEFORE UPDATE OR DELETE ON evidence_evidence
    FOR EACH ROW EXECUTE FUNCTION evidence_immutable();
DROP TRIGGER IF EXISTS evidence_evidencelink_append_only ON evidence_evidencelink;
CREATE TRIGGER evidence_evidencelink_append_only BEFORE UPDATE OR DELETE ON evidence_evidencelink
    FOR EACH ROW EXECUTE FUNCTION evidence_append_only();
DROP TRIGGER IF EXISTS evidence_evidencedownload_append_only ON evidence_evidencedownload;
CREATE TRIGGER evidence_evidencedownload_append_only BEFORE UPDATE OR DELETE ON evidence_evidencedownload
    FOR EACH ROW EXECUTE FUNCTION evidence_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS evidence_evidence_immutable ON evidence_evidence;
DROP TRIGGER IF EXISTS evidence_evidencelink_append_only ON evidence_evidencelink;
DROP TRIGGER IF EXISTS evidence_evidencedownload_append_only ON evidence_evidencedownload;
DROP FUNCTION IF EXISTS evidence_immutable();
DROP FUNCTION IF EXISTS evidence_append_only();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0002_copy_from_registers")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
