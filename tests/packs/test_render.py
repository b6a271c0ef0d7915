"""Rendering a pack in-process: content, escaping, as-of values, atomic files, idempotency."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.utils import timezone

from packs import services
from packs.models import AuditPack
from packs.render import verify_bundle
from packs.services import pack_file_path
from registers.services import ai_system_update
from tests.factories import make_ai_system
from tests.packs.helpers import make_evidence, make_pack, pdf_text


def files_in(settings) -> list[Path]:
    root = Path(settings.AIMS_PACK_DIR)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_pack_shows_the_management_system_and_inventory_and_records_digests(world, settings):
    system = make_ai_system(world.acme, user=world.officer, name="Triage assistant")
    make_evidence(world, links={"ai_systems": [system]})
    pack = make_pack(world)
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    assert pack.status == AuditPack.Status.READY and pack.progress == 100
    content = pack_file_path(pack, "pdf").read_bytes()
    text = pdf_text(content)
    assert "Acme AIMS" in text and "Triage assistant" in text and "AIS-001" in text and "EVD-001" in text
    assert pack.pages >= 5 and pack.size == len(content)
    import hashlib

    assert pack.sha256 == hashlib.sha256(content).hexdigest()
    assert verify_bundle(pack_file_path(pack, "bundle")) == []


def test_user_content_is_shown_as_text_not_markup(world):
    make_ai_system(world.acme, user=world.officer, name="<b>Bold</b> <img src='file:///etc/passwd'>")
    pack = make_pack(world)
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    text = pdf_text(pack_file_path(pack, "pdf").read_bytes())
    assert "<b>Bold</b>" in text and "<img src='file:///etc/passwd'>" in text


def test_values_are_shown_as_of_the_pack_date(world):
    system = make_ai_system(world.acme, user=world.officer, name="Claims triage v1")
    as_of = timezone.now()
    ai_system_update(system, user=world.officer, expected_version=system.version, name="Claims triage v2")
    pack = make_pack(world, as_of=as_of)
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    text = pdf_text(pack_file_path(pack, "pdf").read_bytes())
    assert "Claims triage v1" in text and "Claims triage v2" not in text


def test_running_the_task_twice_makes_no_second_file(world, settings, tiny_html):
    pack = make_pack(world)
    services.pack_render(pack.pk)
    before = {p: p.stat().st_mtime_ns for p in files_in(settings)}
    assert services.pack_render(pack.pk) is None
    assert {p: p.stat().st_mtime_ns for p in files_in(settings)} == before
    assert len(before) == 2  # the PDF and the bundle, nothing else


def test_crash_before_the_move_leaves_no_visible_file_and_a_retry_completes(world, settings, tiny_html):
    pack = make_pack(world)

    def crash():
        raise OSError("worker killed")

    with pytest.raises(OSError):
        services.pack_render(pack.pk, before_move=crash)
    pack.refresh_from_db()
    assert pack.status != AuditPack.Status.READY and not pack.sha256
    assert files_in(settings) == []
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    assert pack.status == AuditPack.Status.READY and pack.attempts == 2
    assert [p.name for p in files_in(settings)] == sorted([pack.bundle_name, pack.file_name])


def test_leftover_temporary_files_of_a_killed_worker_are_removed_on_retry(world, settings, tiny_html):
    pack = make_pack(world)
    folder = Path(settings.AIMS_PACK_DIR) / str(world.acme.pk)
    folder.mkdir(parents=True)
    (folder / f".pack-{pack.pk}-abc.tmp").write_bytes(b"%PDF half")
    services.pack_render(pack.pk)
    assert not list(folder.glob(".pack-*"))


def test_manifest_digests_match_the_files_in_the_bundle(world, tiny_html):
    make_evidence(world, title="Monitoring export", name="monitoring.csv", data=b"a,b\n1,2\n")
    make_evidence(world, title="Model card")
    pack = make_pack(world)
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    import hashlib
    import json

    with zipfile.ZipFile(pack_file_path(pack, "bundle")) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
        assert {e["path"] for e in manifest["files"]} == set(archive.namelist()) - {
            "manifest.json", "manifest.json.sig",
        }  # fmt: skip
    assert manifest["pdf"]["sha256"] == pack.sha256
    assert manifest["pack"]["kind"] == "full" and manifest["pack"]["id"] == pack.pk
    # The PDF, two evidence files, ledger.json, the verifier and the public key.
    assert "signoff_chain" in manifest and len(manifest["files"]) == 6
