from django.apps import AppConfig


class ControlsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "controls"
    verbose_name = "Controls and Statement of Applicability"

    def ready(self) -> None:
        from controls import signoffs

        signoffs.register()
