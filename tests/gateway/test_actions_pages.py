"""The approval queue, an action's page, my work, and the connectors' pages."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from aims.work import work_for
from gateway.actions import services
from gateway.models import Connector, GatewayAction
from tests.gateway.actions_helpers import ARGUMENTS, action_world, propose
from tests.kit import assert_constant_queries


def _queue(ms) -> str:
    return reverse("gateway:action_queue", args=[ms.pk])


def test_the_queue_shows_a_pending_action_with_its_arguments_escaped(world, client_as):
    w = action_world(world)
    ref = propose(w["plaintext"], {**ARGUMENTS, "note": "<script>alert(1)</script>"}).json()["id"]

    page = client_as("leader").get(_queue(world.acme))

    html = page.content.decode()
    assert page.status_code == 200 and ref in html and "send_patient_message" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "PHONE_NUMBER × 1" in html and w["policy"].label in html
    assert 'value="approve"' in html and 'value="deny"' in html


def test_read_only_members_see_the_queue_without_buttons(world, client_as):
    w = action_world(world)
    propose(w["plaintext"])

    for persona in ("auditor", "contributor", "officer"):
        html = client_as(persona).get(_queue(world.acme)).content.decode()
        assert 'value="approve"' not in html, persona
        assert "leadership role decides" in html


def test_an_outsider_gets_404(world, client_as):
    w = action_world(world)
    ref = propose(w["plaintext"]).json()["id"]
    action = GatewayAction.objects.get(reference=ref)
    outsider = client_as("outsider")

    assert outsider.get(_queue(world.acme)).status_code == 404
    assert outsider.get(reverse("gateway:action_detail", args=[world.acme.pk, action.pk])).status_code == 404
    decide = reverse("gateway:action_decide", args=[world.acme.pk, action.pk])
    assert outsider.post(decide, {"decision": "approve"}).status_code == 404
    assert GatewayAction.objects.get().state == "pending"


def test_the_leader_approves_on_the_page_and_others_may_not(world, client_as):
    w = action_world(world)
    action = GatewayAction.objects.get(reference=propose(w["plaintext"]).json()["id"])
    decide = reverse("gateway:action_decide", args=[world.acme.pk, action.pk])

    assert client_as("auditor").post(decide, {"decision": "approve"}).status_code == 403
    assert client_as("officer").post(decide, {"decision": "approve"}).status_code == 403
    approved = client_as("leader").post(decide, {"decision": "approve", "comment": "OK", "return_to": "detail"})

    assert approved.status_code == 302 and approved["Location"].endswith(f"/actions/{action.pk}/")
    action.refresh_from_db()
    assert action.state == "approved" and action.approver == world.leader and action.comment == "OK"
    detail = client_as("auditor").get(approved["Location"]).content.decode()
    assert "Approved" in detail and "leader" in detail and "approved" in detail.lower()


def test_denying_on_the_page_needs_a_comment(world, client_as):
    w = action_world(world)
    action = GatewayAction.objects.get(reference=propose(w["plaintext"]).json()["id"])
    decide = reverse("gateway:action_decide", args=[world.acme.pk, action.pk])
    leader = client_as("leader")

    leader.post(decide, {"decision": "deny", "comment": ""})
    assert GatewayAction.objects.get().state == "pending"
    leader.post(decide, {"decision": "deny", "comment": "Not this patient."})
    assert GatewayAction.objects.get().state == "denied"
    html = leader.get(_queue(world.acme)).content.decode()
    assert "Not this patient." in html and "Nothing waits for a decision." in html


def test_the_queue_makes_as_many_queries_for_many_actions(world, client_as):
    w = action_world(world)
    client = client_as("leader")
    propose(w["plaintext"])

    def grow() -> None:
        for n in range(3):
            propose(w["plaintext"], {**ARGUMENTS, "n": n})
        services.action_deny(GatewayAction.objects.order_by("pk").first(), user=world.leader, comment="No")

    assert_constant_queries(lambda: client.get(_queue(world.acme)), grow)


def test_my_work_lists_the_action_for_leadership_not_for_a_contributor(world):
    w = action_world(world)
    ref = propose(w["plaintext"]).json()["id"]

    leader_items = [i for i in work_for(world.leader, world.acme, date.today()) if i.key.startswith("gateway_action")]
    contributor_items = [i for i in work_for(world.contributor, world.acme, date.today()) if "gateway" in i.key]
    officer_items = [i for i in work_for(world.officer, world.acme, date.today()) if "gateway" in i.key]

    assert [i.key for i in leader_items] == [f"gateway_action:{ref}"] and ref in leader_items[0].title
    assert contributor_items == [] and officer_items == []
    services.action_approve(GatewayAction.objects.get(), user=world.leader)
    assert not [i for i in work_for(world.leader, world.acme, date.today()) if "gateway" in i.key]


def test_officers_manage_connectors_and_readers_only_read(world, client_as):
    ms = world.acme
    officer = client_as("officer")
    body = {"name": "crm", "url": "https://crm.example.org/act", "method": "POST", "credential_env": "CRM_TOKEN",
            "tools": "log_call\nopen_case", "timeout": "5", "enabled": "on"}  # fmt: skip

    created = officer.post(reverse("gateway:connector_create", args=[ms.pk]), body)

    assert created.status_code == 302, created.content
    connector = Connector.objects.get(name="crm")
    assert connector.allowed_tools == ["log_call", "open_case"] and connector.credential_env == "CRM_TOKEN"
    assert client_as("leader").post(reverse("gateway:connector_create", args=[ms.pk]), body).status_code == 403
    assert client_as("outsider").get(reverse("gateway:connector_list", args=[ms.pk])).status_code == 404
    listing = client_as("auditor").get(reverse("gateway:connector_list", args=[ms.pk])).content.decode()
    assert "crm.example.org" in listing and "connector_edit" not in listing and "Retire</a>" not in listing
    refused = officer.post(
        reverse("gateway:connector_create", args=[ms.pk]), {**body, "name": "crm2", "credential_env": "sk-live-123"}
    )
    assert refused.status_code == 400 and "credential_env" in refused.context["form"].errors
    retire = officer.post(
        reverse("gateway:connector_retire", args=[ms.pk, connector.pk]), {"version": 1, "reason": "Replaced"}
    )
    assert retire.status_code == 302
    connector.refresh_from_db()
    assert connector.is_retired and not connector.enabled
