"""Evidence pages: who may read, record and download; downloads recorded; refusals keep the form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from evidence.demo import samples
from evidence.models import Evidence, EvidenceDownload
from evidence.selectors import evidence_for
from tests.evidence.test_uploads import stored_files
from tests.factories import EvidenceFactory, make_ai_system
from tests.kit import assert_constant_queries, get_ok, matrix

READERS = ["owner", "officer", "leader", "contributor", "auditor"]
READ = {**dict.fromkeys(READERS, 200), "expired_auditor": 404, "outsider": 404}
RECORD = {
    "owner": 302,
    "officer": 302,
    "leader": 403,
    "contributor": 403,
    "auditor": 403,
    "expired_auditor": 404,
    "outsider": 404,
}


@pytest.fixture
def evidence(world):
    return EvidenceFactory(
        management_system=world.acme,
        user=world.officer,
        title="Bias test <b>report</b>",
        file_name="bias.pdf",
        data=samples.pdf_bytes(),
    )


@matrix(READ, name="name")
def test_who_may_read_evidence(world, client_as, evidence, name, expected):
    assert client_as(name).get(reverse("evidence:list", args=[world.acme.pk])).status_code == expected
    assert client_as(name).get(reverse("evidence:detail", args=[world.acme.pk, evidence.pk])).status_code == expected


@matrix(READ, name="name")
def test_download_is_an_attachment_with_nosniff_and_every_download_is_recorded(
    world, client_as, evidence, name, expected
):
    response = client_as(name).get(reverse("evidence:download", args=[world.acme.pk, evidence.pk]))
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Disposition"].startswith('attachment; filename="EVD-001-bias.pdf"')
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == samples.pdf_bytes()
        record = EvidenceDownload.objects.get()
        assert (record.user, record.evidence, record.sha256) == (world.users[name], evidence, evidence.sha256)
    else:
        assert not EvidenceDownload.objects.exists()


def test_title_is_escaped(world, client_as, evidence):
    page = client_as("auditor").get(reverse("evidence:detail", args=[world.acme.pk, evidence.pk])).content.decode()
    assert "Bias test &lt;b&gt;report&lt;/b&gt;" in page


@matrix(RECORD, name="name")
def test_who_may_record_evidence(world, client_as, name, expected):
    system = make_ai_system(world.acme, user=world.officer)
    data = {
        "title": "Monitoring export",
        "evidence_date": "2026-01-31",
        "file": SimpleUploadedFile("monitoring.csv", samples.csv_bytes()),
        "ai_systems": [system.pk],
    }
    response = client_as(name).post(reverse("evidence:create", args=[world.acme.pk]), data)
    assert response.status_code == expected
    assert len(evidence_for(system)) == (1 if expected == 302 else 0)


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 100, "not accepted"),
        ("empty.pdf", b"", "empty"),
        ("..%2F..%2Fx.pdf", samples.pdf_bytes(), "plain file name"),
    ],
)
def test_refused_upload_keeps_the_form_and_stores_nothing(world, client_as, name, data, message):
    response = client_as("officer").post(
        reverse("evidence:create", args=[world.acme.pk]),
        {"title": "Kept title", "evidence_date": "2026-01-31", "file": SimpleUploadedFile(name, data)},
    )
    page = response.content.decode()
    assert response.status_code == 400 and message in page and 'value="Kept title"' in page
    assert not Evidence.objects.exists() and stored_files() == []


def test_oversize_upload_is_refused(world, client_as, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024
    response = client_as("officer").post(
        reverse("evidence:create", args=[world.acme.pk]),
        {
            "title": "Big",
            "evidence_date": "2026-01-31",
            "file": SimpleUploadedFile("big.pdf", samples.pdf_bytes() + b"0" * 2048),
        },
    )
    assert response.status_code == 400 and "the limit is" in response.content.decode()
    assert not Evidence.objects.exists()


def test_correction_supersedes_and_list_shows_current_versions(world, client_as, evidence):
    client = client_as("officer")
    response = client.post(
        reverse("evidence:supersede", args=[world.acme.pk, evidence.pk]),
        {
            "title": "Bias test v2",
            "evidence_date": "2026-02-01",
            "file": SimpleUploadedFile("bias2.pdf", samples.pdf_bytes("v2")),
        },
    )
    assert response.status_code == 302
    newer = Evidence.objects.get(supersedes=evidence)
    page = client.get(reverse("evidence:list", args=[world.acme.pk])).content.decode()
    assert f'<td class="ref">{newer.reference}</td>' in page
    assert f'<td class="ref">{evidence.reference}</td>' not in page
    everything = client.get(reverse("evidence:list", args=[world.acme.pk]) + "?all=1").content.decode()
    assert f'<td class="ref">{evidence.reference}</td>' in everything


def test_stale_evidence_is_flagged(world, client_as, settings):
    settings.EVIDENCE_STALE_DAYS = 30
    EvidenceFactory(
        management_system=world.acme,
        user=world.officer,
        title="Old audit",
        evidence_date=timezone.localdate() - timedelta(days=45),
        url="https://example.org/audit",
    )
    page = client_as("auditor").get(reverse("evidence:list", args=[world.acme.pk])).content.decode()
    assert "Stale · 45 days" in page


def test_evidence_list_query_count_does_not_grow(world, client_as, evidence):
    system = make_ai_system(world.acme, user=world.officer)
    EvidenceFactory(
        management_system=world.acme, user=world.officer, title="First", url="https://example.org",
        links={"ai_systems": [system]},
    )  # fmt: skip
    evidence_list = get_ok(client_as("auditor"), reverse("evidence:list", args=[world.acme.pk]))

    def record_more():
        for n in range(5):
            EvidenceFactory(
                management_system=world.acme,
                user=world.officer,
                title=f"Item {n}",
                url="https://example.org",
                links={"ai_systems": [system]},
            )

    assert_constant_queries(evidence_list, record_more)


def test_ai_system_and_soa_pages_show_linked_evidence_with_its_age(world, client_as):
    from controls.models import Applicability

    system = make_ai_system(world.acme, user=world.officer)
    row = Applicability.objects.select_related("control").filter(management_system=world.acme).first()
    EvidenceFactory(
        management_system=world.acme, user=world.officer, title="Drift report", evidence_date=timezone.localdate() - timedelta(days=3),
        url="https://example.org/drift", links={"ai_systems": [system], "soa_rows": [row]},
    )  # fmt: skip
    client = client_as("auditor")
    system_page = client.get(reverse("registers:ai_system_detail", args=[world.acme.pk, system.pk])).content.decode()
    assert "Drift report" in system_page and "3 days" in system_page
    soa_page = client.get(reverse("controls:soa", args=[world.acme.pk])).content.decode()
    assert "Evidence: " in soa_page and "EVD-001</a> (3 d)" in soa_page
