"""The SoA page names the first few of each row's links (AI systems, risks, evidence, citations) and counts the rest.

However many records a row links, the page makes as many queries and holds as many of them;
"and N more" leads to the row's editor (AI systems), the risk register filtered by the
row's control (risks) or the row's history page (evidence and citations, listed in full).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.selectors import RISKS_SHOWN
from controls.selectors import EVIDENCE_SHOWN, SOA_SYSTEMS_SHOWN
from evidence import services as evidence_services
from tests.assessments.helpers import make_risk
from tests.controls.helpers import row_of
from tests.factories import EvidenceFactory, make_ai_system
from tests.kit import assert_constant_queries, get_ok

pytestmark = pytest.mark.django_db


def soa_url(ms):
    return reverse("controls:soa", args=[ms.pk])


def row_html(html: str, row) -> str:
    """The markup of one SoA row."""
    match = re.search(rf'<tr id="row-{row.pk}" .*?</tr>', html, re.S)
    assert match, f"row {row.pk} not on the page"
    return match.group(0)


def link_everything(world, row, count):
    """Link ``count`` AI systems, risks (through the row's control) and evidence files to one row."""
    from controls import services

    systems = [make_ai_system(world.acme, user=world.officer, name=f"Linked {i:03d}") for i in range(count)]
    row.refresh_from_db()
    linked = [*row.ai_systems.all(), *systems]
    services.applicability_update(row, user=world.officer, expected_version=row.version, ai_systems=linked)
    risks = [make_risk(world.acme, world.officer, title=f"Risk {i:03d}", controls=[row.control]) for i in range(count)]
    today = timezone.localdate()
    evidence = [
        EvidenceFactory(
            management_system=world.acme,
            user=world.officer,
            title=f"Report {i:03d}",
            evidence_date=today - timedelta(days=i),
            links={"soa_rows": [row]},
        )  # fmt: skip
        for i in range(count)
    ]
    return systems, risks, evidence


@pytest.mark.parametrize("persona", ["officer", "auditor"])
def test_a_row_linking_many_records_names_a_bounded_few_in_constant_queries(world, client_as, persona):
    row = row_of(world.acme, "A.6.2.8")
    link_everything(world, row, 1)
    page = get_ok(client_as(persona), soa_url(world.acme))
    before = row_html(page().content.decode(), row)
    many = max(SOA_SYSTEMS_SHOWN, RISKS_SHOWN, EVIDENCE_SHOWN) + 7

    assert_constant_queries(page, lambda: link_everything(world, row, many - 1))

    html = row_html(page().content.decode(), row)
    assert html.count('href="/ms/') < 40  # a bounded number of links, not one per linked record
    assert len(html) < len(before) + 4000
    # AI systems: the count and the first few by reference.
    assert f"{many} AI systems" in html
    system_page = reverse("registers:ai_system_detail", args=[world.acme.pk, 0]).replace("/0/", "/")
    assert len(re.findall(rf'href="{system_page}\d+/"', html)) == SOA_SYSTEMS_SHOWN
    # Risks: the count, the first few, and the rest in the risk register filtered by the control.
    risk_page = reverse("assessments:risk_detail", args=[world.acme.pk, 0]).replace("/0/", "/")
    risk_links = re.findall(rf'href="{risk_page}(\d+)/"', html)
    assert f"{many} risks" in html and len(risk_links) == RISKS_SHOWN
    more_risks = reverse("assessments:risk_list", args=[world.acme.pk]) + f"?control={row.control_id}"
    assert f'href="{more_risks}">and {many - RISKS_SHOWN} more' in html
    # Evidence: the newest few, with their age, and the rest on the row's history page.
    evidence_page = reverse("evidence:detail", args=[world.acme.pk, 0]).replace("/0/", "/")
    assert len(re.findall(rf'href="{evidence_page}\d+/"', html)) == EVIDENCE_SHOWN
    assert "Report 000" in html and f"Report {many - 1:03d}" not in html
    history = reverse("controls:soa_row_history", args=[world.acme.pk, row.pk])
    assert f'href="{history}#evidence-heading">{many - EVIDENCE_SHOWN} more' in html
    assert "(0 d)" in html  # the newest is dated today


def test_the_risk_register_link_lists_every_risk_of_the_control(world, client_as):
    row = row_of(world.acme, "A.6.2.8")
    _systems, risks, _evidence = link_everything(world, row, RISKS_SHOWN + 2)
    client = client_as("auditor")
    html = row_html(client.get(soa_url(world.acme)).content.decode(), row)
    shown = set(re.findall(r'title="Risk \d+">(RISK-\d+)</a>', html))
    assert len(shown) == RISKS_SHOWN and shown <= {r.reference for r in risks}
    register = client.get(reverse("assessments:risk_list", args=[world.acme.pk]), {"control": row.control_id})
    listed = register.content.decode()
    assert all(risk.reference in listed for risk in risks)


def test_superseded_evidence_is_neither_named_nor_counted_and_the_history_page_lists_all(world, client_as):
    row = row_of(world.acme, "A.6.2.8")
    old = EvidenceFactory(
        management_system=world.acme, user=world.officer, title="Draft audit log review",
        evidence_date=timezone.localdate() - timedelta(days=10), links={"soa_rows": [row]},
    )  # fmt: skip
    evidence_services.evidence_supersede(
        old, user=world.officer, title="Audit log review", evidence_date=timezone.localdate(),
        url="https://example.org/review", links={"soa_rows": [row]},
    )  # fmt: skip
    client = client_as("auditor")
    html = row_html(client.get(soa_url(world.acme)).content.decode(), row)
    assert "Audit log review" in html and "Draft audit log review" not in html and " more" not in html
    history = client.get(reverse("controls:soa_row_history", args=[world.acme.pk, row.pk])).content.decode()
    assert 'id="evidence-heading"' in history and "Audit log review" in history


def test_citations_name_the_first_few_and_count_the_rest(world, client_as):
    from controls import justification
    from controls.justification import CITED_SHOWN

    row = row_of(world.acme, "A.6.2.8")
    labels = [f"REQ-{i:03d} Obligation {i}" for i in range(CITED_SHOWN + 3)]
    sources = dict(justification._SOURCES)
    justification.register_justification_source(
        key="test-many", label="Rests on", read=lambda ms, ids, as_of: {row.pk: labels}, url=lambda r: ""
    )
    try:
        html = row_html(client_as("auditor").get(soa_url(world.acme)).content.decode(), row)
    finally:
        justification._SOURCES.clear()
        justification._SOURCES.update(sources)
    assert labels[CITED_SHOWN - 1] in html and labels[CITED_SHOWN] not in html
    history = reverse("controls:soa_row_history", args=[world.acme.pk, row.pk])
    assert f'and <a href="{history}">3 more' in html
