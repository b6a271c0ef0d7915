"""Browser policy: a strict Content-Security-Policy with no inline script or style anywhere,
Permissions-Policy on every answer, nothing signed-in or from the API kept in a cache, and
the API docs for signed-in people only."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from controls.catalog import catalog_ensure
from registers.models import ModelRecord
from tests.factories import EvidenceFactory, make_ai_system, make_record
from tests.packs.helpers import make_ready_pack

pytestmark = pytest.mark.django_db

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Rendered by WeasyPrint into PDFs, never served to a browser: their inline <style> may stay.
PDF_TEMPLATES = (
    "packs/pack_document.html",
    "packs/pack_cover_document.html",
    "packs/pack_toc_document.html",
    "packs/pack_overlay_document.html",
    "packs/partials/",
    "/pack/",
)


def key_pages(world) -> dict[str, str]:
    """One page of each kind a member opens, with the records they show."""
    from tests.assessments.helpers import make_assessment, make_risk

    catalog_ensure()  # the Annex A catalogue is migration data, flushed by transactional tests
    ms = world.acme.pk
    system = make_ai_system(world.acme, user=world.officer, name="Patient message triage")
    model = make_record(ModelRecord, world.acme, user=world.officer)
    risk = make_risk(world.acme, world.officer)
    assessment = make_assessment(world.acme, world.officer, system=system)
    evidence = EvidenceFactory(management_system=world.acme, user=world.officer, title="Bias evaluation")
    make_ready_pack(world)
    return {
        "overview": reverse("aims:ms_home", args=[ms]),
        "members": reverse("aims:members", args=[ms]),
        "ai systems": reverse("registers:ai_system_list", args=[ms]),
        "ai system": reverse("registers:ai_system_detail", args=[ms, system.pk]),
        "ai system history": reverse("registers:ai_system_history", args=[ms, system.pk]),
        "model record": reverse("registers:record_detail", args=[ms, "model-records", model.pk]),
        "soa": reverse("controls:soa", args=[ms]),
        "risks": reverse("assessments:risk_list", args=[ms]),
        "risk": reverse("assessments:risk_detail", args=[ms, risk.pk]),
        "new risk": reverse("assessments:risk_create", args=[ms]),
        "heat map": reverse("assessments:heatmap", args=[ms]),
        "criteria": reverse("assessments:criteria_list", args=[ms]),
        "impact assessments": reverse("assessments:impact_list", args=[ms]),
        "impact assessment": reverse("assessments:impact_detail", args=[ms, assessment.pk]),
        "evidence": reverse("evidence:list", args=[ms]),
        "evidence file": reverse("evidence:detail", args=[ms, evidence.pk]),
        "audit packs": reverse("packs:list", args=[ms]),
        "sign-offs": reverse("ledger:verify", args=[ms]),
    }


class InlineFinder(HTMLParser):
    """Collect what a strict CSP refuses: inline scripts, <style> blocks, style and on* attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append(f"<script> without src at line {self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> at line {self.getpos()[0]}")
        if "style" in names:
            self.found.append(f"style attribute on <{tag}> at line {self.getpos()[0]}")
        self.found += [f"{name} handler on <{tag}>" for name in names if name.startswith("on")]
        self.found += [f"javascript: URL on <{tag}>" for _, value in attrs if (value or "").startswith("javascript:")]


def inline_code(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


def csp_directives(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


def test_key_pages_have_no_inline_script_or_style_and_carry_the_strict_policy(world, client_as):
    client = client_as("owner")
    for name, url in key_pages(world).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert inline_code(response.content.decode()) == [], name
        assert csp_directives(response["Content-Security-Policy"]) == EXPECTED_CSP, name
        assert "camera=()" in response["Permissions-Policy"], name
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], name


def test_login_and_error_pages_have_no_inline_code(world, client_as):
    login = Client().get(reverse("login"))
    assert login.status_code == 200 and inline_code(login.content.decode()) == []
    assert csp_directives(login["Content-Security-Policy"]) == EXPECTED_CSP
    not_found = client_as("outsider").get(reverse("aims:ms_home", args=[world.acme.pk]))
    assert not_found.status_code == 404 and inline_code(not_found.content.decode()) == []
    from django.template.loader import render_to_string

    assert inline_code(render_to_string("500.html")) == []


def test_no_template_served_to_a_browser_has_inline_script_style_or_handlers():
    pattern = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I)
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        relative = path.relative_to(TEMPLATES).as_posix()
        if any(part in f"/{relative}" if part.startswith("/") else relative.startswith(part) for part in PDF_TEMPLATES):
            continue
        offenders += [f"{relative}: {match.group(0)}" for match in pattern.finditer(path.read_text())]
    assert offenders == []


def test_heat_map_svg_is_styled_by_attributes_not_a_style_element(world, client_as):
    from tests.assessments.helpers import make_risk

    make_risk(world.acme, world.officer)
    html = client_as("officer").get(reverse("assessments:heatmap", args=[world.acme.pk])).content.decode()
    assert "<svg" in html and "<style" not in html and 'font-size="20"' in html


def test_api_answers_are_never_cached_and_carry_the_permissions_policy(world, api_as):
    response = api_as("officer").get("/api/v1/ai-systems/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "microphone=()" in response["Permissions-Policy"]
    anonymous = Client().get("/api/v1/ai-systems/")
    assert anonymous.status_code in (401, 403) and "no-store" in anonymous["Cache-Control"]


def test_permissions_policy_denies_camera_microphone_and_geolocation(world):
    policy = Client().get(reverse("login"))["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_api_docs_and_schema_are_for_signed_in_people_only(world, client_as, api_as):
    docs = Client().get(reverse("api-docs"))
    assert docs.status_code == 302 and docs["Location"].startswith(reverse("login"))
    assert Client().get(reverse("schema")).status_code in (401, 403)
    assert api_as("auditor").get(reverse("schema")).status_code == 200


def test_api_docs_page_loads_its_start_up_script_by_url_under_the_strict_policy(world, client_as):
    client = client_as("auditor")
    response = client.get(reverse("api-docs"))
    html = response.content.decode()
    assert response.status_code == 200 and inline_code(html) == []
    assert csp_directives(response["Content-Security-Policy"]) == EXPECTED_CSP
    script = re.search(r'<script src="([^"]*script=[^"]*)"', html)
    assert script, "the Swagger UI start-up script must be loaded by URL"
    start_up = client.get(script.group(1).replace("&amp;", "&"))
    assert start_up.status_code == 200 and "SwaggerUIBundle" in start_up.content.decode()
