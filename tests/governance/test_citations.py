"""SoA citations: what an SoA row's justification cites (the legal register, risks, impact assessments, policy).

Adding and removing with history, validation, the SoA page (constant queries), the pack's SoA section as
of its date, the citations page and the API with their permission matrices.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from aims.pack_sections import PackData, pack_section
from controls.models import Applicability
from controls.pack import gather_soa
from governance.citations import services
from governance.models import Document, SoaCitation
from packs.models import AuditPack
from tests.factories import ImpactAssessmentFactory, RiskFactory
from tests.governance.context_helpers import make_requirement
from tests.kit import PERSONAS, assert_constant_queries, get_ok, status
from tests.packs.helpers import make_pack

pytestmark = pytest.mark.django_db


def soa_row(ms, key: str) -> Applicability:
    return Applicability.objects.select_related("control").get(management_system=ms, control__key=key)


def cite(world, row, reason_type="legal", **target) -> SoaCitation:
    return services.citation_add(applicability=row, user=world.officer, reason_type=reason_type, **target)


def test_adding_and_removing_a_citation_keeps_its_history_and_refuses_bad_targets(world):
    row = soa_row(world.acme, "A.6.2.8")
    requirement = make_requirement(world.acme, world.officer, source_reference="EU AI Act Art. 26(6)")
    citation = services.citation_add(
        applicability=row, user=world.officer, reason_type="legal", requirement=requirement, reason="Logs law"
    )
    assert citation.reference == "CIT-001" and citation.label == f"{requirement.reference} EU AI Act Art. 26(6)"
    policy = Document.objects.get(management_system=world.acme, key="ai_policy")
    assert cite(world, row, "policy", document=policy).label == policy.identifier

    def refused(field: str, **kwargs) -> None:
        with pytest.raises(ValidationError) as caught:
            services.citation_add(applicability=row, user=world.officer, reason_type="risk_treatment", **kwargs)
        assert field in caught.value.message_dict, caught.value

    theirs = RiskFactory(management_system=world.northwind, user=world.outsider)
    risk = RiskFactory(management_system=world.acme, user=world.officer)
    refused("risk", risk=theirs)  # another management system's risk
    refused("risk", requirement=make_requirement(world.acme, world.officer, title="Other"), risk=risk)  # two targets
    refused("requirement")  # none
    refused("requirement", requirement=requirement)  # already cited
    services.citation_add(
        applicability=soa_row(world.acme, "A.2.2"), user=world.officer, reason_type="legal", requirement=requirement
    )  # fmt: skip  (the same record on another row is fine)

    services.citation_remove(citation, user=world.officer, expected_version=1, reason="Superseded by Art. 12")
    assert not SoaCitation.objects.filter(pk=citation.pk).exists()
    versions = list(SoaCitation.history.filter(id=citation.pk).order_by("history_id"))
    assert [(v.history_type, v.history_user, v.history_change_reason) for v in versions] == [
        ("+", world.officer, "Logs law"),
        ("-", world.officer, "Superseded by Art. 12"),
    ]


def test_the_soa_page_shows_each_rows_citations_in_a_constant_number_of_queries(world, client_as):
    officer, auditor = client_as("officer"), client_as("auditor")
    url = reverse("controls:soa", args=[world.acme.pk])
    requirement = make_requirement(world.acme, world.officer, source_reference="EU AI Act Art. 26(6)")
    cite(world, soa_row(world.acme, "A.6.2.8"), requirement=requirement)
    keys = iter(["A.2.2", "A.2.3", "A.2.4", "A.3.2", "A.3.3"])

    def grow() -> None:
        for _ in range(2):
            row = soa_row(world.acme, next(keys))
            cite(world, row, "risk_treatment", risk=RiskFactory(management_system=world.acme, user=world.officer))
            ia = ImpactAssessmentFactory(management_system=world.acme, user=world.officer)
            cite(world, row, "impact_assessment", impact_assessment=ia)

    assert_constant_queries(get_ok(officer, url), grow)
    page = officer.get(url).content.decode()
    assert f"{requirement.reference} EU AI Act Art. 26(6)" in page and "AIIA-" in page and "RISK-" in page
    cite_url = reverse("governance:soa_citations", args=[world.acme.pk, soa_row(world.acme, "A.6.2.8").pk])
    assert cite_url in page
    read_only = auditor.get(url).content.decode()
    assert f"{requirement.reference} EU AI Act Art. 26(6)" in read_only and cite_url not in read_only
    history = officer.get(reverse("controls:soa_row_history", args=[world.acme.pk, soa_row(world.acme, "A.6.2.8").pk]))
    assert "EU AI Act Art. 26(6)" in history.content.decode()


def pack_html(pack: AuditPack) -> str:
    data = PackData(pack=pack, management_system=pack.management_system, sections=[], generated_at=timezone.now())
    gather_soa(data)
    return render_to_string(pack_section("soa").template, {"data": data.parts, "pack": pack})


def test_the_pack_soa_section_lists_the_citations_as_of_its_date(world):
    row = soa_row(world.acme, "A.5.2")
    gdpr = make_requirement(world.acme, world.officer, source_reference="UK GDPR <Art. 35>")
    early = cite(world, row, requirement=gdpr)
    before = make_pack(world, as_of=timezone.now())
    later_risk = RiskFactory(management_system=world.acme, user=world.officer)
    cite(world, row, "risk_treatment", risk=later_risk)
    services.citation_remove(early, user=world.officer, expected_version=1, reason="Gone")
    after = make_pack(world, as_of=timezone.now() + timedelta(seconds=1))

    then = pack_html(before)
    assert "UK GDPR &lt;Art. 35&gt;" in then and "<Art. 35>" not in then
    assert later_risk.reference not in then
    now = pack_html(after)
    assert later_risk.reference in now and "UK GDPR &lt;Art. 35&gt;" not in now


def test_the_citations_page_lets_owners_and_officers_cite_and_remove_and_others_read(world, client_as):
    row = soa_row(world.acme, "A.9.3")
    url = reverse("governance:soa_citations", args=[world.acme.pk, row.pk])
    risk = RiskFactory(management_system=world.acme, user=world.officer)
    theirs = RiskFactory(management_system=world.northwind, user=world.outsider)
    readers = {"owner": 200, "officer": 200, "leader": 200, "contributor": 200, "auditor": 200,
               "expired_auditor": 404, "outsider": 404}  # fmt: skip
    writers = {"owner": 302, "officer": 302, "leader": 403, "contributor": 403, "auditor": 403,
               "expired_auditor": 404, "outsider": 404}  # fmt: skip
    assert set(readers) == set(PERSONAS)
    clients = {persona: client_as(persona) for persona in PERSONAS}
    assert {p: status(c, "get", url) for p, c in clients.items()} == readers
    assert status(client_as("anonymous"), "get", url) == 302  # to the login page

    added = {}
    for persona, client in clients.items():
        ia = ImpactAssessmentFactory(management_system=world.acme, user=world.officer)
        added[persona] = status(client, "post", url, {"reason_type": "impact_assessment", "impact_assessment": ia.pk})
    assert added == writers
    assert SoaCitation.objects.filter(applicability=row).count() == 2

    officer = clients["officer"]
    page = officer.get(url).content.decode()
    assert "Cite a record" in page and "Remove" in page and "AIIA-" in page
    assert "Cite a record" not in clients["auditor"].get(url).content.decode()

    # Bad input: 400 with the errors on the page, nothing saved.
    for data in (
        {"reason_type": "risk_treatment", "risk": risk.pk, "document": Document.objects.filter(
            management_system=world.acme).first().pk},
        {"reason_type": "risk_treatment"},
        {"reason_type": "risk_treatment", "risk": theirs.pk},
        {"reason_type": "nonsense", "risk": risk.pk},
        {"reason_type": "risk_treatment", "risk": "x"},
    ):  # fmt: skip
        response = officer.post(url, data)
        assert response.status_code == 400, data
        assert "There is a problem" in response.content.decode()
    assert SoaCitation.objects.filter(applicability=row).count() == 2

    citation = SoaCitation.objects.filter(applicability=row).first()
    remove = reverse("governance:soa_citation_remove", args=[world.acme.pk, row.pk, citation.pk])
    removed = {
        p: status(c, "post", remove, {"version": 1}) for p, c in clients.items() if p not in ("owner", "officer")
    }
    assert removed == {p: s for p, s in writers.items() if p not in ("owner", "officer")}
    assert status(officer, "post", remove, {"version": 99}) == 409
    assert status(officer, "post", remove, {}) == 400
    assert status(officer, "get", remove) == 405
    assert status(officer, "post", remove, {"version": 1, "change_reason": "Not relevant"}) == 302
    assert not SoaCitation.objects.filter(pk=citation.pk).exists()
    history = officer.get(url).content.decode()
    assert "Removed" in history and "Not relevant" in history


def test_a_csrf_token_is_needed_to_cite(world, client_as):
    row = soa_row(world.acme, "A.9.3")
    url = reverse("governance:soa_citations", args=[world.acme.pk, row.pk])
    client = client_as("officer", csrf=True)
    risk = RiskFactory(management_system=world.acme, user=world.officer)
    assert client.post(url, {"reason_type": "risk_treatment", "risk": risk.pk}).status_code == 403


def test_the_api_lists_creates_and_deletes_citations(world, api_as):
    row, other = soa_row(world.acme, "A.5.2"), soa_row(world.acme, "A.2.2")
    requirement = make_requirement(world.acme, world.officer)
    cite(world, other, requirement=requirement)
    base = "/api/v1/soa-citations/"
    officer = api_as("officer")
    body = {"management_system": world.acme.pk, "applicability": row.pk, "reason_type": "legal",
            "requirement": requirement.pk, "note": "DPIA", "change_reason": "Through a tool"}  # fmt: skip
    created = officer.post(base, body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["label"] == f"{requirement.reference} UK GDPR Art. 35" and data["control_key"] == "A.5.2"
    assert created["ETag"] == '"1"'
    assert officer.post(base, body, format="json").status_code == 400  # a duplicate
    two = {**body, "applicability": soa_row(world.acme, "A.2.3").pk, "risk": RiskFactory(
        management_system=world.acme, user=world.officer).pk}  # fmt: skip
    assert officer.post(base, two, format="json").status_code == 400
    theirs = RiskFactory(management_system=world.northwind, user=world.outsider)
    foreign = {**body, "requirement": None, "risk": theirs.pk, "reason_type": "risk_treatment"}
    assert officer.post(base, foreign, format="json").status_code == 400
    for persona in ("leader", "contributor", "auditor"):
        assert api_as(persona).post(base, {**body, "applicability": other.pk}, format="json").status_code == 403

    listed = officer.get(base, {"applicability": row.pk}).json()
    assert [c["reference"] for c in listed["results"]] == [data["reference"]]
    assert api_as("auditor").get(f"{base}{data['id']}/").status_code == 200
    assert api_as("outsider").get(f"{base}{data['id']}/").status_code == 404
    assert api_as("outsider").get(base).json()["count"] == 0
    assert api_as("auditor").delete(f"{base}{data['id']}/", HTTP_IF_MATCH='"1"').status_code == 403
    assert officer.delete(f"{base}{data['id']}/").status_code == 428
    assert officer.put(f"{base}{data['id']}/", body, format="json").status_code == 405
    assert officer.delete(f"{base}{data['id']}/", HTTP_IF_MATCH='"1"', HTTP_X_CHANGE_REASON="Wrong").status_code == 204
    assert SoaCitation.history.filter(id=data["id"], history_type="-").get().history_change_reason == "Wrong"
