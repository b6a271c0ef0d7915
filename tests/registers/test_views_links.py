"""No dead links: every link in the main content of the register pages opens for the reader."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from registers.models import DatasetRecord, ModelRecord, Supplier
from tests.factories import make_ai_system, make_record

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="([^"]+)"')


def main_links(html: str) -> set[str]:
    main = html.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    return {unescape(href) for href in HREF.findall(main) if href.startswith("/") or href.startswith("?")}


@pytest.mark.parametrize("persona", ["owner", "officer", "auditor", "contributor"])
def test_every_link_on_the_register_pages_opens(world, client_as, persona):
    model = make_record(ModelRecord, world.acme, user=world.owner, name="Model")
    dataset = make_record(DatasetRecord, world.acme, user=world.owner, name="Dataset")
    supplier = make_record(Supplier, world.acme, user=world.owner, name="Supplier")
    system = make_ai_system(
        world.acme,
        user=world.owner,
        owner=world.contributor,
        model_records=[model],
        dataset_records=[dataset],
        suppliers=[supplier],
    )
    ms = world.acme.pk
    start = [
        reverse("aims:ms_home", args=[ms]),
        reverse("registers:ai_system_list", args=[ms]),
        reverse("registers:ai_system_detail", args=[ms, system.pk]),
        reverse("registers:record_list", args=[ms, "model-records"]),
        reverse("registers:record_detail", args=[ms, "suppliers", supplier.pk]),
    ]
    client = client_as(persona)
    seen: dict[str, int] = {}
    for page in start:
        response = client.get(page)
        assert response.status_code == 200, page
        for link in main_links(response.content.decode()):
            url = page.split("?")[0] + link if link.startswith("?") else link
            if url not in seen:
                seen[url] = client.get(url).status_code

    broken = {url: status for url, status in seen.items() if status != 200}
    assert broken == {}
    assert len(seen) > 10  # the pages really link to each other
