"""The pack section "Operational evidence from the gateway" and its extract of events (``gateway-events.json``).

As of the pack's moment (the events are append-only, so "as of" is simply the events that
occurred by then): per AI system, the figures of the ``WINDOW_DAYS`` before it, its chain's
verification, the evidence records written by then; and a sample extract: the last
``EXTRACT_EVENTS`` events of each chain up to the head of the latest checkpoint signed by the
pack's moment. The extract goes into the bundle as ``gateway-events.json`` with every event's
digested fields (its canonical payload), so ``aims-verify`` recomputes each digest, follows the
links and finds the last one's (sequence, digest) among the heads of that checkpoint, whose
signed payload is in the bundle's ``ledger.json``. Events carry no personal data values.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aims import chain
from aims.history import rows_as_of
from aims.models import SignOff
from aims.pack_sections import FULL, STAGE2, PackData, register_pack_section
from evidence.models import Evidence
from gateway import ledger
from gateway.evidence import checkpoints
from gateway.evidence.figures import figures_of
from gateway.models import GatewayCheckpoint, GatewayEvent, GatewayEvidence
from registers.models import AISystem

WINDOW_DAYS = 30
EXTRACT_EVENTS = 10
EXTRACT_NAME = "gateway-events.json"
EXTRACT_FORMAT = "aims-gateway-extract/1"


def _signed_checkpoint(data: PackData) -> tuple[SignOff | None, list[dict]]:
    """The latest checkpoint sign-off by the pack's moment and the heads it signed (from the signed history row)."""
    signoff = (
        SignOff.objects.filter(
            management_system_id=data.management_system_id, kind=checkpoints.KIND, signed_at__lte=data.as_of
        )
        .order_by("-sequence")
        .first()
    )
    if signoff is None:
        return None, []
    history_id = signoff.versions[0][1]
    row = GatewayCheckpoint.history.filter(history_id=history_id).first()
    return signoff, list(row.heads) if row else []


def event_payloads(ai_system_id: int, first: int, last: int) -> list[dict[str, Any]]:
    """Events ``first``..``last`` of a chain with the exact payload each digest covers (as ``aims.chain`` encodes it)."""
    spec = ledger.EVENTS
    names = (*spec.key_fields, *spec.fields, "sequence", "previous")
    rows = (
        GatewayEvent.objects.filter(ai_system_id=ai_system_id, sequence__gte=first, sequence__lte=last)
        .order_by("sequence")
        .values_list(*spec.columns)
    )
    n_key = len(spec.key_fields)
    extract = []
    for row in rows:
        key, (sequence, previous, digest) = row[1 : 1 + n_key], row[1 + n_key : 4 + n_key]
        values = (*key, *row[4 + n_key :], sequence, previous)
        payload = {name: chain._plain_value(value) for name, value in zip(names, values, strict=True)}
        extract.append({"sequence": sequence, "previous_digest": previous, "digest": digest, "payload": payload})
    return extract


def build_extract(data: PackData, heads: list[dict], signoff: SignOff | None) -> dict[str, Any]:
    chains = []
    for head in heads:
        first = max(1, head["sequence"] - EXTRACT_EVENTS + 1)
        chains.append(
            {
                "ai_system": head["ai_system"],
                "reference": head.get("reference", ""),
                "head": {"sequence": head["sequence"], "digest": head["digest"]},
                "events": event_payloads(head["ai_system"], first, head["sequence"]),
            }
        )
    return {
        "format": EXTRACT_FORMAT,
        "management_system": data.management_system_id,
        "as_of": chain._plain_value(data.as_of),
        "digest": "SHA-256 of the canonical JSON of payload (sorted keys, no whitespace, UTF-8)",
        "link": "payload.previous is the digest of the event before; the first event of a chain links to 64 zeros",
        "checkpoint": {"signoff_sequence": signoff.sequence, "signoff_digest": signoff.digest} if signoff else None,
        "chains": chains,
    }


def gather_gateway(data: PackData) -> None:
    """Per AI system: the figures before the pack's moment, the chain's verification, its evidence records; the extract."""
    start = data.as_of - timedelta(days=WINDOW_DAYS)
    ids = sorted(
        set(
            GatewayEvent.objects.filter(management_system_id=data.management_system_id, occurred_at__lte=data.as_of)
            .values_list("ai_system_id", flat=True)
            .order_by()
            .distinct()
        )
    )
    if data.pack_scope.by_systems:  # a scoped pack: the chosen systems' events and evidence only
        ids = [pk for pk in ids if data.pack_scope.concerns([pk])]
        others = GatewayEvidence.objects.filter(management_system_id=data.management_system_id).exclude(
            ai_system_id__in=data.pack_scope.ai_system_ids
        )
        data.leave_out(Evidence, others.values_list("evidence_id", flat=True))
    names = {row.id: row for row in rows_as_of(AISystem, data.as_of, management_system_id=data.management_system_id)}
    records = list(
        GatewayEvidence.objects.filter(ai_system_id__in=ids, created_at__lte=data.as_of)
        .select_related("evidence")
        .order_by("ai_system_id", "period_start", "pk")
    )
    signoff, heads = _signed_checkpoint(data)
    heads = [head for head in heads if data.pack_scope.concerns([head["ai_system"]])]
    verified = ledger.verify(data.pack.management_system)
    systems = []
    for ai_system_id in ids:
        row = names.get(ai_system_id)
        figures = figures_of([ai_system_id], start, data.as_of + timedelta(microseconds=1))
        systems.append(
            {
                "reference": getattr(row, "reference", ""),
                "name": getattr(row, "name", ""),
                "figures": figures,
                "head": next((h for h in heads if h["ai_system"] == ai_system_id), None),
                "records": [r for r in records if r.ai_system_id == ai_system_id][-6:],
            }
        )
    extract = build_extract(data, heads, signoff)
    data.parts["gateway"] = {
        "window_days": WINDOW_DAYS,
        "systems": systems,
        "checkpoint": signoff,
        "verified": verified,
        "broken": ledger.describe_broken(verified.first_broken) if verified.first_broken else "",
        "extract": extract,
        "extract_name": EXTRACT_NAME,
        "extract_events": EXTRACT_EVENTS,
    }
    if signoff is not None:
        data.parts.setdefault("bundle_json", []).append((EXTRACT_NAME, extract, "gateway event extract"))


def register() -> None:
    register_pack_section(
        "gateway",
        title="Operational evidence from the gateway",
        clause="A.6.2.8, A.7.2, A.9",
        kinds={STAGE2, FULL},
        order=90,
        gather=gather_gateway,
        template="gateway/pack/section_gateway.html",
    )
