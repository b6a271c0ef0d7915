"""Indexes for every filter of the risk register and the impact assessments (page and API).

B-tree indexes per filter, on every database. On PostgreSQL, also trigram indexes for the
text search (``q``: ``UPPER(column::text) LIKE UPPER('%text%')``, as Django writes ``icontains``)
when the ``pg_trgm`` extension is there or can be created (it is a trusted extension from
PostgreSQL 13); without it the search reads the management system's rows, as before.
"""

from django.conf import settings
from django.db import migrations, models, transaction

SEARCHED = {
    "assessments_risk": ("title", "reference", "description"),
    "assessments_impactassessment": ("title", "reference"),
}


def _name(table: str, column: str) -> str:
    return f"{table.removeprefix('assessments_')}_{column}_trgm"


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    except Exception:  # noqa: BLE001 - no right to create it: keep the B-tree indexes only
        return
    for table, columns in SEARCHED.items():
        for column in columns:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS {_name(table, column)} ON "{table}" '
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)',
                params=None,
            )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, columns in SEARCHED.items():
        for column in columns:
            schema_editor.execute(f"DROP INDEX IF EXISTS {_name(table, column)}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('aims', '0010_refuse_truncate'),
        ('assessments', '0005_impact_criteria_and_reassessment'),
        ('controls', '0005_load_clauses'),
        ('registers', '0007_ai_system_roles'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='impactassessment',
            index=models.Index(fields=['management_system', 'retired_at', 'reference'], name='impact_ms_status_ref'),
        ),
        migrations.AddIndex(
            model_name='impactassessment',
            index=models.Index(fields=['management_system', 'decision', 'retired_at'], name='impact_ms_decision'),
        ),
        migrations.AddIndex(
            model_name='impactassessment',
            index=models.Index(fields=['management_system', 'trigger', 'retired_at'], name='impact_ms_trigger'),
        ),
        migrations.AddIndex(
            model_name='impactassessment',
            index=models.Index(fields=['management_system', 'next_review', 'retired_at'], name='impact_ms_review'),
        ),
        migrations.AddIndex(
            model_name='risk',
            index=models.Index(fields=['management_system', 'retired_at', 'reference'], name='risk_ms_status_ref'),
        ),
        migrations.AddIndex(
            model_name='risk',
            index=models.Index(fields=['management_system', 'source', 'retired_at'], name='risk_ms_source'),
        ),
        migrations.AddIndex(
            model_name='risk',
            index=models.Index(fields=['management_system', 'residual_level', 'inherent_level', 'retired_at'], name='risk_ms_level'),
        ),
        migrations.AddIndex(
            model_name='risk',
            index=models.Index(fields=['management_system', 'treatment_option', 'retired_at'], name='risk_ms_treatment'),
        ),
        migrations.AddIndex(
            model_name='risk',
            index=models.Index(fields=['management_system', 'owner', 'retired_at'], name='risk_ms_owner'),
        ),
        migrations.AddIndex(
            model_name='risk',
            index=models.Index(fields=['management_system', 'next_review', 'retired_at'], name='risk_ms_review'),
        ),
        migrations.AddIndex(
            model_name='risk',
            index=models.Index(fields=['management_system', 'likelihood', 'consequence', 'retired_at'], name='risk_ms_cell'),
        ),
        migrations.AddIndex(
            model_name='risk',
            index=models.Index(fields=['management_system', 'residual_likelihood', 'residual_consequence', 'retired_at'], name='risk_ms_residual_cell'),
        ),
        migrations.RunPython(create_search_indexes, drop_search_indexes),
    ]
