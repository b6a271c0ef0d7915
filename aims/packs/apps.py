from django.apps import AppConfig


class PacksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aims.packs"
    label = "packs"
    verbose_name = "Audit packs"
