"""Bad input gets a clear 4xx, and every API error is JSON: never a server error, never the HTML page."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from aims import api_errors, errors
from aims.api_common import access_action
from aims.api_urls import router
from evidence.models import Evidence
from tests.api.helpers import one_of_everything
from tests.factories import EvidenceFactory, ImpactAssessmentFactory

pytestmark = pytest.mark.django_db

WRITABLE_DETAIL = ["ai-systems", "model-records", "dataset-records", "suppliers", "risks", "impact-assessments"]


def _detail(prefix: str, obj) -> str:
    return f"/api/v1/{prefix}/{obj.pk}/"


# --- OPTIONS -------------------------------------------------------------------------------


def test_options_on_every_detail_endpoint_describes_it(world, api_as):
    rows = one_of_everything(world)
    assert {prefix for prefix, _viewset, _name in router.registry} <= set(rows), "a resource has no row to ask about"
    client = api_as("officer")
    for prefix, obj in rows.items():
        response = client.options(_detail(prefix, obj))
        assert response.status_code == 200, (prefix, response.content)
        assert response.json()["name"]


@pytest.mark.parametrize("prefix", WRITABLE_DETAIL)
def test_options_offers_the_update_only_to_who_may_make_it(world, api_as, prefix):
    obj = one_of_everything(world)[prefix]
    officer = api_as("officer").options(_detail(prefix, obj)).json()
    auditor = api_as("auditor").options(_detail(prefix, obj)).json()
    outsider = api_as("outsider").options(_detail(prefix, obj))
    assert "PUT" in officer["actions"]
    assert "actions" not in auditor
    assert outsider.status_code == 200 and "actions" not in outsider.json()


def test_options_on_an_action_route_checks_that_action(world, api_as):
    system = one_of_everything(world)["ai-systems"]
    assert api_as("officer").options(f"/api/v1/ai-systems/{system.pk}/retire/").status_code == 200
    assert api_as("auditor").options(f"/api/v1/ai-systems/{system.pk}/retire/").status_code == 200


def test_an_action_without_an_access_rule_is_still_a_configuration_error():
    class View:
        action = "frobnicate"
        access_actions: dict = {}

    with pytest.raises(Exception, match="no entry for 'frobnicate'"):
        access_action(View())


# --- JSON for every error ----------------------------------------------------------------


def test_an_unknown_api_address_is_a_json_404(world, api_as):
    response = api_as("officer").get("/api/v1/no-such-register/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_page_is_still_the_html_404(world, client_as):
    response = client_as("officer").get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        (lambda r: errors.server_error(r), 500),
        (lambda r: errors.bad_request(r, Exception("x")), 400),
        (lambda r: errors.permission_denied(r, Exception("x")), 403),
        (lambda r: errors.page_not_found(r, Exception("x")), 404),
    ],
)
def test_the_error_handlers_answer_json_under_the_api_and_html_elsewhere(handler, status):
    api = handler(RequestFactory().get("/api/v1/ai-systems/"))
    page = handler(RequestFactory().get("/ms/1/"))
    assert (api.status_code, page.status_code) == (status, status)
    assert api["Content-Type"] == "application/json"
    assert set(json.loads(api.content)) == {"detail"}
    assert page["Content-Type"].startswith("text/html")


def test_the_error_handlers_are_installed():
    from aims import urls

    assert (urls.handler400, urls.handler403, urls.handler404, urls.handler500) == (
        "aims.errors.bad_request",
        "aims.errors.permission_denied",
        "aims.errors.page_not_found",
        "aims.errors.server_error",
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (f"name={'x' * 2000}", "application/x-www-form-urlencoded"),
        (json.dumps({"name": "x" * 2000}), "application/json"),
    ],
    ids=["form", "json"],
)
def test_a_body_over_the_limit_is_a_json_400(world, api_as, settings, body, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = api_as("officer")
    client.raise_request_exception = False
    response = client.post("/api/v1/ai-systems/", body, content_type=content_type)
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is larger than the server accepts."}


# --- nested JSON -------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 5000, 100_000])
def test_a_deeply_nested_json_body_is_a_400(world, api_as, depth):
    client = api_as("officer")
    client.raise_request_exception = False
    body = "[" * depth + "]" * depth
    response = client.post("/api/v1/ai-systems/", body, content_type="application/json")
    assert response.status_code == 400
    assert "levels deep" in response.json()["detail"]


def test_json_nested_within_the_limit_is_read(world, api_as):
    scope = {"a": [[[[{"b": 1}]]]]}
    response = api_as("officer").post(
        "/api/v1/ai-systems/",
        {"management_system": world.acme.pk, "name": "Nested", "purpose": "p", "notes": json.dumps(scope)},
        format="json",
    )
    assert response.status_code == 201, response.content


# --- references and append-only tables ---------------------------------------------------


def test_deleting_an_ai_system_an_impact_assessment_refers_to_is_a_409(world, api_as, client_as):
    assessment = ImpactAssessmentFactory(management_system=world.acme, user=world.officer)
    system = assessment.ai_system
    system.refresh_from_db()

    response = api_as("officer").delete(f"/api/v1/ai-systems/{system.pk}/", HTTP_IF_MATCH=f'"{system.version}"')
    page = client_as("officer").post(
        f"/ms/{world.acme.pk}/registers/ai-systems/{system.pk}/delete/", {"version": system.version}
    )

    assert response.status_code == 409
    assert response.json()["referenced_by"] == [f"AI impact assessments {assessment.reference}"]
    assert page.status_code in (200, 400, 409)
    assert type(system).objects.filter(pk=system.pk).exists()


def test_a_database_refusal_of_a_reference_is_a_409_with_what_refers_to_it(world):
    from django.db.models import ProtectedError

    assessment = ImpactAssessmentFactory(management_system=world.acme, user=world.officer)
    try:
        with transaction.atomic():
            assessment.ai_system.delete()
    except ProtectedError as refusal:
        response = api_errors.exception_handler(refusal, {})
    assert response.status_code == 409
    assert response.data["referenced_by"] == [f"AI impact assessment {assessment.reference}"]


def _append_only_refusal(world) -> DatabaseError:
    """The error the database raises when an evidence row is changed (PostgreSQL's trigger, or its text)."""
    evidence = EvidenceFactory(management_system=world.acme, user=world.officer)
    if connection.vendor != "postgresql":
        return DatabaseError("evidence_evidence is append-only: UPDATE refused (record a corrected version instead)")
    try:
        with transaction.atomic():
            Evidence.objects.filter(pk=evidence.pk).update(title="Reverted")
    except DatabaseError as refusal:
        return refusal
    raise AssertionError("the append-only trigger let the change through")


def test_an_append_only_refusal_is_a_409_saying_to_record_a_correction(world):
    response = api_errors.exception_handler(_append_only_refusal(world), {})
    assert response.status_code == 409
    assert "append-only" in response.data["detail"]


def test_other_database_errors_are_not_disguised_as_conflicts():
    assert api_errors.exception_handler(DatabaseError("disk I/O error"), {}) is None


# --- ids and versions that no database holds -------------------------------------------

HUGE = "112070370531255224963417767936"


@pytest.mark.parametrize("resource", ["evidence", "ai-systems", "risks", "audit-packs", "soa"])
@pytest.mark.parametrize(("value", "status"), [(HUGE, 200), ("9" * 5000, 200), ("²", 400), ("-1", 400)])
def test_a_management_system_filter_past_any_id_matches_nothing(world, api_as, resource, value, status):
    response = api_as("officer").get(f"/api/v1/{resource}/", {"management_system": value})
    if resource == "audit-packs":
        status = 200  # the pack list ignores a filter it cannot read
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["results"] == [] or resource == "audit-packs"


@pytest.mark.parametrize("tag", ['"²"', '"' + "9" * 5000 + '"', f'"{HUGE}"', '"0"'])
def test_an_if_match_no_version_can_have_is_a_412(world, api_as, tag):
    system = one_of_everything(world)["ai-systems"]
    response = api_as("officer").patch(
        f"/api/v1/ai-systems/{system.pk}/", {"name": "Renamed"}, format="json", HTTP_IF_MATCH=tag
    )
    assert response.status_code == 412
    assert "detail" in response.json()


@pytest.mark.parametrize("since", ["²", HUGE, "9" * 5000])
def test_the_soa_changes_page_ignores_a_since_past_any_id(world, client_as, since):
    response = client_as("officer").get(f"/ms/{world.acme.pk}/soa/changes/", {"since": since})
    assert response.status_code < 500


@pytest.mark.parametrize("value", [HUGE, "²", "9" * 5000])
def test_the_detail_of_an_id_past_any_id_is_a_404(world, api_as, value):
    assert api_as("officer").get(f"/api/v1/ai-systems/{value}/").status_code == 404


# --- NUL characters (PostgreSQL refuses them) and JSON sent in a form --------------------


def test_a_change_reason_header_with_control_characters_is_recorded_without_them(world, api_as):
    system = one_of_everything(world)["ai-systems"]
    response = api_as("officer").patch(
        f"/api/v1/ai-systems/{system.pk}/",
        {"name": "Renamed"},
        format="json",
        HTTP_IF_MATCH=f'"{system.version}"',
        HTTP_X_CHANGE_REASON="Quarterly\x00 review\x07",
    )
    assert response.status_code == 200, response.content
    assert system.history.latest().history_change_reason == "Quarterly review"


def _criteria_body(world, **changes) -> dict:
    from assessments.models import default_consequence_scale, default_likelihood_scale

    return {
        "management_system": world.acme.pk,
        "title": "Criteria",
        "likelihood_scale": default_likelihood_scale(),
        "consequence_scale": default_consequence_scale(),
        **changes,
    }


def test_a_nul_character_inside_a_json_field_is_a_400(world, api_as):
    scale = [{"label": f"Level\x00{n}", "description": "d"} for n in range(5)]
    response = api_as("officer").post(
        "/api/v1/risk-criteria/", _criteria_body(world, likelihood_scale=scale), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"likelihood_scale": ["Text may not contain NUL characters."]}


@pytest.mark.parametrize("depth", [40, 100_000])
def test_a_json_field_nested_too_deep_in_a_form_is_a_400(world, api_as, depth):
    client = api_as("officer")
    client.raise_request_exception = False
    body = _criteria_body(world, likelihood_scale="[" * depth + "]" * depth)
    body["consequence_scale"] = json.dumps(body["consequence_scale"])
    response = client.post("/api/v1/risk-criteria/", body, format="multipart")
    assert response.status_code == 400
    assert "levels deep" in response.json()["likelihood_scale"][0]
