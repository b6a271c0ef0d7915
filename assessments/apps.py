from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = "Risk and impact assessments"

    def ready(self) -> None:
        from django.urls import reverse

        import evidence
        from aims import hooks
        from assessments import pack, signoffs
        from assessments.models import ImpactAssessment, Risk

        signoffs.register()
        evidence.register_linkable(
            Risk,
            key="risks",
            label="Risks",
            order=30,
            url=lambda risk: reverse("assessments:risk_detail", args=[risk.management_system_id, risk.pk]),
        )
        evidence.register_linkable(
            ImpactAssessment,
            key="impact_assessments",
            label="Impact assessments",
            order=40,
            url=lambda assessment: reverse(
                "assessments:impact_detail", args=[assessment.management_system_id, assessment.pk]
            ),
        )
        pack.register()
        hooks.register_demo_step("assessments.demo", order=30)
        from assessments import readiness, work

        readiness.register()
        work.register()
