"""API of the gateway policy: drafts and their rules, immutability, the approval sign-off with its second factor."""

from __future__ import annotations

import pytest

from gateway.models import PolicyRule, PolicyVersion
from gateway.policy.decide import policy_in_force
from tests.factories import make_ai_system
from tests.gateway.policy_draft_helpers import approved, make_draft, submitted
from tests.kit import otp_header

pytestmark = pytest.mark.django_db
POLICIES, RULES = "/api/v1/gateway-policies/", "/api/v1/gateway-policy-rules/"


def if_match(obj) -> dict[str, str]:
    return {"HTTP_IF_MATCH": f'"{obj.version}"'}


def test_a_draft_is_created_patched_given_rules_and_submitted(world, api_as):
    api = api_as("officer")
    system = make_ai_system(world.acme, user=world.officer)
    response = api.post(POLICIES, {"management_system": world.acme.pk, "change_summary": "First"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["label"], body["status"], body["rules"]) == ("policy@1", "draft", [])
    draft = PolicyVersion.objects.get(pk=body["id"])
    response = api.patch(f"{POLICIES}{draft.pk}/", {"entity_actions": {"EMAIL_ADDRESS": "mask"},
                                                     "require_impact_assessment": False}, format="json", **if_match(draft))  # fmt: skip
    assert response.status_code == 200, response.content
    response = api.post(RULES, {"policy": draft.pk, "ai_system": system.pk, "tool": "send_patient_message",
                                "outcome": "require_approval", "approver_role": "leadership"}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["in_words"] == (
        f"When AI system {system.reference} {system.name}, tool send_patient_message: require approval by leadership."
    )
    rule = PolicyRule.objects.get(pk=response.json()["id"])
    assert api.patch(f"{RULES}{rule.pk}/", {"note": "Patients"}, format="json", **if_match(rule)).status_code == 200
    draft.refresh_from_db()
    detail = api.get(f"{POLICIES}{draft.pk}/").json()
    assert [r["note"] for r in detail["rules"]] == ["Patients"] and detail["entity_actions"] == {
        "EMAIL_ADDRESS": "mask"
    }
    response = api.post(f"{POLICIES}{draft.pk}/submit/", {}, format="json", **if_match(draft))
    assert response.status_code == 200 and response.json()["status"] == "in_review"
    history = api.get(f"{POLICIES}{draft.pk}/history/").json()["results"]
    assert [v["change_reason"] for v in history][0] == "Submitted for approval"


def test_a_rule_is_removed_from_a_draft(world, api_as):
    draft = make_draft(world.acme, world.officer, rules=[{"tool": "a", "outcome": "allow"}])
    rule = draft.rules.get()
    assert api_as("officer").delete(f"{RULES}{rule.pk}/", **if_match(rule)).status_code == 204
    assert not draft.rules.exists()


def test_the_leader_signs_with_a_second_factor_and_the_policy_is_in_force(world, api_as):
    version = submitted(world.acme, world.officer, rules=[{"tool": "a", "outcome": "allow"}])
    api = api_as("leader")
    body = {"statement": "Approved for use."}
    missing = api.post(f"{POLICIES}{version.pk}/sign/", body, format="json", **if_match(version))
    assert missing.status_code in (400, 403) and "X-OTP" in str(missing.json())
    wrong = api.post(f"{POLICIES}{version.pk}/sign/", body, format="json", HTTP_X_OTP="000000", **if_match(version))
    assert wrong.status_code in (400, 403)
    assert PolicyVersion.objects.get(pk=version.pk).status == PolicyVersion.Status.IN_REVIEW
    signed = api.post(f"{POLICIES}{version.pk}/sign/", body, format="json", **if_match(version),
                      **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in otp_header(world, "leader").items()})  # fmt: skip
    assert signed.status_code == 201, signed.content
    assert signed.json()["kind"] == "gateway_policy_approval"
    assert policy_in_force(world.acme.pk).label == "policy@1"
    detail = api.get(f"{POLICIES}{version.pk}/").json()
    assert (detail["status"], detail["approved_by"]) == ("approved", "leader")
    assert detail["latest_sign_off"]["signer"] == "leader" and detail["changed_since_signed"] is False


def test_who_may_not_approve_gets_a_403_with_the_reason(world, api_as):
    version = submitted(world.acme, world.officer)
    response = api_as("owner").post(f"{POLICIES}{version.pk}/sign/", {"statement": "x"}, format="json",
                                    HTTP_X_OTP="123456", **if_match(version))  # fmt: skip
    assert response.status_code == 403 and "AIMS manager" in response.json()["detail"]
    response = api_as("outsider").post(f"{POLICIES}{version.pk}/sign/", {"statement": "x"}, format="json",
                                       HTTP_X_OTP="123456", **if_match(version))  # fmt: skip
    assert response.status_code == 404


def test_an_approved_version_and_its_rules_never_change(world, api_as):
    version = approved(world.acme, world.officer, world.leader, rules=[{"tool": "a", "outcome": "allow"}])
    rule = version.rules.get()
    api = api_as("officer")
    responses = [
        api.patch(f"{POLICIES}{version.pk}/", {"change_summary": "x"}, format="json", **if_match(version)),
        api.post(RULES, {"policy": version.pk, "outcome": "block"}, format="json"),
        api.patch(f"{RULES}{rule.pk}/", {"outcome": "block"}, format="json", **if_match(rule)),
        api.delete(f"{RULES}{rule.pk}/", **if_match(rule)),
    ]
    for response in responses:
        assert response.status_code == 400, response.content
        assert "never changes" in str(response.json())
    assert PolicyRule.objects.get(pk=rule.pk).outcome == "allow"
    assert api.delete(f"{POLICIES}{version.pk}/", **if_match(version)).status_code == 405


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "maybe"},
        {"outcome": "require_approval"},
        {"outcome": "allow", "approver_role": "leadership"},
        {"outcome": "block", "entity_type": "card number"},
        {"outcome": "block", "tool": "x" * 101},
        {"outcome": "block", "order": -1},
        {"outcome": "block", "ai_system": 10**12},
    ],
)
def test_a_bad_rule_is_a_json_400(world, api_as, body):
    draft = make_draft(world.acme, world.officer)
    response = api_as("officer").post(RULES, {"policy": draft.pk, **body}, format="json")
    assert response.status_code == 400 and response["Content-Type"] == "application/json", response.content
    assert not draft.rules.exists()


@pytest.mark.parametrize(
    "changes",
    [{"entity_actions": ["EMAIL_ADDRESS"]}, {"entity_actions": {"email": "mask"}}, {"entity_actions": {"EMAIL_ADDRESS": 3}},
     {"default_entity_action": "shred"}, {"body_retention_days": -1}, {"change_summary": "x" * 501}],
)  # fmt: skip
def test_bad_settings_are_a_json_400(world, api_as, changes):
    draft = make_draft(world.acme, world.officer)
    response = api_as("officer").patch(f"{POLICIES}{draft.pk}/", changes, format="json", **if_match(draft))
    assert response.status_code == 400 and response["Content-Type"] == "application/json", response.content


def test_a_rule_naming_another_management_systems_ai_system_is_refused(world, api_as):
    draft = make_draft(world.acme, world.officer)
    elsewhere = make_ai_system(world.northwind, user=world.outsider)
    response = api_as("officer").post(RULES, {"policy": draft.pk, "ai_system": elsewhere.pk, "outcome": "allow"},
                                      format="json")  # fmt: skip
    assert response.status_code == 400


@pytest.mark.parametrize(("persona", "expected"), [("officer", 201), ("owner", 201), ("leader", 403),
                                                   ("auditor", 403), ("outsider", 400)])  # fmt: skip
def test_who_starts_a_draft(world, api_as, persona, expected):
    response = api_as(persona).post(POLICIES, {"management_system": world.acme.pk}, format="json")
    assert response.status_code == expected, response.content


def test_readers_list_versions_with_rules_and_outsiders_see_none(world, api_as):
    approved(world.acme, world.officer, world.leader, rules=[{"tool": "a", "outcome": "allow"}])
    make_draft(world.acme, world.officer)
    listed = api_as("auditor").get(POLICIES).json()["results"]
    assert [(v["label"], v["status"], len(v["rules"])) for v in listed] == [
        ("policy@2", "draft", 1), ("policy@1", "approved", 1)
    ]  # fmt: skip
    assert api_as("outsider").get(POLICIES).json()["results"] == []
    assert api_as("outsider").get(RULES).json()["results"] == []
