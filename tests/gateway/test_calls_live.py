"""The gateway's calls end to end: the official ``openai`` SDK against a live uvicorn server, the mock provider behind it."""

from __future__ import annotations

import threading

import httpx
import openai
import pytest
from openai import OpenAI

from gateway import ledger
from gateway.keys import services as key_services
from gateway.mock_upstream import MockUpstream
from tests.gateway.calls_helpers import MODEL, Caller, caller, forget_policies
from tests.gateway.live import LiveGateway

PROMPT = "Please write to jane.doe@example.org about her appointment."


def sdk(live: LiveGateway, key: str) -> OpenAI:
    return OpenAI(base_url=live.base_url, api_key=key, max_retries=0, timeout=20)


def ask(client: OpenAI, content: str = PROMPT, **kwargs):
    return client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": content}], **kwargs)


@pytest.fixture
def acme(mock_upstream_server: MockUpstream) -> Caller:
    return caller(mock_upstream_server.base_url)


def test_an_answer_comes_back_with_the_email_masked_before_it_left(live_gateway, mock_upstream_server, acme):
    answer = ask(sdk(live_gateway, acme.plaintext))
    sent = mock_upstream_server.received[-1]
    assert sent.json()["messages"] == [{"role": "user", "content": "Please write to <EMAIL_1> about her appointment."}]
    assert sent.json()["model"] == "mock-gpt" and acme.plaintext not in str(sent.headers)
    assert answer.choices[0].message.content == "You said: «Please write to <EMAIL_1> about her appointment.»"
    call, done = acme.events()
    assert (call.type, call.decision, call.policy_version, call.entity_counts) == (
        "call", "redact", "policy@1", {"EMAIL_ADDRESS": 1},
    )  # fmt: skip
    assert (done.type, done.refers_to_sequence, done.model_served) == ("call_completed", call.sequence, "mock-gpt")
    assert done.tokens_in == answer.usage.prompt_tokens and done.latency_ms is not None
    assert "jane.doe" not in str(ledger.EVENTS) and "jane.doe" not in call.digest


def test_a_streamed_answer_is_relayed_chunk_by_chunk_and_recorded_at_the_end(live_gateway, mock_upstream_server, acme):
    chunks = list(ask(sdk(live_gateway, acme.plaintext), stream=True))
    assert len(chunks) > 3 and all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text == "You said: «Please write to <EMAIL_1> about her appointment.»"
    assert mock_upstream_server.received[-1].json()["stream"] is True
    call, done = acme.events()
    assert call.entity_counts == {"EMAIL_ADDRESS": 1}
    assert done.type == "call_completed" and done.tokens_out and done.model_served == "mock-gpt"


def test_the_raw_stream_ends_with_done_as_openai_sends_it(live_gateway, acme):
    body = {"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "hello"}]}
    headers = {"Authorization": f"Bearer {acme.plaintext}"}
    with httpx.stream("POST", f"{live_gateway.base_url}/chat/completions", json=body, headers=headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert events[-1] == "data: [DONE]" and all(event.startswith("data: ") for event in events)
    assert not any('"choices":[]' in event.replace(" ", "") for event in events)  # no usage chunk unasked


def test_models_lists_the_systems_routed_model_records(live_gateway, acme):
    models = sdk(live_gateway, acme.plaintext).models.list()
    assert [(m.id, m.owned_by) for m in models.data] == [(MODEL, "Cirrus AI Cloud")]


def test_a_revoked_key_is_refused_and_the_attempt_is_on_record(live_gateway, mock_upstream_server, acme):
    key_services.key_revoke(acme.key, user=acme.owner, reason="Leaked in a log")
    with pytest.raises(openai.AuthenticationError, match="was revoked"):
        ask(sdk(live_gateway, acme.plaintext))
    revoked, refusal = acme.events()
    assert (revoked.type, revoked.subject) == ("key_revoked", acme.key.reference)
    assert (refusal.type, refusal.key_id, refusal.decision) == ("refusal", acme.key.pk, "key_refused")
    assert not mock_upstream_server.received


def test_an_unknown_key_is_refused_without_an_event(live_gateway, acme):
    with pytest.raises(openai.AuthenticationError, match="Unknown gateway key"):
        ask(sdk(live_gateway, acme.plaintext[:-4] + "AAAA"))
    assert acme.events() == []


def test_a_model_not_in_the_register_is_refused(live_gateway, mock_upstream_server, acme):
    with pytest.raises(openai.PermissionDeniedError, match="not one of the model records") as refused:
        sdk(live_gateway, acme.plaintext).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
    assert refused.value.code == "model_not_in_register"
    (refusal,) = acme.events()
    assert (refusal.type, refusal.model_requested, refusal.policy_version) == ("refusal", "gpt-4o", "policy@1")
    assert not mock_upstream_server.received


@pytest.mark.parametrize(
    ("fields", "code"),
    [({"in_scope": False}, "ai_system_out_of_scope"), ({"lifecycle_stage": "design"}, "lifecycle_stage")],
)
def test_a_system_outside_scope_or_not_in_service_is_refused(live_gateway, mock_upstream_server, fields, code):
    acme = caller(mock_upstream_server.base_url, **fields)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        ask(sdk(live_gateway, acme.plaintext))
    assert refused.value.code == code and acme.events("refusal")[0].detail.startswith("AI system")
    assert not mock_upstream_server.received


def test_without_an_approved_impact_assessment_a_policy_that_requires_one_refuses(live_gateway, mock_upstream_server):
    acme = caller(mock_upstream_server.base_url, policy=False)
    from tests.gateway.policy_helpers import policy_in_force

    policy_in_force(acme.system.management_system, acme.owner, require_impact_assessment=True)
    forget_policies()
    with pytest.raises(openai.PermissionDeniedError, match="it has no impact assessment"):
        ask(sdk(live_gateway, acme.plaintext))
    assert acme.events("refusal")[0].detail.startswith("The gateway policy requires")


def test_a_card_number_is_blocked_and_named_by_type_only(live_gateway, mock_upstream_server, acme):
    with pytest.raises(openai.PermissionDeniedError, match="blocks CREDIT_CARD") as refused:
        ask(sdk(live_gateway, acme.plaintext), "Charge my card 4111 1111 1111 1111 today")
    assert "4111" not in refused.value.message
    (refusal,) = acme.events()
    assert (refusal.decision, refusal.entity_counts) == ("block", {"CREDIT_CARD": 1})
    assert not mock_upstream_server.received


def test_when_detection_fails_the_call_is_refused_and_nothing_leaves(
    live_gateway, mock_upstream_server, acme, monkeypatch
):
    from gateway.pii import PiiDetectionError, redact

    def broken(text: str):
        raise PiiDetectionError("analyzer down")

    monkeypatch.setattr(redact, "detect", broken)
    with pytest.raises(openai.InternalServerError, match="detection failed") as refused:
        ask(sdk(live_gateway, acme.plaintext))
    assert refused.value.status_code == 503
    assert [e.type for e in acme.events()] == ["refusal"]
    assert not mock_upstream_server.received


def test_when_the_provider_is_down_the_call_fails_with_a_502_on_record(live_gateway):
    with MockUpstream("127.0.0.1", 0, quiet=True) as gone:
        url = gone.base_url  # bound, then closed: nothing listens there
    acme = caller(url)
    with pytest.raises(openai.InternalServerError, match="Could not reach") as failed:
        ask(sdk(live_gateway, acme.plaintext))
    assert failed.value.status_code == 502
    call, failure = acme.events()
    assert (call.type, failure.type, failure.refers_to_sequence) == ("call", "failed", call.sequence)
    assert "Could not reach" in failure.detail


def test_tool_calls_in_the_answer_are_recorded(live_gateway, acme):
    tools = [{"type": "function", "function": {"name": "send_patient_message", "parameters": {
        "type": "object", "properties": {"message": {"type": "string"}}}}}]  # fmt: skip
    answer = ask(sdk(live_gateway, acme.plaintext), "call send_patient_message to jane.doe@example.org", tools=tools)
    assert answer.choices[0].message.tool_calls[0].function.name == "send_patient_message"
    assert "<EMAIL_1>" in answer.choices[0].message.tool_calls[0].function.arguments
    proposed = acme.events("action_proposed")
    assert [(e.tool, e.decision) for e in proposed] == [("send_patient_message", "model_tool_call")]


def test_concurrent_calls_of_one_system_keep_one_unbroken_chain(live_gateway, acme):
    client, errors = sdk(live_gateway, acme.plaintext), []

    def one(n: int) -> None:
        try:
            ask(client, f"Call 07700 900{n:03d} back")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    events = acme.events()
    assert [e.sequence for e in events] == list(range(2, 42))  # #1: the key's issue
    assert sorted(e.type for e in events) == ["call"] * 20 + ["call_completed"] * 20
    result = ledger.verify(acme.system.management_system)
    assert result.ok and result.checked == 41


def test_a_body_that_is_not_json_is_a_400(live_gateway, acme):
    response = httpx.post(
        f"{live_gateway.base_url}/chat/completions", content=b"{not json",
        headers={"Authorization": f"Bearer {acme.plaintext}", "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"


def test_the_site_is_served_by_the_same_asgi_application(live_gateway):
    page = httpx.get(f"{live_gateway.url}/login/")
    assert page.status_code == 200 and "<form" in page.text
