"""The pack section "Operational evidence from the gateway" and its extract, checked offline by aims-verify."""

from __future__ import annotations

import json

import pytest

from gateway import ledger
from gateway.evidence import checkpoints, records
from packs import services
from packs.render import verify_bundle
from packs.services import pack_file_path
from tests.factories import make_ai_system
from tests.packs.helpers import make_pack, pdf_text
from tests.packs.test_bundle_verifier import read_all, repack, write_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def rendered(world):
    """A full pack of Acme after gateway traffic of one AI system, a checkpoint and its evidence record."""
    system = make_ai_system(world.acme, user=world.officer, name="Patient message triage")
    for n in range(12):
        ledger.event_append(ai_system=system, type="call", decision="redact", policy_version="policy@1",
                            entity_counts={"EMAIL_ADDRESS": 1} if n % 2 else {})  # fmt: skip
    ledger.event_append(ai_system=system, type="refusal", decision="block", entity_counts={"CREDIT_CARD": 1})
    checkpoints.checkpoint_take(management_system=world.acme)
    records.evidence_build(include_current=True)
    ledger.event_append(ai_system=system, type="call")  # after the checkpoint: not in the extract
    pack = make_pack(world)
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    return system, pack


def test_the_pack_shows_the_gateway_figures_and_the_extract(rendered):
    system, pack = rendered
    text = pdf_text(pack_file_path(pack, "pdf").read_bytes())
    assert "Operational evidence from the gateway" in text
    assert f"{system.reference} Patient message triage" in text
    # Redactions by type: the refused card never left (it counts as blocked, not redacted).
    assert "EMAIL_ADDRESS 6" in text
    assert "EMAIL_ADDRESS 6, CREDIT_CARD" not in text and "CREDIT_CARD 1, EMAIL_ADDRESS 6" not in text
    assert f"{system.reference}: events #4 to #13" in text
    assert "Gateway activity of" in text  # the evidence record


def test_aims_verify_checks_the_extract_against_the_checkpoint_in_the_ledger(rendered, tmp_path):
    _system, pack = rendered
    bundle = pack_file_path(pack, "bundle")
    files = read_all(bundle)
    extract = json.loads(files["gateway-events.json"])
    assert [e["sequence"] for e in extract["chains"][0]["events"]] == list(range(4, 14))
    assert verify_bundle(bundle) == []
    report = __import__("packs.render", fromlist=["load_verifier"]).load_verifier().check_bundle(str(bundle))
    assert any("gateway extract: 10 event(s) of 1 AI system chain(s)" in line for line in report.lines)

    # A forged event, re-signed by whoever holds the key, no longer matches its digest.
    forged = json.loads(files["gateway-events.json"])
    forged["chains"][0]["events"][3]["payload"]["decision"] = "allow"
    path = write_all(tmp_path / "forged.zip", repack(files, {"gateway-events.json": json.dumps(forged).encode()}))
    problems = verify_bundle(path)
    assert problems and "event #7: digest does not match its payload" in problems[0]

    # Recomputed digests but a chain that no longer ends at the checkpointed head.
    cut = json.loads(files["gateway-events.json"])
    cut["chains"][0]["events"].pop()
    path = write_all(tmp_path / "cut.zip", repack(files, {"gateway-events.json": json.dumps(cut).encode()}))
    problems = verify_bundle(path)
    assert problems and "is not a head signed by a gateway checkpoint" in problems[0]
