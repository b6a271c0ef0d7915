from django.apps import AppConfig


class ControlsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "controls"
    verbose_name = "Controls and Statement of Applicability"

    def ready(self) -> None:
        from django.urls import reverse

        import evidence
        from aims import hooks
        from controls import pack, services, signoffs
        from controls.models import Applicability

        signoffs.register()
        hooks.on_management_system_created(
            lambda management_system, user: services.soa_rows_ensure(management_system=management_system, user=user)
        )
        evidence.register_linkable(
            Applicability,
            key="soa_rows",
            label="Statement of Applicability rows",
            order=20,
            choices=lambda ms: (
                Applicability.objects.filter(management_system=ms)
                .select_related("control")
                .order_by("control__position")
            ),
            describe=lambda row: f"{row.control.key} {row.control.title}",
            url=lambda row: reverse("controls:soa_row_history", args=[row.management_system_id, row.pk]),
            help_text="The controls this evidence shows in operation (Ctrl or Cmd to choose several).",
            compact=True,
        )
        pack.register()
        hooks.register_demo_step("controls.demo", order=20)
        from controls import readiness, work

        readiness.register()
        work.register()
