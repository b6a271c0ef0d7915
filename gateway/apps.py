"""The governed AI gateway (issue 14): an OpenAI-compatible endpoint that checks every call against the
register, strips personal data, applies a versioned policy, parks external actions for a human and writes
every event into an append-only hash-chained ledger."""

from django.apps import AppConfig


class GatewayConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gateway"
    verbose_name = "Governed AI gateway"

    def ready(self) -> None:
        from aims import chain
        from gateway import ledger

        chain.register_chain_verifier("gateway events", ledger.verify, describe=ledger.describe_broken)
        from gateway.keys import setup as keys_setup

        keys_setup.register()
        from gateway.evidence import setup as evidence_setup

        evidence_setup.register()
        from gateway.policy import setup as policy_setup

        policy_setup.register()
        from gateway.events import setup as events_setup

        events_setup.register()
        from gateway.actions import setup as actions_setup

        actions_setup.register()
