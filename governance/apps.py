from django.apps import AppConfig

# The register families of this app, each a package with a ``setup.register()``.
FAMILIES = ("documents", "people", "context", "scope", "objectives")


class GovernanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "governance"
    verbose_name = "Management system: documents, context, scope, policy, roles, objectives"

    def ready(self) -> None:
        import importlib

        for family in FAMILIES:
            importlib.import_module(f"governance.{family}.setup").register()
        importlib.import_module("governance.citations.setup").register()
        from aims import hooks

        hooks.register_demo_step("governance.demo", order=35)
        from governance import menu

        hooks.register_nav_menu(
            "management_system",
            label="Management system",
            url_name="governance:home",
            path_prefix="governance/",
            entries=menu.entries,
            order=10,
        )
        from governance import readiness, work

        readiness.register()
        work.register()
