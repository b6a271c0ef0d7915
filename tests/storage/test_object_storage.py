"""Every file through the storage API, on an S3-compatible object store (moto's server over HTTP).

Evidence, packs and bundles, anchor logs and the readiness probe are written to and read
from the bucket; downloads go through the web process after the permission check; and
nothing is written to the local folders while object storage is configured.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from aims import anchors, ledger
from controls import services as control_services
from evidence.demo import samples
from evidence.models import Evidence, EvidenceDownload
from packs import services
from packs.models import AuditPack, PackDownload
from packs.render import verify_bundle
from tests.controls.helpers import decide_all
from tests.packs.helpers import make_evidence, make_pack, pdf_text

pytestmark = pytest.mark.django_db


def _upload(client_as, world, name="monitoring.csv", data=None):
    data = data or samples.csv_bytes()
    response = client_as("officer").post(
        reverse("evidence:create", args=[world.acme.pk]),
        {"title": "Monitoring export", "evidence_date": "2026-01-31", "file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 302, response.content[:2000]
    return Evidence.objects.get(management_system=world.acme, title="Monitoring export")


def test_evidence_is_uploaded_to_the_bucket_and_downloaded_through_the_web_process(world, client_as, object_storage):
    evidence = _upload(client_as, world)
    objects = object_storage.objects()
    key = f"{object_storage.prefix}/{evidence.file.name}"
    assert evidence.file.name.startswith(f"evidence/{world.acme.pk}/")
    assert objects == {key: samples.csv_bytes()}

    response = client_as("auditor").get(reverse("evidence:download", args=[world.acme.pk, evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == samples.csv_bytes()
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert EvidenceDownload.objects.get().sha256 == hashlib.sha256(samples.csv_bytes()).hexdigest()
    assert object_storage.server.endpoint not in response.serialize_headers().decode()

    api = client_as("auditor").get(f"/api/v1/evidence/{evidence.pk}/download/")
    assert api.status_code == 200 and b"".join(api.streaming_content) == samples.csv_bytes()
    assert client_as("outsider").get(reverse("evidence:download", args=[world.acme.pk, evidence.pk])).status_code == 404


def test_an_object_missing_from_the_bucket_is_a_404_not_a_500(world, client_as, object_storage):
    evidence = _upload(client_as, world)
    object_storage.server.client().delete_object(
        Bucket="aims-test", Key=f"{object_storage.prefix}/{evidence.file.name}"
    )
    response = client_as("auditor").get(reverse("evidence:download", args=[world.acme.pk, evidence.pk]))
    assert response.status_code == 404
    assert not EvidenceDownload.objects.exists()


def test_objects_are_private_and_no_signed_link_is_made(world, client_as, object_storage):
    from django.core.files.storage import default_storage

    evidence = _upload(client_as, world)
    key = f"{object_storage.prefix}/{evidence.file.name}"
    grants = object_storage.server.client().get_object_acl(Bucket="aims-test", Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner only: private
    assert all("URI" not in grant["Grantee"] for grant in grants), "no AllUsers / AuthenticatedUsers grant"
    assert "Signature" not in default_storage.url(evidence.file.name)  # never a presigned link


def test_the_anchor_log_is_written_and_read_in_the_bucket(world, object_storage):
    decide_all(world.acme, world.officer)
    approve = control_services.soa_approve
    approve(verification="password", management_system=world.acme, user=world.leader, statement="One.", confirmed=True)
    first = anchors.anchor_chain(world.acme, reason="daily")
    assert first.appended and first.anchor["line"] == 1
    approve(verification="password", management_system=world.acme, user=world.leader, statement="Two.", confirmed=True)
    second = anchors.anchor_chain(world.acme, reason="daily")
    assert second.appended and second.anchor["line"] == 2

    log = object_storage.objects()[f"{object_storage.prefix}/anchors/{world.acme.pk}.jsonl"]
    lines = [json.loads(line) for line in log.decode().splitlines()]
    assert [line["sequence"] for line in lines] == [1, 2] and all(anchors.signature_valid(line) for line in lines)
    assert anchors.latest(world.acme.pk)["sequence"] == 2
    result = ledger.verify(world.acme)
    assert result["ok"] and result["anchor"]["line"] == 2


def test_the_readiness_probe_writes_reads_and_deletes_in_the_bucket(object_storage):
    response = Client().get("/health/ready")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["storage"]["ok"] is True
    assert object_storage.objects() == {}, "the probe must delete its objects"


def test_the_readiness_probe_fails_when_the_bucket_is_missing(s3_server, settings):
    from aims.storage_url import storages_for

    settings.STORAGES = {**settings.STORAGES, **storages_for(s3_server.url("x").replace("aims-test", "no-such"))}
    response = Client().get("/health/ready")
    assert response.status_code == 503 and response.json()["checks"]["storage"]["ok"] is False


def test_a_pack_rendered_in_process_lands_in_the_bucket_and_verifies(world, client_as, object_storage, tmp_path):
    make_evidence(world, title="Model card")
    pack = make_pack(world)
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    assert pack.status == AuditPack.Status.READY
    objects = object_storage.objects()
    pdf_key = f"{object_storage.prefix}/packs/{world.acme.pk}/{pack.file_name}"
    bundle_key = f"{object_storage.prefix}/packs/{world.acme.pk}/{pack.bundle_name}"
    assert {pdf_key, bundle_key} <= set(objects)
    assert hashlib.sha256(objects[pdf_key]).hexdigest() == pack.sha256 and len(objects[pdf_key]) == pack.size
    assert hashlib.sha256(objects[bundle_key]).hexdigest() == pack.bundle_sha256
    assert len(objects[bundle_key]) == pack.bundle_size
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(objects[bundle_key])
    assert verify_bundle(bundle) == []


@pytest.mark.parametrize("name", ["../2/aims-pack-1.pdf", "/etc/passwd", "a/../../x.pdf"])
def test_a_pack_name_outside_its_folder_is_refused_on_the_object_store_too(world, client_as, object_storage, name):
    from tests.packs.helpers import make_ready_pack

    pack = make_ready_pack(world)
    AuditPack.objects.filter(pk=pack.pk).update(file_name=name)
    response = client_as("auditor").get(reverse("packs:download", args=[world.acme.pk, pack.pk, "pdf"]))
    assert response.status_code == 404 and not PackDownload.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_pack_rendered_by_a_real_worker_is_downloaded_through_the_web_process(world, client_as, s3_worker_storage):
    worker, storage = s3_worker_storage
    from tests.packs.worker import wait_for_pack

    make_evidence(world, title="Bias evaluation report")  # saved to the bucket here, read back by the worker
    decide_all(world.acme, world.officer)
    control_services.soa_approve(
        verification="password", management_system=world.acme, user=world.leader, statement="Ok.", confirmed=True
    )
    pack = services.pack_request(management_system=world.acme, user=world.auditor, kind=AuditPack.Kind.STAGE1)
    wait_for_pack(pack, worker)
    assert pack.status == AuditPack.Status.READY, pack.failure_reason + worker.output()[-3000:]
    keys = set(storage.objects())
    assert f"{storage.prefix}/packs/{world.acme.pk}/{pack.file_name}" in keys
    assert f"{storage.prefix}/anchors/{world.acme.pk}.jsonl" in keys  # the worker anchored the chain in the bucket
    assert anchors.latest(world.acme.pk)["sequence"] == 1  # and this process reads it back

    client = client_as("auditor")
    pdf = client.get(reverse("packs:download", args=[world.acme.pk, pack.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    content = b"".join(pdf.streaming_content)
    assert hashlib.sha256(content).hexdigest() == pack.sha256 and content.startswith(b"%PDF")
    assert "Acme AIMS" in pdf_text(content)
    bundle = client.get(reverse("packs:download", args=[world.acme.pk, pack.pk, "bundle"]))
    assert bundle.status_code == 200
    archive_bytes = b"".join(bundle.streaming_content)
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["pdf"]["sha256"] == pack.sha256
    path = storage.media.parent / "downloaded-bundle.zip"
    path.write_bytes(archive_bytes)
    assert verify_bundle(path) == []
    path.unlink()
    assert sorted(PackDownload.objects.values_list("part", flat=True)) == ["bundle", "pdf"]
    assert client_as("outsider").get(reverse("packs:download", args=[world.acme.pk, pack.pk, "pdf"])).status_code == 404
    assert storage.local_files() == [], "the web or the worker wrote to a local folder"
