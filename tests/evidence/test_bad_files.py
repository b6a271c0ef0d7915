"""Evidence that would harm whoever opens or checks it is refused with a clear 4xx, never a 500.

Macro-enabled Office files, archives that expand far beyond their size (zip bombs), JSON
nested past the parser's limit, and dates in the future (on the API as on the form).
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from evidence.demo import samples
from evidence.models import Evidence
from tests.evidence.test_uploads import create, stored_files, upload

pytestmark = pytest.mark.django_db

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
MACROS = "Office files with macros are not accepted"


def ooxml(main: str = DOCX_MAIN, extra: dict[str, bytes] | None = None, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A Word package with the given main content type and extra members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'content-types"><Override PartName="/word/document.xml" ContentType="{main}"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def refusal(world, name: str, data: bytes) -> str:
    with pytest.raises(ValidationError) as refused:
        create(world, upload(name, data))
    assert Evidence.objects.count() == 0 and stored_files() == []
    return " ".join(refused.value.message_dict["file"])


# --- macros --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["minutes.docm", "budget.xlsm", "deck.pptm", "template.dotm"])
def test_macro_enabled_office_files_are_refused_by_name(world, name):
    assert MACROS in refusal(world, name, ooxml(DOCM_MAIN))


def test_a_macro_enabled_document_renamed_docx_is_refused(world):
    assert MACROS in refusal(world, "minutes.docx", ooxml(DOCM_MAIN))


def test_a_docx_carrying_a_vba_project_is_refused(world):
    data = ooxml(extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"})
    assert MACROS in refusal(world, "minutes.docx", data)


def test_an_xlsx_carrying_a_vba_project_is_refused(world):
    source = zipfile.ZipFile(io.BytesIO(samples.xlsx_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            archive.writestr(item, source.read(item))
        archive.writestr("xl/vbaProject.bin", b"macro")
    assert MACROS in refusal(world, "sheet.xlsx", buffer.getvalue())


def test_plain_office_files_are_still_accepted(world):
    assert create(world, upload("minutes.docx", ooxml())).file_extension == "docx"
    assert create(world, upload("sheet.xlsx", samples.xlsx_bytes())).file_extension == "xlsx"


# --- archives that expand ----------------------------------------------------------------


def test_a_member_that_expands_far_beyond_its_size_is_refused(world):
    data = ooxml(extra={"word/media/fill.bin": b"\0" * (8 * 1024 * 1024)})
    assert len(data) < 100 * 1024
    assert "expands more than 100 times" in refusal(world, "minutes.docx", data)


def test_an_archive_whose_members_add_up_beyond_the_limit_is_refused(world, settings):
    settings.EVIDENCE_ZIP_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    data = ooxml(extra={"word/media/photo.bin": os.urandom(1100 * 1024)})
    assert "expands to more than 1 MB" in refusal(world, "minutes.docx", data)


def test_an_archive_with_too_many_members_is_refused(world, settings):
    settings.EVIDENCE_ZIP_MAX_MEMBERS = 5
    data = ooxml(extra={f"word/part{n}.xml": b"<x/>" for n in range(10)})
    assert "more than 5 files" in refusal(world, "minutes.docx", data)


def test_well_compressed_small_parts_are_not_mistaken_for_a_bomb(world):
    data = ooxml(extra={"word/styles.xml": b"<w:style/>" * 50_000})  # 500 KB of XML, ~1000 times smaller
    assert create(world, upload("minutes.docx", data)).file_extension == "docx"


# --- JSON files ----------------------------------------------------------------------------


def test_a_json_file_nested_past_the_parser_is_refused_through_the_api(world, api_as):
    body = b"[" * 100_000 + b"]" * 100_000
    client = api_as("officer")
    client.raise_request_exception = False
    response = client.post(
        "/api/v1/evidence/",
        {
            "management_system": world.acme.pk,
            "title": "Deep",
            "evidence_date": "2026-01-01",
            "file": SimpleUploadedFile("deep.json", body),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["file"][0]


# --- dates -----------------------------------------------------------------------------------


def _tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


def test_a_future_evidence_date_is_refused_on_the_api_as_on_the_form(world, api_as, client_as):
    body = {"management_system": world.acme.pk, "title": "Tomorrow's test", "url": "https://example.org/t"}
    api = api_as("officer").post("/api/v1/evidence/", {**body, "evidence_date": _tomorrow().isoformat()}, format="json")
    page = client_as("officer").post(
        reverse("evidence:create", args=[world.acme.pk]), {**body, "evidence_date": _tomorrow().isoformat()}
    )

    assert api.status_code == 400
    assert api.json() == {"evidence_date": ["The evidence date is in the future."]}
    assert page.status_code == 400
    assert "The evidence date is in the future." in page.context["form"].errors["evidence_date"]
    assert Evidence.objects.count() == 0


def test_today_is_not_the_future(world, api_as):
    body = {"management_system": world.acme.pk, "title": "Today", "url": "https://example.org/t"}
    response = api_as("officer").post(
        "/api/v1/evidence/", {**body, "evidence_date": timezone.localdate().isoformat()}, format="json"
    )
    assert response.status_code == 201, response.content
