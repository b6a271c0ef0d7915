"""Append-only tables in the database itself: row triggers refusing UPDATE and DELETE, and a
statement-level trigger that refuses TRUNCATE.

``refuse_row_changes`` adds the row triggers of an append-only table whose rows may change in one
column only (the acting user's id, set to NULL when a user account is removed).

Row-level triggers (one migration per app) refuse UPDATE and DELETE on sign-offs, evidence,
downloads and every other append-only table, but row triggers never fire for ``TRUNCATE``.
Each append-only table therefore also gets ``BEFORE TRUNCATE ... FOR EACH STATEMENT``,
added from a migration with ``refuse_truncate``::

    from aims.append_only import refuse_truncate

    class Migration(migrations.Migration):
        dependencies = [("aims", "0010_refuse_truncate"), ...]
        operations = [refuse_truncate("gateway_event")]

Triggers only hold against a role that does not own the tables: an owner (or a superuser)
can disable or drop them. The README's production set-up therefore runs the application as
a role that owns no table (``manage.py postgres_roles`` prints the commands), and the chain is
signed and anchored outside the database (``aims.signing``, ``aims.anchors``). SQLite has no
TRUNCATE: nothing is added there. Used by migrations: keep what it creates stable.
"""

from __future__ import annotations

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION aims_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def trigger_name(table: str) -> str:
    return f"{table}_refuse_truncate"


def _create(table: str) -> str:
    name = trigger_name(table)
    return (
        f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
        f"CREATE TRIGGER {name} BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION aims_refuse_truncate();"
    )


def refuse_truncate(*tables: str) -> migrations.RunPython:
    """A migration operation adding the TRUNCATE trigger to each table (PostgreSQL only; reversible)."""

    def forwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(FUNCTION + "\n".join(_create(table) for table in tables), params=None)

    def backwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            drops = "\n".join(f"DROP TRIGGER IF EXISTS {trigger_name(table)} ON {table};" for table in tables)
            schema_editor.execute(drops, params=None)

    return migrations.RunPython(forwards, backwards)


def refuse_row_changes(table: str, *, function: str, nullable_user: str, hint: str) -> migrations.RunPython:
    """A migration operation refusing DELETE, and any UPDATE but ``nullable_user``'s, on ``table`` (PostgreSQL only).

    ``function`` names the trigger function, ``hint`` ends the refusal's message ("add an entry
    instead"). Reversible.
    """
    trigger = f"{table}_append_only"
    create = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (to_jsonb(NEW) - '{nullable_user}') IS DISTINCT FROM (to_jsonb(OLD) - '{nullable_user}') THEN
        RAISE EXCEPTION '% is append-only: % refused ({hint})', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {trigger} ON {table};
CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
"""
    drop = f"""
DROP TRIGGER IF EXISTS {trigger} ON {table};
DROP FUNCTION IF EXISTS {function}();
"""

    def forwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(create, params=None)

    def backwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop, params=None)

    return migrations.RunPython(forwards, backwards)
