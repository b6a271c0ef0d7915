"""API tokens expire: existing tokens get the default lifetime from today, so none lives forever."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def give_existing_tokens_an_expiry(apps, schema_editor):
    ApiToken = apps.get_model("aims", "ApiToken")
    expires_at = timezone.now() + timedelta(days=getattr(settings, "AIMS_API_TOKEN_DAYS", 90))
    for token in ApiToken.objects.filter(expires_at__isnull=True):
        token.expires_at = expires_at
        token.save(update_fields=["expires_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("aims", "0006_membership_job_title_and_signer_title"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(help_text="The token stops working at this moment.", null=True),
        ),
        migrations.RunPython(give_existing_tokens_an_expiry, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(help_text="The token stops working at this moment."),
        ),
    ]
