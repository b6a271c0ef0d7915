from django.apps import AppConfig


class RegistersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "registers"
    verbose_name = "AI system register"

    def ready(self) -> None:
        import evidence
        from aims import hooks
        from registers import pack, panels
        from registers.models import AISystem

        evidence.register_linkable(
            AISystem,
            key="ai_systems",
            label="AI systems",
            order=10,
            url=panels.ai_system_url,
        )
        pack.register()
        hooks.register_overview_panel(
            "inventory", template="registers/partials/inventory_panel.html", context=panels.inventory, order=10
        )
        hooks.register_demo_step("registers.demo", order=10)
        from registers import readiness, work

        readiness.register()
        work.register()
