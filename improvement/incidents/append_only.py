"""On PostgreSQL, the database itself keeps incidents' timelines append-only.

``TimelineEntry`` refuses changes and deletions in the application (model and queryset);
these triggers refuse them to SQL too: no DELETE, and an UPDATE may change nothing but
``author_id`` (set to NULL when a user account is removed). TRUNCATE is refused by
``aims.append_only.refuse_truncate``. A migration of the ``improvement`` app applies both::

    from aims.append_only import refuse_truncate
    from improvement.incidents.append_only import timeline_append_only

    operations = [timeline_append_only(), refuse_truncate(TABLE)]

SQLite has no triggers of this kind here: nothing is added there. Used by migrations: keep
what it creates stable.
"""

from __future__ import annotations

from django.db import migrations

TABLE = "improvement_timelineentry"
TRIGGER = f"{TABLE}_append_only"
CREATE = f"""
CREATE OR REPLACE FUNCTION improvement_timeline_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (to_jsonb(NEW) - 'author_id') IS DISTINCT FROM (to_jsonb(OLD) - 'author_id') THEN
        RAISE EXCEPTION '% is append-only: % refused (add an entry instead)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION improvement_timeline_immutable();
"""
DROP = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
DROP FUNCTION IF EXISTS improvement_timeline_immutable();
"""


def _forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def _backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


def timeline_append_only() -> migrations.RunPython:
    """A migration operation adding the timeline's row triggers (PostgreSQL only; reversible)."""
    return migrations.RunPython(_forwards, _backwards)
