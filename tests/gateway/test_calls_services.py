"""The database side of a call, without HTTP: register checks, decisions, refusals on record, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import services as assessment_services
from gateway.calls import services
from gateway.calls.checks import Refused
from gateway.models import PolicyVersion
from registers.models import AISystem
from tests.factories import ImpactAssessmentFactory
from tests.gateway.calls_helpers import MODEL, caller, forget_policies
from tests.gateway.policy_helpers import policy_in_force

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/v1"


def payload(content: str = "Write to jane.doe@example.org", **fields):
    return {"model": MODEL, "messages": [{"role": "user", "content": content}], **fields}


def refusal_of(acme, content: str = "hello", **fields) -> Refused:
    with pytest.raises(Refused) as refused:
        services.call_begin(key=acme.key, payload=payload(content, **fields))
    (event,) = acme.events()
    assert event.type == "refusal" and event.detail == refused.value.message[:500]
    return refused.value


def test_every_message_role_and_part_is_redacted_before_it_is_recorded():
    acme = caller(URL)
    call = services.call_begin(key=acme.key, payload={"model": MODEL, "messages": [
        {"role": "system", "content": "The patient is jane.doe@example.org"},
        {"role": "user", "content": [{"type": "text", "text": "Call 07700 900123"}]},
        {"role": "tool", "tool_call_id": "x", "content": "NHS number 943 476 5919"},
    ]})  # fmt: skip
    sent = call.body.decode()
    assert "jane.doe" not in sent and "900123" not in sent and "943 476" not in sent
    assert "<EMAIL_1>" in sent and "<PHONE_1>" in sent and "<NHS_1>" in sent
    assert call.event.entity_counts == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1, "NHS_NUMBER": 1}


def test_an_allow_rule_forwards_the_request_as_written_but_records_it_redacted():
    acme = caller(URL, rules=[{"outcome": "allow", "note": "Clinicians' own tool"}])
    call = services.call_begin(key=acme.key, payload=payload())
    assert "jane.doe@example.org" in call.body.decode() and call.event.decision == "allow"
    from gateway.models import GatewayBody

    assert "jane.doe" not in GatewayBody.objects.get(sha256=call.event.request_sha256).content


def test_the_answer_gets_the_same_placeholder_as_the_request():
    acme = caller(URL)
    call = services.call_begin(key=acme.key, payload=payload())
    answer = {"model": "mock-gpt", "choices": [{"index": 0, "message": {"role": "assistant",
              "content": "I wrote to jane.doe@example.org and bob@example.org"}}], "usage": {"prompt_tokens": 3}}  # fmt: skip
    reply = services.call_answer(call, answer)
    assert reply["choices"][0]["message"]["content"] == "I wrote to <EMAIL_1> and <EMAIL_2>"
    done = acme.events("call_completed")[0]
    assert done.entity_counts == {"EMAIL_ADDRESS": 2} and "redacted" in done.detail and done.tokens_in == 3


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"in_scope": False}, "ai_system_out_of_scope"),
        ({"lifecycle_stage": AISystem.LifecycleStage.CONCEPT}, "lifecycle_stage"),
        ({"lifecycle_stage": AISystem.LifecycleStage.RETIRED}, "ai_system_retired"),
    ],
)
def test_systems_out_of_scope_or_not_in_service_are_refused(fields, code):
    assert refusal_of(caller(URL, **fields)).code == code


def test_verification_deployment_and_operation_may_serve_traffic():
    for stage in ("verification", "deployment", "operation"):
        acme = caller(URL, lifecycle_stage=stage)
        assert services.call_begin(key=acme.key, payload=payload()).event.type == "call"


def test_a_model_without_an_enabled_route_is_refused():
    acme = caller(URL)
    from gateway.keys.services import route_update

    route_update(acme.route, user=acme.owner, expected_version=acme.route.version, enabled=False)
    refused = refusal_of(acme)
    assert refused.code == "model_not_routed" and "disabled route" in refused.message


def test_without_an_approved_policy_every_call_is_refused():
    refused = refusal_of(caller(URL, policy=False))
    assert refused.code == "no_policy" and refused.status == 403


def test_a_named_but_unset_credential_variable_refuses_before_forwarding(monkeypatch):
    acme = caller(URL)
    from gateway.keys.services import route_update

    monkeypatch.delenv("AIMS_TEST_PROVIDER_KEY", raising=False)
    route_update(acme.route, user=acme.owner, expected_version=acme.route.version, credential_env="AIMS_TEST_PROVIDER_KEY")  # fmt: skip
    refused = refusal_of(acme)
    assert (refused.status, refused.code) == (503, "upstream_credential_missing")
    monkeypatch.setenv("AIMS_TEST_PROVIDER_KEY", "sk-test")
    assert services.call_begin(key=acme.key, payload=payload()).credential == "sk-test"


def test_block_and_approval_rules_refuse_a_call():
    acme = caller(URL, rules=[{"entity_type": "PHONE_NUMBER", "outcome": "block"},
                              {"entity_type": "EMAIL_ADDRESS", "outcome": "require_approval", "approver_role": "leadership"}])  # fmt: skip
    assert refusal_of(acme, "Call 07700 900123").code == "policy_blocked"
    with pytest.raises(Refused, match="cannot wait.*/gateway/v1/actions") as refused:
        services.call_begin(key=acme.key, payload=payload())
    assert refused.value.code == "approval_required" and acme.events()[-1].decision == "require_approval"


def test_a_current_approved_impact_assessment_lets_the_calls_through():
    acme = caller(URL, policy=False)
    ms = acme.system.management_system
    policy_in_force(ms, acme.owner, require_impact_assessment=True)
    forget_policies()
    assessment = ImpactAssessmentFactory(management_system=ms, user=acme.owner, ai_system=acme.system,
                                         decision="proceed")  # fmt: skip
    assert "not approved" in refusal_of(acme).message
    assessment_services.impact_assessment_approve(
        assessment,
        user=acme.owner,
        expected_version=assessment.version,
        statement="Approved.",
        verification="totp",
        override_reason="Tests: one person",
        job_title="Tester",
    )
    assert services.call_begin(key=acme.key, payload=payload()).event.type == "call"
    assert PolicyVersion.objects.get(management_system=ms).require_impact_assessment


def test_a_call_takes_few_queries_before_and_after_forwarding():
    acme = caller(URL)
    services.call_begin(key=acme.key, payload=payload())  # warm the policy cache, as a running gateway has it
    with CaptureQueriesContext(connection) as before:
        call = services.call_begin(key=acme.key, payload=payload())
    answer = {"model": "mock-gpt", "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}]}
    with CaptureQueriesContext(connection) as after:
        services.call_answer(call, answer)
    statements = [
        [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
        for queries in (before, after)
    ]
    # Before: key's system checks (policy head, model records with routes), the body, the chain's head and insert.
    assert len(statements[0]) <= 7, "\n".join(statements[0])
    # After: the body, the chain's head and insert (and the PostgreSQL advisory lock).
    assert len(statements[1]) <= 5, "\n".join(statements[1])
