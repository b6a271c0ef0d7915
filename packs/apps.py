from django.apps import AppConfig


class PacksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "packs"
    label = "packs"
    verbose_name = "Audit packs"

    def ready(self) -> None:
        from aims import hooks
        from packs import checks, trail  # noqa: F401 -- checks registers the system check

        hooks.register_demo_step("packs.demo", order=90)
        trail.register()
