"""On PostgreSQL, the database itself keeps measurements append-only.

``Measurement`` refuses changes and deletions in the application (model and queryset); these
triggers refuse them to SQL too: no DELETE, and an UPDATE may change nothing but
``recorded_by_id`` (set to NULL when a user account is removed). TRUNCATE is refused by
``aims.append_only.refuse_truncate``. Applied by ``governance/migrations/0002_measurements_append_only.py``.
The tests' flush switches every trigger off for its own transaction (``tests/conftest.py``), so
nothing needs registering there. SQLite has no triggers of this kind here: nothing is added
there. Used by migrations: keep what it creates stable.
"""

from __future__ import annotations

from django.db import migrations

TABLE = "governance_measurement"
TRIGGER = f"{TABLE}_append_only"
CREATE = f"""
CREATE OR REPLACE FUNCTION governance_measurement_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (to_jsonb(NEW) - 'recorded_by_id') IS DISTINCT FROM (to_jsonb(OLD) - 'recorded_by_id') THEN
        RAISE EXCEPTION '% is append-only: % refused (record a correction instead)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION governance_measurement_immutable();
"""
DROP = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
DROP FUNCTION IF EXISTS governance_measurement_immutable();
"""


def _forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def _backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


def measurements_append_only() -> migrations.RunPython:
    """A migration operation adding the measurements' row triggers (PostgreSQL only; reversible)."""
    return migrations.RunPython(_forwards, _backwards)
