from django.apps import AppConfig


class GatewayConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gateway"
    verbose_name = "Governed AI gateway"

    def ready(self) -> None:
        from aims import chain
        from gateway import ledger

        chain.register_chain_verifier("gateway events", ledger.verify, describe=ledger.describe_broken)
