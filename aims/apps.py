from django.apps import AppConfig


class AimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aims"
    verbose_name = "AI management system"

    def ready(self) -> None:
        from aims import pack_gather

        pack_gather.register()
