"""Daily checkpoints: the heads of a management system's gateway event chains, signed into its sign-off chain.

The gateway keeps one hash chain of events per AI system (``gateway.ledger``); a pack's
``ledger.json`` carries the management system's sign-off chain. A checkpoint joins the two:

- ``checkpoint_take`` records a ``GatewayCheckpoint`` register row (reference ``GWC-n``) whose
  ``heads`` list, per AI system, the sequence and digest of its chain's last event, and appends a
  sign-off of kind ``gateway_checkpoint`` that signs the row's history version, exactly as every
  other sign-off signs the version of what it approves. ``aims.ledger.verify`` (and so
  ``manage.py verify_ledger``) recomputes its digest from the history row like any other, and a
  pack's ``ledger.json`` carries the heads inside the signed payload, where ``aims-verify`` reads them.
- Who signs: a sign-off needs a signer, and nobody approved these heads, so nobody is named as if
  they had. The signer is the service account "AIMS gateway" (``gateway.evidence.account``): inactive,
  no usable password, no membership, so it can neither log in nor sign anything through the
  sign-off form (the kind's ``may_sign`` refuses everyone). The sign-off records the signer role
  ``system`` and the verification ``system``: no person and no second factor were involved, which is
  what the ledger page and the pack then show. The register's Ed25519 key signs its digest as it
  signs every sign-off, so the checkpoint is as tamper-evident as an approval.
- When: each day (Celery beat ``gateway.checkpoint``), after the demo traffic, and on
  ``manage.py gateway_checkpoint``. Nothing is written when no chain moved since the last
  checkpoint, and a chain that does not verify is never checkpointed (it cannot become the
  reference), as ``aims.anchors`` refuses to anchor a broken sign-off chain.

The sign-off is appended with ``aims.ledger.append_signoff``, not through ``aims.ledger.sign_off``,
because that function is the ceremony of a person signing (membership, second factor, job title,
four eyes) before it appends the same way; verification cannot tell the two apart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from aims import ledger as signoffs
from aims.models import ManagementSystem, SignOff
from aims.services import register_create
from gateway import ledger
from gateway.evidence.account import service_account
from gateway.models import GatewayCheckpoint, GatewayEvent
from registers.models import AISystem

logger = logging.getLogger(__name__)

KIND = "gateway_checkpoint"
SIGNER_ROLE = "system"
VERIFICATION = "system"


class CheckpointRefused(Exception):
    """A gateway chain of the management system does not verify: it is not checkpointed."""


@dataclass(frozen=True)
class Checkpointed:
    """A checkpoint and the sign-off that put it in the management system's chain."""

    checkpoint: GatewayCheckpoint
    signoff: SignOff


def current_heads(management_system: ManagementSystem) -> list[dict]:
    """The head (sequence, digest) of every AI system's event chain, by AI system id (two queries)."""
    tops = dict(
        GatewayEvent.objects.filter(management_system=management_system)
        .values("ai_system_id")
        .annotate(top=Max("sequence"))
        .values_list("ai_system_id", "top")
    )
    if not tops:
        return []
    wanted = Q()
    for ai_system_id, sequence in tops.items():
        wanted |= Q(ai_system_id=ai_system_id, sequence=sequence)
    rows = GatewayEvent.objects.filter(wanted).values_list("ai_system_id", "sequence", "digest")
    references = dict(AISystem.objects.filter(pk__in=tops).values_list("pk", "reference"))
    return [
        {"ai_system": ai_system_id, "reference": references.get(ai_system_id, ""), "sequence": seq, "digest": digest}
        for ai_system_id, seq, digest in sorted(rows)
    ]


def latest_checkpoint(
    management_system: ManagementSystem, *, until: datetime | None = None
) -> GatewayCheckpoint | None:
    """The newest checkpoint of the management system (taken by ``until``)."""
    checkpoints = GatewayCheckpoint.objects.filter(management_system=management_system)
    if until is not None:
        checkpoints = checkpoints.filter(taken_at__lte=until)
    return checkpoints.order_by("-taken_at", "-pk").first()


def _changed(heads: list[dict], previous: GatewayCheckpoint | None) -> bool:
    def pairs(items: list[dict]) -> set:
        return {(h["ai_system"], h["sequence"], h["digest"]) for h in items}

    return bool(heads) and (previous is None or pairs(heads) != pairs(previous.heads))


def checkpoint_take(*, management_system: ManagementSystem, reason: str = "daily") -> Checkpointed | None:
    """Checkpoint the management system's gateway chains; None when none moved since the last checkpoint.

    Raises ``CheckpointRefused`` when a chain does not verify.
    """
    result = ledger.verify(management_system)
    if not result.ok:
        raise CheckpointRefused(ledger.describe_broken(result.first_broken))
    account = service_account()
    with transaction.atomic():
        # Sign-offs of one management system are appended one at a time (as aims.ledger.sign_off does).
        ManagementSystem.objects.select_for_update().filter(pk=management_system.pk).exists()
        heads = current_heads(management_system)
        if not _changed(heads, latest_checkpoint(management_system)):
            return None
        now = timezone.now()
        checkpoint = register_create(
            GatewayCheckpoint,
            management_system=management_system,
            user=account,
            reason=f"Gateway checkpoint ({reason})",
            taken_at=now,
            heads=heads,
        )
        return Checkpointed(checkpoint, _sign(checkpoint, account, now))


def _statement(checkpoint: GatewayCheckpoint) -> str:
    chains = ", ".join(f"{h['reference'] or h['ai_system']} at #{h['sequence']}" for h in checkpoint.heads)
    return f"The gateway's event chains stood here and verified: {chains}."


def _sign(checkpoint: GatewayCheckpoint, account, now: datetime) -> SignOff:
    """Sign the checkpoint's version (the kind's ``versions``) as the service account, verified by nobody."""
    return signoffs.append_signoff(
        kind=KIND,
        subject=checkpoint,
        signer=account,
        signer_role=SIGNER_ROLE,
        statement=_statement(checkpoint),
        verification=VERIFICATION,
        signed_at=now,
    )


def checkpoint_all(*, reason: str = "daily") -> dict[str, list[int]]:
    """Checkpoint every management system in use; a broken chain is logged, not checkpointed."""
    summary: dict[str, list[int]] = {"checkpointed": [], "unchanged": [], "broken": []}
    for management_system in ManagementSystem.objects.exclude(status=ManagementSystem.Status.RETIRED).order_by("pk"):
        try:
            taken = checkpoint_take(management_system=management_system, reason=reason)
        except CheckpointRefused as refused:
            logger.error("Gateway chain of management system %s not checkpointed: %s", management_system.pk, refused)
            summary["broken"].append(management_system.pk)
            continue
        summary["checkpointed" if taken else "unchanged"].append(management_system.pk)
    return summary


def register() -> None:
    """Declare the checkpoint as a kind of sign-off that no person gives (the gateway signs it)."""
    signoffs.register_signable(
        KIND,
        label="Gateway checkpoint",
        subject_model=GatewayCheckpoint,
        versions=lambda checkpoint: [checkpoint.history.order_by("-history_id").first()],
        may_sign=lambda user, checkpoint: False,
        refusal=lambda checkpoint: "Gateway checkpoints are signed by the gateway itself, each day.",
        verb="Checkpoint",
        done_label="Checkpointed",
    )
