"""The gateway-actions and gateway-connectors API: read, approve and deny as the policy's role, 4xx otherwise."""

from __future__ import annotations

from gateway.models import Connector, GatewayAction
from tests.gateway.actions_helpers import action_world, propose


def _pending(world) -> GatewayAction:
    w = action_world(world)
    return GatewayAction.objects.get(reference=propose(w["plaintext"]).json()["id"])


def test_the_leader_approves_through_the_api(world, api_as):
    action = _pending(world)

    approved = api_as("leader").post(f"/api/v1/gateway-actions/{action.pk}/approve/", {"comment": "Go"}, format="json")

    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "approved" and approved.json()["approver"] == "leader"
    assert approved.json()["comment"] == "Go" and approved["ETag"] == f'"{approved.json()["version"]}"'


def test_deciding_refuses_the_wrong_role_and_a_decided_action(world, api_as):
    action = _pending(world)
    url = f"/api/v1/gateway-actions/{action.pk}"

    assert api_as("officer").post(f"{url}/approve/", {}, format="json").status_code == 403
    assert api_as("auditor").post(f"{url}/deny/", {"comment": "x"}, format="json").status_code == 403
    assert api_as("contributor").post(f"{url}/approve/", {}, format="json").status_code == 403
    assert api_as("outsider").post(f"{url}/approve/", {}, format="json").status_code == 404
    assert api_as("leader").post(f"{url}/deny/", {}, format="json").status_code == 400  # a denial says why
    assert api_as("leader").post(f"{url}/deny/", {"comment": "x" * 501}, format="json").status_code == 400
    denied = api_as("leader").post(f"{url}/deny/", {"comment": "Wrong patient"}, format="json")
    again = api_as("leader").post(f"{url}/approve/", {}, format="json")

    assert denied.status_code == 200 and denied.json()["state"] == "denied"
    assert again.status_code == 409 and "not waiting" in str(again.json())
    assert GatewayAction.objects.get().state == "denied"


def test_the_actions_list_filters_by_state_and_ai_system(world, api_as):
    action = _pending(world)
    api = api_as("auditor")

    pending = api.get("/api/v1/gateway-actions/", {"state": "pending", "ai_system": action.ai_system_id}).json()
    denied = api.get("/api/v1/gateway-actions/", {"state": "denied"}).json()

    assert [row["reference"] for row in pending["results"]] == [action.reference]
    assert pending["results"][0]["arguments"] == action.arguments and denied["results"] == []
    assert api_as("outsider").get(f"/api/v1/gateway-actions/{action.pk}/").status_code == 404
    assert api.post("/api/v1/gateway-actions/", {}, format="json").status_code == 405


def test_connectors_are_created_and_retired_through_the_api(world, api_as):
    api = api_as("officer")
    body = {"management_system": world.acme.pk, "name": "crm", "url": "https://crm.example.org/act",
            "allowed_tools": ["log_call"], "credential_env": "CRM_TOKEN"}  # fmt: skip

    created = api.post("/api/v1/gateway-connectors/", body, format="json")
    bad = api.post("/api/v1/gateway-connectors/", {**body, "name": "x", "credential_env": "sk-abc"}, format="json")
    dup = api.post("/api/v1/gateway-connectors/", body, format="json")
    leader = api_as("leader").post("/api/v1/gateway-connectors/", {**body, "name": "other"}, format="json")

    assert created.status_code == 201, created.content
    assert bad.status_code == 400 and dup.status_code == 400 and leader.status_code == 403
    pk = created.json()["id"]
    retired = api.post(f"/api/v1/gateway-connectors/{pk}/retire/", {"reason": "Gone"}, format="json",
                       HTTP_IF_MATCH='"1"')  # fmt: skip
    assert retired.status_code == 200 and Connector.objects.get(pk=pk).is_retired
