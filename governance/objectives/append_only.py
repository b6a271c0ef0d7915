"""On PostgreSQL, the database itself keeps measurements append-only.

``Measurement`` refuses changes and deletions in the application (model and queryset); these
triggers refuse them to SQL too: no DELETE, and an UPDATE may change nothing but
``recorded_by_id`` (set to NULL when a user account is removed). TRUNCATE is refused by
``aims.append_only.refuse_truncate``. Applied by ``governance/migrations/0002_measurements_append_only.py``.
SQLite has no triggers of this kind here. Used by migrations: keep what it creates stable.
"""

from __future__ import annotations

from django.db import migrations

from aims.append_only import refuse_row_changes

TABLE = "governance_measurement"


def measurements_append_only() -> migrations.RunPython:
    """A migration operation adding the measurements' row triggers (PostgreSQL only; reversible)."""
    return refuse_row_changes(
        TABLE,
        function="governance_measurement_immutable",
        nullable_user="recorded_by_id",
        hint="record a correction instead",
    )
