"""Records something refers to are retired or withdrawn with a reason, never deleted (HTML, API, admin)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aims import ledger
from aims.models import SignOff
from assessments import services as assessment_services
from assessments.models import Risk
from assessments.signoffs import ACCEPTANCE
from registers.models import AISystem, ModelRecord
from tests.assessments.helpers import make_assessment, make_risk
from tests.factories import EvidenceFactory, make_ai_system, make_record

pytestmark = pytest.mark.django_db


def _accepted_risk_on(world, system: AISystem) -> Risk:
    risk = make_risk(world.acme, world.officer, ai_systems=[system], residual_likelihood=1, residual_consequence=2)
    assessment_services.risk_accept(
        risk, verification="password", user=world.leader, expected_version=risk.version, statement="Accepted."
    )
    return risk


def test_an_unreferenced_record_is_still_deleted(world, client_as):
    system = make_ai_system(world.acme, user=world.officer)
    url = reverse("registers:ai_system_delete", args=[world.acme.pk, system.pk])
    page = client_as("officer").get(url)
    assert page.context["delete_form"] is not None and page.context["references"] == []
    response = client_as("officer").post(url, {"action": "delete", "version": system.version})
    assert response.status_code == 302 and not AISystem.objects.filter(pk=system.pk).exists()


def test_an_ai_system_an_accepted_risk_refers_to_cannot_be_deleted_in_the_browser(world, client_as):
    system = make_ai_system(world.acme, user=world.officer, name="Triage")
    risk = _accepted_risk_on(world, system)
    client = client_as("officer")
    detail = client.get(reverse("registers:ai_system_detail", args=[world.acme.pk, system.pk]))
    assert detail.context["remove_verb"] == "Retire"
    url = reverse("registers:ai_system_delete", args=[world.acme.pk, system.pk])

    page = client.get(url)
    assert page.context["delete_form"] is None
    assert any(risk.reference in reference for reference in page.context["references"])
    forced = client.post(url, {"action": "delete", "version": system.version})
    assert forced.status_code == 400 and "cannot be deleted" in forced.content.decode()
    assert AISystem.objects.filter(pk=system.pk).exists()
    assert list(Risk.objects.get(pk=risk.pk).ai_systems.all()) == [system]
    assert ledger.sign_off_status(ACCEPTANCE, risk).changed_since is False


def test_retiring_in_the_browser_needs_a_reason_and_keeps_the_record_readable(world, client_as):
    system = make_ai_system(world.acme, user=world.officer, name="Triage")
    _accepted_risk_on(world, system)
    client = client_as("officer")
    url = reverse("registers:ai_system_delete", args=[world.acme.pk, system.pk])

    empty = client.post(url, {"action": "retire", "version": system.version, "reason": " "})
    assert empty.status_code == 400 and AISystem.objects.get(pk=system.pk).retired_at is None
    response = client.post(url, {"action": "retire", "version": system.version, "reason": "Decommissioned in 2026."})

    assert response.status_code == 302
    system.refresh_from_db()
    assert system.is_retired and system.retired_reason == "Decommissioned in 2026."
    assert system.lifecycle_stage == AISystem.LifecycleStage.RETIRED and system.version == 2
    latest = system.history.order_by("-history_id").first()
    assert latest.history_user == world.officer and latest.history_change_reason == "Retired: Decommissioned in 2026."
    detail = client.get(reverse("registers:ai_system_detail", args=[world.acme.pk, system.pk]))
    assert detail.status_code == 200 and "Retired on" in detail.content.decode()
    history = client.get(reverse("registers:ai_system_history", args=[world.acme.pk, system.pk]))
    assert history.status_code == 200 and "Decommissioned in 2026." in history.content.decode()


def test_a_stale_retirement_is_a_conflict(world, client_as):
    system = make_ai_system(world.acme, user=world.officer)
    url = reverse("registers:ai_system_delete", args=[world.acme.pk, system.pk])
    response = client_as("officer").post(url, {"action": "retire", "version": system.version + 1, "reason": "Old."})
    assert response.status_code == 409 and AISystem.objects.get(pk=system.pk).retired_at is None


@pytest.mark.parametrize("referrer", ["impact_assessment", "evidence", "accepted_risk"])
def test_the_api_answers_409_with_what_refers_to_the_record(world, api_as, referrer):
    system = make_ai_system(world.acme, user=world.officer, name="Triage")
    if referrer == "impact_assessment":
        expected = make_assessment(world.acme, world.officer, system=system).reference
    elif referrer == "evidence":
        expected = EvidenceFactory(
            management_system=world.acme, user=world.officer, title="Test report", links={"ai_systems": [system]}
        ).reference
    else:
        expected = _accepted_risk_on(world, system).reference

    response = api_as("officer").delete(f"/api/v1/ai-systems/{system.pk}/", HTTP_IF_MATCH=f'"{system.version}"')

    assert response.status_code == 409
    body = response.json()
    assert "Retire it instead" in body["detail"] and any(expected in item for item in body["referenced_by"])
    assert AISystem.objects.filter(pk=system.pk).exists()


def test_the_api_retires_with_a_reason_and_if_match(world, api_as):
    system = make_ai_system(world.acme, user=world.officer)
    make_assessment(world.acme, world.officer, system=system)
    client = api_as("officer")
    url = f"/api/v1/ai-systems/{system.pk}/retire/"
    assert client.post(url, {"reason": "Replaced."}, format="json").status_code == 428
    assert client.post(url, {}, format="json", HTTP_IF_MATCH='"1"').status_code == 400
    assert api_as("contributor").post(url, {"reason": "x"}, format="json", HTTP_IF_MATCH='"1"').status_code == 403
    assert api_as("outsider").post(url, {"reason": "x"}, format="json", HTTP_IF_MATCH='"1"').status_code == 404

    response = client.post(url, {"reason": "Replaced by AIS-009."}, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 200 and response["ETag"] == '"2"'
    body = response.json()
    assert body["retired_reason"] == "Replaced by AIS-009." and body["retired_at"] and body["version"] == 2
    again = client.post(url, {"reason": "Twice."}, format="json", HTTP_IF_MATCH='"2"')
    assert again.status_code == 400 and "already retired" in str(again.json())


def test_a_model_record_used_by_a_system_is_retired_not_deleted(world, api_as):
    record = make_record(ModelRecord, world.acme, user=world.officer, name="Classifier")
    make_ai_system(world.acme, user=world.officer, model_records=[record])
    client = api_as("officer")
    refused = client.delete(f"/api/v1/model-records/{record.pk}/", HTTP_IF_MATCH='"1"')
    assert refused.status_code == 409 and "AIS-001" in refused.json()["referenced_by"][0]
    retired = client.post(
        f"/api/v1/model-records/{record.pk}/retire/", {"reason": "Superseded."}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert retired.status_code == 200 and ModelRecord.objects.get(pk=record.pk).is_retired


def test_an_accepted_risk_is_withdrawn_and_its_acceptance_stays_verified(world, client_as):
    system = make_ai_system(world.acme, user=world.officer)
    risk = _accepted_risk_on(world, system)
    url = reverse("assessments:risk_delete", args=[world.acme.pk, risk.pk])
    page = client_as("officer").get(url)
    assert page.context["delete_form"] is None and "sign-off #1" in page.context["references"]
    response = client_as("officer").post(url, {"action": "retire", "version": risk.version, "reason": "Risk closed."})
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.is_retired and risk.retired_label == "Withdrawn"
    assert SignOff.objects.filter(subject_id=risk.pk, kind=ACCEPTANCE).count() == 1
    assert ledger.verify(world.acme)["ok"] is True


def test_the_admin_refuses_to_delete_a_referenced_record_and_retires_it(world, superuser_client):
    client = superuser_client
    system = make_ai_system(world.acme, user=world.officer)
    _accepted_risk_on(world, system)

    response = client.post(reverse("admin:registers_aisystem_delete", args=[system.pk]), {"post": "yes"}, follow=True)
    assert "Nothing was saved" in response.content.decode() and "cannot be deleted" in response.content.decode()
    assert AISystem.objects.filter(pk=system.pk).exists()

    changelist = reverse("admin:registers_aisystem_changelist")
    asked = client.post(changelist, {"action": "retire_selected", "_selected_action": [system.pk]})
    assert asked.status_code == 200 and "Say why" in asked.content.decode()
    client.post(changelist, {"action": "retire_selected", "_selected_action": [system.pk], "reason": "Out of use."})
    system.refresh_from_db()
    assert system.is_retired and system.retired_reason == "Out of use. (in admin)"
    assert system.history.order_by("-history_id").first().history_user.username == "root"


def test_lists_show_open_records_and_the_closed_ones_under_their_own_tab(world, api_as, client_as):
    from registers.services import ai_system_retire

    make_ai_system(world.acme, user=world.officer, name="Kept")
    gone = make_ai_system(world.acme, user=world.officer, name="Gone")
    ai_system_retire(gone, user=world.officer, expected_version=gone.version, reason="Decommissioned.")
    client = client_as("auditor")
    url = reverse("registers:ai_system_list", args=[world.acme.pk])

    def names(response) -> list[str]:
        return [system.name for system in response.context["page_obj"]]

    assert names(client.get(url)) == ["Kept"]
    closed = client.get(url, {"status": "closed"})
    assert names(closed) == ["Gone"] and 'aria-current="page">Retired' in closed.content.decode()
    assert sorted(names(client.get(url, {"status": "all"}))) == ["Gone", "Kept"]
    api = api_as("auditor")
    assert [s["name"] for s in api.get("/api/v1/ai-systems/").json()["results"]] == ["Kept"]
    closed_api = api.get("/api/v1/ai-systems/", {"status": "closed"}).json()["results"]
    assert [(s["name"], s["retired_reason"]) for s in closed_api] == [("Gone", "Decommissioned.")]
    assert api.get("/api/v1/ai-systems/", {"status": "nonsense"}).status_code == 400
