"""A pack rendered in parts: sections in render processes, joined with continuous page numbers, the
contents' real page numbers, an outline of every section, and sections reused when unchanged."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from packs import parallel, render, services
from packs.services import pack_file_path
from registers.services import ai_system_update
from tests.assessments.helpers import make_risk
from tests.factories import make_ai_system
from tests.packs.helpers import make_evidence, make_pack

pytestmark = pytest.mark.django_db


def texts(content: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(content)).pages]


def rendered(pack) -> bytes:
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    return pack_file_path(pack, "pdf").read_bytes()


def renders_during(action) -> list[str]:
    """The documents rendered (not read from the section cache) while ``action`` runs."""
    before = len(parallel.STATS.labels)
    action()
    return parallel.STATS.labels[before:]


# The documents of a pack that are not sections.
OTHER_DOCUMENTS = ("cover", "contents", "running headers", "page numbers")
# The sections that print something of the moment the pack is asked for (see the repeated pack's test).
MOMENT_SECTIONS = ("changes[0]", "readiness[0]")


def away_from_midnight() -> None:
    """Wait until moments a few minutes apart fall on the same day (sections print the as-of day)."""
    while (timezone.localtime() + timedelta(minutes=5)).date() != timezone.localdate():
        time.sleep(5)


def check_pack(pack, content: bytes) -> None:
    """What every pack promises: pages numbered, contents and bookmarks at each section's first page, a bundle that verifies."""
    reader = PdfReader(io.BytesIO(content))
    pages = texts(content)
    assert len(pages) == pack.pages
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text, number
    entries = re.findall(r"(\d+)\. ([A-Z][^.]*?) \.+ ?(\d+)", pages[1])
    sections = pack_sections(pack)
    assert len(entries) == len(sections)
    for number, title, page in entries:
        assert f"{number}. {title.strip()}" in pages[int(page) - 1][:200], (title, page)
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [str(item.title) for item in top[2:]] == [f"{n}. {s.title}" for n, s in enumerate(sections, start=1)]
    for item in top[2:]:
        assert str(item.title) in pages[reader.get_destination_page_number(item)][:200]
    assert set(reader.attachments) == {"manifest.json", "manifest.json.sig"}
    assert render.verify_bundle(pack_file_path(pack, "bundle")) == []


@pytest.fixture
def register(world, settings):
    """A register with a risk register large enough to be rendered in chunks."""
    settings.AIMS_PACK_SECTION_MAX_BYTES = 15_000
    system = make_ai_system(world.acme, user=world.officer, name="Triage assistant")
    for n in range(25):
        make_risk(world.acme, world.officer, title=f"Risk {n:02d} of the triage", ai_systems=[system])
    make_evidence(world, links={"ai_systems": [system]})
    return system


def test_pages_are_numbered_continuously_and_the_contents_give_each_sections_first_page(world, register):
    pack = make_pack(world)
    labels = renders_during(lambda: rendered(pack))
    content = pack_file_path(pack, "pdf").read_bytes()
    pages = texts(content)
    assert len(pages) == pack.pages and pack.pages > 25
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text, number
        assert f"Audit pack #{pack.pk}" in text
        if number > 1:  # the cover has no running header
            assert "Acme AIMS" in text and "As of" in text
    # The risk register was rendered in chunks of whole rows, each with the table's header row.
    assert "risks[0]" in labels and "risks[1]" in labels
    contents = pages[1]
    assert contents.startswith("Contents")
    entries = re.findall(r"(\d+)\. ([A-Z][^.]*?) \.+ ?(\d+)", contents)
    assert len(entries) == len(pack_sections(pack)) >= 20
    for number, title, page in entries:
        first = pages[int(page) - 1]
        assert f"{number}. {title.strip()}" in first[:200], (title, page)
        if int(page) > 3:  # it starts on that page, not before
            assert f"{number}. {title.strip()}" not in pages[int(page) - 2][:200]


def pack_sections(pack):
    from aims.pack_sections import sections_for

    return sections_for(pack.kind)


def test_outline_has_every_section_at_its_first_page_and_the_contents_link_there(world, register):
    pack = make_pack(world)
    content = rendered(pack)
    reader = PdfReader(io.BytesIO(content))
    top = [item for item in reader.outline if not isinstance(item, list)]
    titles = [str(item.title) for item in top]
    sections = pack_sections(pack)
    assert titles[1] == "Contents"
    assert titles[2:] == [f"{n}. {s.title}" for n, s in enumerate(sections, start=1)]
    pages = texts(content)
    for item in top[2:]:
        assert str(item.title) in pages[reader.get_destination_page_number(item)][:200]
    # The risk register's headings are under its own bookmark, from every chunk.
    risks = titles.index(next(t for t in titles if t.endswith("Risk heat map and register")))
    children = reader.outline[reader.outline.index(top[risks]) + 1]
    assert isinstance(children, list) and "Risk register" in [str(c.title) for c in children if not isinstance(c, list)]
    # Every link of the contents page leads to the first page of a section.
    targets = set()
    for annotation in reader.pages[1]["/Annots"]:
        destination = annotation.get_object()["/Dest"]
        targets.add(reader.get_page_number(destination[0].get_object()) + 1)
    first_pages = {reader.get_destination_page_number(item) + 1 for item in top[2:]}
    assert targets == first_pages


def test_the_joined_pdf_is_pdf_a_3b_with_the_manifest_embedded(world, register):
    pack = make_pack(world)
    reader = PdfReader(io.BytesIO(rendered(pack)))
    root = reader.trailer["/Root"]
    metadata = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in metadata and 'pdfaid:conformance="B"' in metadata
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    assert set(reader.attachments) == {"manifest.json", "manifest.json.sig"}
    assert reader.metadata["/Producer"].startswith("WeasyPrint")  # the Info dictionary agrees with the XMP
    assert str(reader.metadata["/Producer"]) in metadata
    for page in reader.pages:  # every font is embedded, the stamped ones too
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font.get("/DescendantFonts")
            descriptor = (descendant[0].get_object() if descendant else font)["/FontDescriptor"].get_object()
            assert any(key.startswith("/FontFile") for key in descriptor)
    assert render.verify_bundle(pack_file_path(pack, "bundle")) == []


def test_a_repeated_pack_renders_no_unchanged_section_again(world, register):
    """Asked for minutes later with nothing changed, every section is read back from the cache."""
    away_from_midnight()
    as_of = timezone.now()
    first = make_pack(world, as_of=as_of)
    first_labels = renders_during(lambda: rendered(first))
    hits = parallel.STATS.cache_hits
    again = make_pack(world, as_of=as_of + timedelta(minutes=3))  # another minute: the as-of time is on the cover only
    labels = renders_during(lambda: rendered(again))
    # The cover, contents and running headers name the pack. Two sections print what moves with the
    # moment a pack is asked for: "changes" names the previous pack and "readiness" when its checks were
    # evaluated (at the request). "gateway" counts the days up to the as-of moment without printing it.
    # "Page n of N" is the same for a pack of the same length: only the running headers are laid out again.
    assert sorted(labels) == sorted(["cover", "contents", "running headers", *MOMENT_SECTIONS])
    sections = [label for label in first_labels if label not in OTHER_DOCUMENTS]
    assert len(sections) > 25 and "risks[1]" in sections
    reused = len(sections) - len(MOMENT_SECTIONS) + first_labels.count("page numbers")
    assert parallel.STATS.cache_hits - hits == reused
    content = pack_file_path(again, "pdf").read_bytes()
    check_pack(again, content)
    assert texts(content)[2:] != [] and again.pages == first.pages
    assert "Triage assistant" in " ".join(texts(content))


def test_a_changed_record_renders_again_only_the_sections_that_show_it(world, register):
    away_from_midnight()
    before = timezone.now()
    ai_system_update(register, user=world.officer, expected_version=register.version, purpose="Now triages claims.")
    first = make_pack(world, as_of=before)
    rendered(first)
    again = make_pack(world, as_of=timezone.now() + timedelta(minutes=2))
    labels = renders_during(lambda: rendered(again))
    sections = set(labels) - {*OTHER_DOCUMENTS, *MOMENT_SECTIONS}
    assert sections == {"inventory[0]"}
    content = pack_file_path(again, "pdf").read_bytes()
    check_pack(again, content)
    text = " ".join(texts(content))
    assert "Now triages claims." in text
    assert "Now triages claims." not in " ".join(texts(pack_file_path(first, "pdf").read_bytes()))


def test_split_chapter_keeps_the_table_header_in_every_piece_and_every_row_once():
    rows = "".join(f"<tr><td>Row {n:03d} &lt;b&gt;</td></tr>" for n in range(300))
    html = f'<section class="chapter" id="sec-x"><h1>X</h1><p>Intro</p><table><thead><tr><th>Head</th></tr></thead><tbody>{rows}</tbody></table></section>'
    pieces = render.split_chapter(html, 2_000)
    assert len(pieces) > 5
    assert pieces[0].startswith('<section class="chapter" id="sec-x"><h1>X</h1>')
    for piece in pieces[1:]:
        assert piece.startswith('<section class="chapter continued">') and "<h1>" not in piece
    found = re.findall(r"Row (\d{3}) &lt;b&gt;", "".join(pieces))
    assert found == [f"{n:03d}" for n in range(300)]
    assert all("<thead><tr><th>Head</th></tr></thead>" in piece for piece in pieces if "Row " in piece)
    assert render.split_chapter(html, 10**6) == [html]


def test_render_processes_run_inside_a_daemonic_process(settings):
    """A Celery prefork child is daemonic: the pool starts processes there all the same."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:  # pool processes are daemonic
        pages = pool.apply(_render_in_daemon)
    assert pages == [1, 1]


def _render_in_daemon() -> list[int]:
    import multiprocessing

    assert multiprocessing.current_process().daemon
    parallel._POOL = None  # the processes of the pool copied from the parent are not this process's
    jobs = [parallel.Job(render._document_html("t", f"<p>{n}</p>")) for n in range(2)]
    return [result.pages for result in parallel.render_documents(jobs)]
