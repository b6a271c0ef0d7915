"""Check every sign-off digest, chain link and signature, and each chain against its anchors.

Exits non-zero naming the first thing that does not verify.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from aims import chain, ledger, signing
from aims.models import ManagementSystem


class Command(BaseCommand):
    help = (
        "Verify the sign-off ledger: every digest against the history tables, every chain link, every signature, "
        "and each chain against the last anchors written outside the database."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--management-system", type=int, help="Only this management system's chain (its id).")

    def handle(self, *args, **options) -> None:
        management_system = None
        if options["management_system"] is not None:
            management_system = ManagementSystem.objects.filter(pk=options["management_system"]).first()
            if management_system is None:
                raise CommandError(f"No management system with id {options['management_system']}.")
        result = ledger.verify(management_system)
        scope = f"management system {management_system.pk}" if management_system else "all management systems"
        broken = result["first_broken"]
        if broken is not None:
            raise CommandError(
                f"BROKEN after checking {result['checked']} sign-off(s) ({scope}): {ledger.describe_broken(broken)}"
            )
        chains = self._verify_registered_chains(management_system, scope)
        self.stdout.write(self.style.SUCCESS(f"OK: {result['checked']} sign-off(s) verified ({scope})."))
        self.stdout.write(
            f"Signatures: {result['signed']} signed by the register's key (fingerprint {signing.fingerprint()})"
            + (f"; {result['unsigned']} {ledger.UNSIGNED_NOTE}." if result["unsigned"] else ".")
        )
        anchor = result.get("anchor")
        if management_system is not None:
            if anchor:
                self.stdout.write(
                    f"Anchor: sign-off #{anchor['sequence']} (head {anchor['head_digest'][:16]}…) anchored "
                    f"{anchor['signed_at']} in {anchor['log']} line {anchor['line']}; the chain matches it."
                )
            elif result["checked"]:
                self.stdout.write("Anchor: none yet (`manage.py anchor_ledger` writes one now).")
        for name, checked in chains:
            self.stdout.write(self.style.SUCCESS(f"OK: {checked} {name} verified ({scope})."))

    def _verify_registered_chains(
        self, management_system: ManagementSystem | None, scope: str
    ) -> list[tuple[str, int]]:
        """Verify the chains apps registered (``aims.chain.register_chain_verifier``); raise naming the first break."""
        checked = []
        for verifier in chain.chain_verifiers():
            result = verifier.verify(management_system)
            if result.first_broken is not None:
                raise CommandError(
                    f"BROKEN after checking {result.checked} {verifier.name} ({scope}): "
                    f"{verifier.describe(result.first_broken)}"
                )
            checked.append((verifier.name, result.checked))
        return checked
