from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "improvement"
    verbose_name = "Internal audits, nonconformities and incidents"

    def ready(self) -> None:
        from improvement.audits import setup as audits
        from improvement.incidents import setup as incidents
        from improvement.nonconformities import setup as nonconformities

        audits.register()
        nonconformities.register()
        incidents.register()
        from improvement import pack

        pack.register()
        from aims import hooks

        hooks.register_demo_step("improvement.demo", order=40)
        from improvement import readiness, work

        readiness.register()
        work.register()
