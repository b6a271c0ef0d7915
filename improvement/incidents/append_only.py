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

from aims.append_only import refuse_row_changes

TABLE = "improvement_timelineentry"


def timeline_append_only() -> migrations.RunPython:
    """A migration operation adding the timeline's row triggers (PostgreSQL only; reversible)."""
    return refuse_row_changes(
        TABLE, function="improvement_timeline_immutable", nullable_user="author_id", hint="add an entry instead"
    )
