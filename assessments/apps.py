from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = "Risk and impact assessments"

    def ready(self) -> None:
        from assessments import signoffs

        signoffs.register()
