from django.apps import AppConfig


class PacksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "packs"
    label = "packs"
    verbose_name = "Audit packs"

    def ready(self) -> None:
        from aims import hooks

        hooks.register_demo_step("packs.demo", order=90)
