"""Give every existing management system its 38 SoA rows, each with a first history row."""

from django.db import migrations
from django.utils import timezone

FRAMEWORK = "iso42001-2023-annex-a"


def create_rows(apps, schema_editor):
    ManagementSystem = apps.get_model("aims", "ManagementSystem")
    Control = apps.get_model("controls", "Control")
    Applicability = apps.get_model("controls", "Applicability")
    HistoricalApplicability = apps.get_model("controls", "HistoricalApplicability")
    controls = list(Control.objects.filter(framework__key=FRAMEWORK).order_by("position"))
    now = timezone.now()
    for ms in ManagementSystem.objects.all():
        have = set(Applicability.objects.filter(management_system=ms).values_list("control_id", flat=True))
        missing = [c for c in controls if c.pk not in have]
        # bulk_create sends no signals, so the one history row per row below is the only one.
        Applicability.objects.bulk_create(
            [Applicability(management_system=ms, control=c, reference=f"SOA-{c.key}") for c in missing]
        )
        rows = Applicability.objects.filter(management_system=ms, control__in=missing)
        HistoricalApplicability.objects.bulk_create(
            [
                HistoricalApplicability(
                    **{f.attname: getattr(row, f.attname) for f in Applicability._meta.concrete_fields},
                    history_date=now,
                    history_type="+",
                    history_change_reason="Statement of Applicability row created",
                )
                for row in rows
            ]
        )

class Migration(migrations.Migration):
    dependencies = [("controls", "0002_load_annex_a"), ("aims", "0001_initial")]

    operations = [migrations.RunPython(create_rows, migrations.RunPython.noop)]
