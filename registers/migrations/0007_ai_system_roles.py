"""AI systems record their roles as a set (ISO/IEC 22989 and EU AI Act roles, each with a basis) instead of
one choice, and the EU AI Act class offers the Act's classes with a basis. Each system's old single role
becomes one role row, with a history row so that packs as of a later date show it."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

# The old single choice -> (scheme, role): ISO/IEC 22989 counts an AI developer as an AI producer and an
# AI user as an AI customer; the EU AI Act's operator roles keep their names.
OLD_ROLES = {
    "provider": ("eu_ai_act", "provider"),
    "deployer": ("eu_ai_act", "deployer"),
    "importer": ("eu_ai_act", "importer"),
    "distributor": ("eu_ai_act", "distributor"),
    "developer": ("iso_22989", "ai_producer"),
    "user": ("iso_22989", "ai_customer"),
}
BASIS = "Recorded as the organisation's single AI role before roles became a set."
REASON = "Role carried over from the single AI role"


def roles_from_single_role(apps, schema_editor):
    AISystem = apps.get_model("registers", "AISystem")
    Role = apps.get_model("registers", "AISystemRole")
    HistoricalRole = apps.get_model("registers", "HistoricalAISystemRole")
    now = timezone.now()
    for system in AISystem.objects.exclude(ai_role="").only("pk", "ai_role").iterator():
        if system.ai_role not in OLD_ROLES:
            continue
        scheme, role = OLD_ROLES[system.ai_role]
        row = Role.objects.create(ai_system_id=system.pk, scheme=scheme, role=role, basis=BASIS)
        HistoricalRole.objects.create(
            id=row.pk, ai_system_id=system.pk, scheme=scheme, role=role, basis=BASIS,
            history_date=now, history_type="+", history_change_reason=REASON,
        )  # fmt: skip


def single_role_from_roles(apps, schema_editor):
    AISystem = apps.get_model("registers", "AISystem")
    Role = apps.get_model("registers", "AISystemRole")
    back = {role: old for old, (_scheme, role) in OLD_ROLES.items()}
    for row in Role.objects.order_by("ai_system_id", "pk"):
        if row.role in back:
            AISystem.objects.filter(pk=row.ai_system_id).update(ai_role=back[row.role])


class Migration(migrations.Migration):
    dependencies = [
        ("registers", "0006_retirement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="aisystem",
            name="eu_ai_act_basis",
            field=models.TextField(
                blank=True,
                help_text="Why the system is in this class: the article or Annex III point, or why none applies.",
                verbose_name="basis of the EU AI Act class",
            ),
        ),
        migrations.AddField(
            model_name="historicalaisystem",
            name="eu_ai_act_basis",
            field=models.TextField(
                blank=True,
                help_text="Why the system is in this class: the article or Annex III point, or why none applies.",
                verbose_name="basis of the EU AI Act class",
            ),
        ),
        migrations.AlterField(
            model_name="aisystem",
            name="eu_ai_act_risk_class",
            field=models.CharField(
                choices=[
                    ("unassessed", "Not assessed"),
                    ("prohibited", "Prohibited practice (Art. 5)"),
                    ("high", "High-risk (Art. 6(2) and Annex III)"),
                    ("high_product", "High-risk as safety component of a product (Art. 6(1), Annex I)"),
                    ("limited", "Transparency obligations (Art. 50)"),
                    ("minimal", "Minimal risk"),
                    ("gpai", "General-purpose AI model"),
                    ("gpai_systemic", "General-purpose AI model with systemic risk"),
                ],
                default="unassessed",
                max_length=20,
                verbose_name="EU AI Act risk class",
            ),
        ),
        migrations.AlterField(
            model_name="historicalaisystem",
            name="eu_ai_act_risk_class",
            field=models.CharField(
                choices=[
                    ("unassessed", "Not assessed"),
                    ("prohibited", "Prohibited practice (Art. 5)"),
                    ("high", "High-risk (Art. 6(2) and Annex III)"),
                    ("high_product", "High-risk as safety component of a product (Art. 6(1), Annex I)"),
                    ("limited", "Transparency obligations (Art. 50)"),
                    ("minimal", "Minimal risk"),
                    ("gpai", "General-purpose AI model"),
                    ("gpai_systemic", "General-purpose AI model with systemic risk"),
                ],
                default="unassessed",
                max_length=20,
                verbose_name="EU AI Act risk class",
            ),
        ),
        migrations.CreateModel(
            name="HistoricalAISystemRole",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                (
                    "scheme",
                    models.CharField(
                        choices=[("iso_22989", "ISO/IEC 22989"), ("eu_ai_act", "EU AI Act")], max_length=20
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("ai_provider", "AI provider"),
                            ("ai_producer", "AI producer"),
                            ("ai_customer", "AI customer"),
                            ("ai_partner", "AI partner"),
                            ("ai_subject", "AI subject"),
                            ("relevant_authority", "Relevant authority"),
                            ("provider", "Provider"),
                            ("deployer", "Deployer"),
                            ("importer", "Importer"),
                            ("distributor", "Distributor"),
                            ("authorised_representative", "Authorised representative"),
                            ("product_manufacturer", "Product manufacturer"),
                        ],
                        max_length=30,
                    ),
                ),
                (
                    "basis",
                    models.TextField(blank=True, help_text="Why the organisation holds this role for the system."),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "ai_system",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registers.aisystem",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical AI system role",
                "verbose_name_plural": "historical AI system roles",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="AISystemRole",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "scheme",
                    models.CharField(
                        choices=[("iso_22989", "ISO/IEC 22989"), ("eu_ai_act", "EU AI Act")], max_length=20
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("ai_provider", "AI provider"),
                            ("ai_producer", "AI producer"),
                            ("ai_customer", "AI customer"),
                            ("ai_partner", "AI partner"),
                            ("ai_subject", "AI subject"),
                            ("relevant_authority", "Relevant authority"),
                            ("provider", "Provider"),
                            ("deployer", "Deployer"),
                            ("importer", "Importer"),
                            ("distributor", "Distributor"),
                            ("authorised_representative", "Authorised representative"),
                            ("product_manufacturer", "Product manufacturer"),
                        ],
                        max_length=30,
                    ),
                ),
                (
                    "basis",
                    models.TextField(blank=True, help_text="Why the organisation holds this role for the system."),
                ),
                (
                    "ai_system",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="roles", to="registers.aisystem"
                    ),
                ),
            ],
            options={
                "verbose_name": "AI system role",
                "ordering": ["ai_system", "scheme", "role"],
                "constraints": [
                    models.UniqueConstraint(fields=("ai_system", "role"), name="registers_aisystemrole_unique_role")
                ],
            },
        ),
        migrations.RunPython(roles_from_single_role, single_role_from_roles),
        migrations.RemoveField(
            model_name="aisystem",
            name="ai_role",
        ),
        migrations.RemoveField(
            model_name="historicalaisystem",
            name="ai_role",
        ),
    ]
