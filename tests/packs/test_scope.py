"""Packs scoped to what an auditor samples: chosen AI systems, clauses or sections.

A scoped pack leaves out the sections outside its clauses and sections and, with AI systems
chosen, every other system's records, evidence and sign-offs; its cover and both manifests
(in the bundle and embedded in the PDF) say so, and the bundle still verifies.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse
from pypdf import PdfReader

from aims.pack_sections import PackScope, clause_covers, sections_for
from packs import gather, services
from packs.models import AuditPack
from packs.render import load_verifier, verify_bundle
from packs.services import pack_file_path
from tests.assessments.helpers import make_assessment, make_risk
from tests.factories import make_ai_system
from tests.packs.helpers import make_evidence, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_queue(monkeypatch):
    """Requests are accepted as if the queue took them (rendering is called by the test)."""
    sent = []
    monkeypatch.setattr(services, "enqueue_render", sent.append)
    return sent


@pytest.fixture
def two_systems(world):
    """Two AI systems, each with its own risk, impact assessment and evidence."""
    chosen = make_ai_system(world.acme, user=world.officer, name="Triage assistant")
    other = make_ai_system(world.acme, user=world.officer, name="Claims scorer")
    chosen_risk = make_risk(world.acme, world.officer, title="Triage misses older patients", ai_systems=[chosen])
    other_risk = make_risk(world.acme, world.officer, title="Claims scorer drifts", ai_systems=[other])
    make_assessment(world.acme, world.officer, chosen, title="Triage impact assessment")
    make_assessment(world.acme, world.officer, other, title="Claims impact assessment")
    chosen_evidence = make_evidence(
        world, title="Triage bias evaluation", name="triage.csv", data=b"a,b\n1,2\n", links={"risks": [chosen_risk]}
    )
    other_evidence = make_evidence(
        world, title="Claims drift report", name="claims.csv", data=b"c,d\n3,4\n", links={"ai_systems": [other]}
    )
    return {
        "chosen": chosen, "other": other, "chosen_risk": chosen_risk, "other_risk": other_risk,
        "chosen_evidence": chosen_evidence, "other_evidence": other_evidence,
    }  # fmt: skip


def request_pack(world, user=None, **scope) -> AuditPack:
    return services.pack_request(
        management_system=world.acme, user=user or world.auditor, kind=AuditPack.Kind.FULL, scope=scope
    )


def embedded_manifest(pdf: bytes) -> dict:
    reader = PdfReader(io.BytesIO(pdf))
    return json.loads(reader.attachments["manifest.json"][0])


# --- the rendered pack --------------------------------------------------------------------------------


def test_pack_scoped_to_an_ai_system_leaves_out_the_others_and_says_so_on_cover_and_manifests(
    world, two_systems, no_queue, capsys
):
    chosen, other = two_systems["chosen"], two_systems["other"]
    pack = request_pack(world, ai_systems=[chosen.reference.lower()])  # references are taken in any case
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    pdf = pack_file_path(pack, "pdf").read_bytes()
    text = pdf_text(pdf)

    cover = text[: text.index("Contents")]
    assert f"Pack scope Scoped to AI system {chosen.reference}" in cover
    assert "Whole management system" not in cover
    # The chosen system's records and evidence are in; the other system's are not, anywhere.
    for shown in (chosen.reference, two_systems["chosen_risk"].reference, "Triage misses older patients",
                  "Triage impact assessment", two_systems["chosen_evidence"].reference):  # fmt: skip
        assert shown in text, shown
    for left_out in (other.reference, "Claims scorer", two_systems["other_risk"].reference, "Claims scorer drifts",
                     "Claims impact assessment", two_systems["other_evidence"].reference, "Claims drift report"):  # fmt: skip
        assert left_out not in text, left_out

    with zipfile.ZipFile(pack_file_path(pack, "bundle")) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        scope_file = json.loads(archive.read("pack-scope.json"))
    assert f"evidence/{two_systems['chosen_evidence'].reference}.csv" in names
    assert f"evidence/{two_systems['other_evidence'].reference}.csv" not in names
    expected = {"ai_systems": [chosen.reference], "clauses": [], "sections": [],
                "description": f"Scoped to AI system {chosen.reference}"}  # fmt: skip
    assert {k: scope_file[k] for k in expected} == expected and scope_file["pack"] == pack.pk
    for listed in (manifest, embedded_manifest(pdf)):  # the bundle's manifest and the one the PDF embeds
        entry = next(e for e in listed["files"] if e["path"] == "pack-scope.json")
        assert entry["role"] == f"pack scope: Scoped to AI system {chosen.reference}"

    assert verify_bundle(pack_file_path(pack, "bundle")) == []
    assert load_verifier().main([str(pack_file_path(pack, "bundle"))]) == 0
    printed = capsys.readouterr().out
    assert f"NOTE  scope: Scoped to AI system {chosen.reference}" in printed and "VERIFIED" in printed


def test_scope_file_cannot_be_changed_without_breaking_the_bundle(world, two_systems, no_queue, tmp_path):
    pack = request_pack(world, ai_systems=[two_systems["chosen"].reference])
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    with zipfile.ZipFile(pack_file_path(pack, "bundle")) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["pack-scope.json"] = files["pack-scope.json"].replace(b"Scoped to", b"Scoped to all but")
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(changed, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    assert "file pack-scope.json: SHA-256 differs from manifest.json" in verify_bundle(changed)


# --- what a scope keeps -----------------------------------------------------------------------------


def gathered(world, **scope):
    pack = request_pack(world, **scope)
    return gather.gather_pack(pack)


def test_an_empty_scope_is_the_whole_pack_as_before(world, two_systems, no_queue):
    data = gathered(world)
    assert data.pack_scope.is_whole and not data.pack_scope.by_systems
    assert [s.key for s in data.sections] == [s.key for s in sections_for(AuditPack.Kind.FULL)]
    assert "bundle_json" not in data.parts or all(p != "pack-scope.json" for p, _v, _r in data.parts["bundle_json"])
    assert {r.reference for r in data.parts["risks"]} == {
        two_systems["chosen_risk"].reference,
        two_systems["other_risk"].reference,
    }
    assert len(data.parts["evidence"]) == 2 and len(data.parts["ai_systems"]) == 2
    pack = AuditPack.objects.get()
    assert pack.scope_ai_systems == [] and pack.pack_scope.describe() == "Whole management system"


def test_clauses_keep_only_the_sections_that_evidence_them(world, no_queue):
    data = gathered(world, clauses=["6.1", "a.6.2.8"])
    keys = [s.key for s in data.sections]
    assert keys == [s.key for s in sections_for("full") if s.key in set(keys)]  # still in the pack's order
    assert {"risk_criteria", "risks", "treatment", "soa", "impact", "gateway", "signoffs"} <= set(keys)
    assert not {"inventory", "evidence", "document_register", "changes", "management_reviews"} & set(keys)
    assert data.pack_scope.clauses == ("6.1", "A.6.2.8")
    assert "clauses 6.1, A.6.2.8" in data.pack_scope.describe()


def test_sections_keep_only_themselves_and_add_up_with_clauses(world, no_queue):
    only = gathered(world, sections="evidence, risks")
    assert [s.key for s in only.sections] == ["risks", "evidence"]
    assert only.pack_scope.describe() == "Scoped to sections Risk heat map and register, Evidence index" or (
        only.pack_scope.describe().startswith("Scoped to sections Risk heat map and register, ")
    )
    both = gathered(world, sections=["evidence"], clauses=["9.3"])
    assert [s.key for s in both.sections] == ["management_reviews", "readiness", "evidence"]


def test_clause_matching_takes_subclauses_and_the_clauses_they_belong_to():
    assert clause_covers("6.1", "6.1.2") and clause_covers("8.2", "8") and clause_covers("A.6", "A.6.2.8")
    assert not clause_covers("6.1", "6.10") and not clause_covers("A.6", "6.1")
    assert PackScope(ai_systems=("AIS-001",), clauses=("6.1",)).describe() == "Scoped to AI system AIS-001; clause 6.1"


def test_a_scope_of_systems_and_clauses_keeps_both_filters(world, two_systems, no_queue):
    data = gathered(world, ai_systems=[two_systems["chosen"].reference], clauses=["8.2"])
    assert "inventory" not in {s.key for s in data.sections}
    assert [r.reference for r in data.parts["risks"]] == [two_systems["chosen_risk"].reference]
    assert [e.reference for e in data.parts["evidence"]] == [two_systems["chosen_evidence"].reference]


def test_scoped_gathering_takes_a_constant_number_of_queries(world, no_queue):
    from tests.kit import count_queries

    chosen = make_ai_system(world.acme, user=world.officer)
    other = make_ai_system(world.acme, user=world.officer, name="Other")
    make_risk(world.acme, world.officer, title="Chosen risk", ai_systems=[chosen])
    other_risk = make_risk(world.acme, world.officer, title="Other risk", ai_systems=[other])
    make_evidence(world, title="Other evidence", links={"ai_systems": [other], "risks": [other_risk]})

    def count() -> int:
        pack = request_pack(world, ai_systems=[chosen.reference])
        return count_queries(lambda: gather.gather_pack(pack))

    count()
    few = count()
    for n in range(4):
        system = make_ai_system(world.acme, user=world.officer, name=f"System {n}")
        risk = make_risk(world.acme, world.officer, title=f"Risk {n}", ai_systems=[system, chosen])
        make_evidence(world, title=f"Evidence {n}", links={"ai_systems": [system], "risks": [risk]})
    assert count() == few


# --- refused scopes, page and API -------------------------------------------------------------------

BAD_SCOPES = [
    ({"ai_systems": ["AIS-999"]}, "scope_ai_systems", "No AI system AIS-999"),
    ({"clauses": ["Z.9"]}, "scope_clauses", "Not a clause or Annex A control: Z.9"),
    ({"clauses": ["7.4"]}, "scope_clauses", "No section of this kind of pack evidences clause 7.4"),
    ({"clauses": ["6.99"]}, "scope_clauses", "Unknown clause or control: 6.99"),
    ({"sections": ["audit_conclusions"]}, "scope_sections", "No section audit_conclusions"),  # a Stage 1 section
]


@pytest.mark.parametrize(("scope", "field", "message"), BAD_SCOPES)
def test_api_refuses_an_unknown_scope_with_400(world, api_as, no_queue, scope, field, message):
    response = api_as("auditor").post(
        "/api/v1/audit-packs/",
        {"management_system": world.acme.pk, "kind": "full", "scope": scope},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])
    assert not AuditPack.objects.exists() and no_queue == []


def test_api_refuses_an_ai_system_of_another_management_system(world, api_as, no_queue):
    elsewhere = make_ai_system(world.northwind, user=world.outsider)
    response = api_as("auditor").post(
        "/api/v1/audit-packs/",
        {"management_system": world.acme.pk, "scope": {"ai_systems": [elsewhere.reference]}},
        format="json",
    )
    assert response.status_code == 400
    assert f"No AI system {elsewhere.reference} in Acme AIMS" in response.json()["scope_ai_systems"][0]


def test_auditor_requests_a_scoped_pack_through_the_api_and_reads_its_scope(world, api_as, two_systems, no_queue):
    chosen = two_systems["chosen"].reference
    response = api_as("auditor").post(
        "/api/v1/audit-packs/",
        {"management_system": world.acme.pk, "kind": "stage2", "scope": {"ai_systems": [chosen], "clauses": ["8.2"]}},
        format="json",
    )
    assert response.status_code == 202, response.content
    assert response.json()["scope"] == {
        "ai_systems": [chosen], "clauses": ["8.2"], "sections": [],
        "description": f"Scoped to AI system {chosen}; clause 8.2",
    }  # fmt: skip
    pack = AuditPack.objects.get()
    assert pack.requested_by == world.auditor and pack.scope_ai_systems == [chosen] and pack.scope_clauses == ["8.2"]
    detail = api_as("auditor").get(f"/api/v1/audit-packs/{pack.pk}/").json()
    assert detail["scope"]["description"] == f"Scoped to AI system {chosen}; clause 8.2"
    whole = api_as("auditor").post("/api/v1/audit-packs/", {"management_system": world.acme.pk}, format="json")
    assert whole.json()["scope"]["description"] == "Whole management system"


def test_contributor_and_outsider_cannot_request_a_scoped_pack(world, api_as, two_systems, no_queue):
    body = {"management_system": world.acme.pk, "scope": {"ai_systems": [two_systems["chosen"].reference]}}
    assert api_as("contributor").post("/api/v1/audit-packs/", body, format="json").status_code == 403
    assert api_as("outsider").post("/api/v1/audit-packs/", body, format="json").status_code == 400
    assert not AuditPack.objects.exists()


def test_auditor_requests_a_scoped_pack_from_the_page(world, client_as, two_systems, no_queue):
    url = reverse("packs:list", args=[world.acme.pk])
    page = client_as("auditor").get(url).content.decode()
    assert 'name="scope_ai_systems"' in page and 'name="scope_clauses"' in page and 'name="scope_sections"' in page
    chosen = two_systems["chosen"].reference
    response = client_as("auditor").post(
        url,
        {"kind": "full", "scope_ai_systems": f" {chosen} ", "scope_clauses": "6.1, A.6", "scope_sections": "evidence"},
    )
    assert response.status_code == 302
    pack = AuditPack.objects.get()
    assert (pack.scope_ai_systems, pack.scope_clauses, pack.scope_sections) == ([chosen], ["6.1", "A.6"], ["evidence"])
    listing = client_as("auditor").get(url).content.decode()
    assert f"Scoped to AI system {chosen}; clauses 6.1, A.6; section Evidence" in listing


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"scope_ai_systems": "AIS-404"}, "No AI system AIS-404"),
        ({"scope_clauses": "4.x"}, "Not a clause or Annex A control: 4.X"),
        ({"scope_sections": "no_such_section"}, "Select a valid choice"),
        ({"kind": "stage1", "scope_sections": "ai_system_trails"}, "No section ai_system_trails"),
    ],
)
def test_page_refuses_an_unknown_scope_with_400_next_to_the_field(world, client_as, no_queue, post, message):
    response = client_as("auditor").post(reverse("packs:list", args=[world.acme.pk]), {"kind": "full", **post})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AuditPack.objects.exists()
