from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from aims import hooks
        from aims.pack_sections import ALL_KINDS, register_pack_section
        from evidence import pack, selectors

        hooks.register_reference_finder(selectors.evidence_references, probe=selectors.evidence_referring)
        hooks.register_demo_step("evidence.demo", order=80)
        register_pack_section(
            "evidence",
            title="Evidence index",
            clause="7.5",
            kinds=ALL_KINDS,
            order=110,
            gather=pack.gather_evidence,
            template="evidence/pack/section_evidence.html",
        )
