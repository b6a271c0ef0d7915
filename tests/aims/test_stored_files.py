"""Stored file names are opened only inside their folder: a name changed in the database serves nothing.

The names are written with the ORM here, as someone with the admin or the database would.
"""

from __future__ import annotations

import os
from datetime import date

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse

from aims.files import UnsafeStoredName, confined_path, open_stored
from evidence.demo import samples
from evidence.models import Evidence, EvidenceDownload
from evidence.selectors import open_evidence_file
from packs.models import AuditPack, PackDownload
from tests.factories import EvidenceFactory
from tests.packs.helpers import make_ready_pack

OUTSIDE = ["/etc/passwd", "../../../../etc/passwd", "evidence/1/../../../etc/passwd", "..", "a\\..\\b", "a/\x00b"]


@pytest.mark.parametrize("name", OUTSIDE)
def test_names_outside_the_folder_are_refused(tmp_path, name):
    with pytest.raises(UnsafeStoredName):
        confined_path(tmp_path, name)


def test_a_plain_name_inside_the_folder_is_its_resolved_path(tmp_path):
    (tmp_path / "sub").mkdir()
    assert confined_path(tmp_path, "sub/a.pdf") == (tmp_path / "sub" / "a.pdf").resolve()


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path):
    folder = tmp_path / "packs"
    folder.mkdir()
    os.symlink("/etc/passwd", folder / "pack.pdf")
    with pytest.raises(UnsafeStoredName):
        confined_path(folder, "pack.pdf")


@pytest.mark.parametrize("name", [*OUTSIDE, "evidence/2/a.pdf", "evidence/1", "evidence/10/a.pdf"])
def test_storage_names_outside_the_folder_are_refused(name):
    with pytest.raises(UnsafeStoredName):
        open_stored(name, folder="evidence/1")


# --- evidence ----------------------------------------------------------------------------


def _forged(world, name: str) -> Evidence:
    """An evidence row whose stored name was set behind the application's back."""
    real = EvidenceFactory(management_system=world.acme, user=world.officer, file_name="bias.pdf")
    return Evidence.objects.create(
        management_system=world.acme, reference="EVD-900", title="Forged", evidence_date=date(2026, 1, 1),
        kind=Evidence.Kind.FILE, file=name, file_extension="pdf", content_type="application/pdf",
        size=real.size, sha256=real.sha256,
    )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["/etc/passwd", "../../../../../../etc/passwd", "evidence/1/../../../etc/passwd"])
def test_an_evidence_file_name_outside_its_folder_is_never_served(world, client_as, api_as, name):
    forged = _forged(world, name)

    page = client_as("auditor").get(reverse("evidence:download", args=[world.acme.pk, forged.pk]))
    api = api_as("auditor").get(f"/api/v1/evidence/{forged.pk}/download/")

    assert (page.status_code, api.status_code) == (404, 404)
    assert api.json() == {"detail": "The evidence file is missing."}
    assert not EvidenceDownload.objects.filter(evidence=forged).exists()


@pytest.mark.django_db
def test_evidence_of_another_management_system_is_not_served_through_a_forged_name(world, client_as):
    theirs = EvidenceFactory(management_system=world.northwind, user=world.outsider, file_name="secret.pdf")
    forged = _forged(world, theirs.file.name)

    response = client_as("auditor").get(reverse("evidence:download", args=[world.acme.pk, forged.pk]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_an_evidence_file_replaced_by_a_symbolic_link_out_is_not_served(world, client_as):
    evidence = EvidenceFactory(management_system=world.acme, user=world.officer, file_name="bias.pdf")
    path = default_storage.path(evidence.file.name)
    os.remove(path)
    os.symlink("/etc/passwd", path)

    response = client_as("auditor").get(reverse("evidence:download", args=[world.acme.pk, evidence.pk]))

    assert response.status_code == 404
    with pytest.raises(UnsafeStoredName):
        open_evidence_file(evidence)


@pytest.mark.django_db
def test_a_genuine_evidence_file_is_still_served(world, client_as):
    evidence = EvidenceFactory(
        management_system=world.acme, user=world.officer, file_name="bias.pdf", data=samples.pdf_bytes()
    )
    response = client_as("auditor").get(reverse("evidence:download", args=[world.acme.pk, evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == samples.pdf_bytes()


# --- packs -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["/etc/passwd", "../../../../../../etc/passwd", "../2/aims-pack-1.pdf"])
@pytest.mark.parametrize("part", ["pdf", "bundle"])
def test_a_pack_file_name_outside_its_folder_is_never_served(world, client_as, api_as, name, part):
    pack = make_ready_pack(world)
    field = "file_name" if part == "pdf" else "bundle_name"
    AuditPack.objects.filter(pk=pack.pk).update(**{field: name})
    api_part = "download" if part == "pdf" else "bundle"

    page = client_as("auditor").get(reverse("packs:download", args=[world.acme.pk, pack.pk, part]))
    api = api_as("auditor").get(f"/api/v1/audit-packs/{pack.pk}/{api_part}/")

    assert (page.status_code, api.status_code) == (404, 404)
    assert "detail" in api.json()
    assert not PackDownload.objects.exists()


@pytest.mark.django_db
def test_a_pack_file_replaced_by_a_symbolic_link_out_is_not_served(world, client_as):
    pack = make_ready_pack(world)
    path = settings.AIMS_PACK_DIR / str(world.acme.pk) / pack.file_name
    path.unlink()
    os.symlink("/etc/passwd", path)

    response = client_as("auditor").get(reverse("packs:download", args=[world.acme.pk, pack.pk, "pdf"]))

    assert response.status_code == 404
