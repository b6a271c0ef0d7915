"""The governed AI gateway (issue 14): an OpenAI-compatible endpoint that checks every call against the
register, strips personal data, applies a versioned policy, parks external actions for a human and writes
every event into an append-only hash-chained ledger."""

from django.apps import AppConfig


class GatewayConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gateway"
    verbose_name = "Governed AI gateway"

    def ready(self) -> None:
        from aims import chain, hooks
        from gateway import ledger
        from gateway.actions import setup as actions_setup
        from gateway.events import setup as events_setup
        from gateway.evidence import setup as evidence_setup
        from gateway.keys import setup as keys_setup
        from gateway.policy import setup as policy_setup

        chain.register_chain_verifier("gateway events", ledger.verify, describe=ledger.describe_broken)
        for family in (keys_setup, policy_setup, actions_setup, events_setup, evidence_setup):
            family.register()
        # The demo: the policy approved, then real calls and actions through the gateway (each sent
        # once its step has committed), then a checkpoint of the chains and the evidence records.
        for order, step in enumerate(("policy", "traffic", "actions", "evidence"), start=70):
            hooks.register_demo_step(f"gateway.demo.{step}", order=order)
