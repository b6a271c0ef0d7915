"""User text in the improvement loop's sections is printed as text, never read as markup."""

from __future__ import annotations

from django.utils import timezone

from improvement.models import TimelineEntry
from packs import gather, render
from packs.models import AuditPack
from packs.services import ledger_head
from tests.improvement.packs.helpers import (
    add_obligation,
    make_action,
    make_audit,
    make_finding,
    make_incident,
    make_nc,
    make_programme,
)
from tests.packs.helpers import make_pack, pdf_text

EVIL = "<b>Bold</b> <img src='file:///etc/passwd'>"


def test_malicious_titles_and_texts_are_shown_as_text_in_every_section(world):
    programme = make_programme(world, title=f"Programme {EVIL}")
    audit = make_audit(world, programme, title=f"Audit {EVIL}", conclusion=f"Conclusion {EVIL}")
    make_finding(world, audit, title=f"Finding {EVIL}", finding_type="observation")
    nc = make_nc(world, title=f"NC {EVIL}", root_cause=f"Cause {EVIL}")
    make_action(world, nc, description=f"Action {EVIL}", due=timezone.localdate())
    incident = make_incident(world, title=f"Incident {EVIL}")
    TimelineEntry.objects.create(incident=incident, author=world.officer, text=f"Entry {EVIL}")
    add_obligation(world, incident, deadline=timezone.now(), waived_reason=f"Waiver {EVIL}")

    pack = make_pack(world, kind=AuditPack.Kind.FULL)
    data = gather.gather_pack(pack)
    data.parts["ledger"] = ledger_head(pack.management_system, pack.as_of)
    html = render.render_pack_html(data)
    pdf = render.html_to_pdf(html)
    text = "".join(pdf_text(pdf.content).split())  # narrow cells wrap anywhere: compare without spaces

    assert "<img src='file:///etc/passwd'>" not in html and "&lt;img src=&#x27;file:///etc/passwd&#x27;&gt;" in html
    assert pdf.refused_urls == []  # no image was ever asked for: the tag was text
    for label in ("Programme", "Audit", "Conclusion", "Finding", "NC", "Cause", "Action", "Incident", "Entry",
                  "Waiver"):  # fmt: skip
        assert "".join(f"{label} {EVIL}".split()) in text, label
