"""Move the evidence that the registers app held into this app, keeping every id and digest.

Evidence rows (with their history rows), download records and the links to AI systems, SoA
rows, risks and impact assessments are copied with their primary keys, so references,
history ids and file names stay as they were. The old many-to-many links become
``EvidenceLink`` rows. The registers app drops its tables in its next migration.
"""

from django.db import migrations

OLD_LINKS = {
    # old many-to-many field -> (app label, model name) of the linked records
    "ai_systems": ("registers", "aisystem"),
    "soa_rows": ("controls", "applicability"),
    "risks": ("assessments", "risk"),
    "impact_assessments": ("assessments", "impactassessment"),
}


def _copy_rows(old_model, new_model, exclude=()):
    fields = [f.attname for f in new_model._meta.concrete_fields if f.attname not in exclude]
    # In id order: a correction points at an earlier row.
    old_rows = old_model.objects.order_by(old_model._meta.pk.attname).iterator()
    rows = [new_model(**{name: getattr(row, name) for name in fields}) for row in old_rows]
    new_model.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def copy_evidence(apps, schema_editor):
    try:
        OldEvidence = apps.get_model("registers", "Evidence")
    except LookupError:
        return  # a fresh database that never had evidence in the registers app
    OldHistorical = apps.get_model("registers", "HistoricalEvidence")
    OldDownload = apps.get_model("registers", "EvidenceDownload")
    Evidence = apps.get_model("evidence", "Evidence")
    Historical = apps.get_model("evidence", "HistoricalEvidence")
    Download = apps.get_model("evidence", "EvidenceDownload")
    Link = apps.get_model("evidence", "EvidenceLink")
    ContentType = apps.get_model("contenttypes", "ContentType")

    _copy_rows(OldEvidence, Evidence)
    _copy_rows(OldHistorical, Historical)
    _copy_rows(OldDownload, Download)
    links = []
    for field_name, (app_label, model_name) in OLD_LINKS.items():
        through = OldEvidence._meta.get_field(field_name).remote_field.through
        target_column = OldEvidence._meta.get_field(field_name).m2m_reverse_field_name() + "_id"
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model_name)
        for evidence_id, target_id in through.objects.values_list("evidence_id", target_column):
            links.append(Link(evidence_id=evidence_id, target_type_id=content_type.pk, target_id=target_id))
    Link.objects.bulk_create(links, batch_size=500)

    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # Rows were inserted with their ids: move the sequences past them.
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Evidence, Historical, Download]):
                cursor.execute(statement)


def no_style():
    from django.core.management.color import no_style as django_no_style

    return django_no_style()


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0001_initial"),
        ("registers", "0004_evidence_append_only"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(copy_evidence, migrations.RunPython.noop)]
