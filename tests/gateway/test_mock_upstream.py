"""The mock provider, called by the official OpenAI SDK over real HTTP, answers as OpenAI's API does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest
from openai import OpenAI

from gateway.mock_upstream import MockUpstream, serving

TRICKY = 'Grüße, Zoë 👋\nsecond line\twith a tab, «quotes» and "double" ones  '
ECHO_TOOL = {
    "type": "function",
    "function": {
        "name": "send_email",
        "description": "Send an email.",
        "parameters": {"type": "object", "properties": {"message": {"type": "string"}}},
    },
}
LIST_TOOL = {"type": "function", "function": {"name": "list_files", "parameters": {"type": "object", "properties": {}}}}


@pytest.fixture
def client(mock_upstream: str) -> OpenAI:
    return OpenAI(base_url=mock_upstream, api_key="sk-test", max_retries=0, timeout=10)


def test_completion_quotes_last_user_message_exactly(client, mock_upstream_server):
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": TRICKY},
    ]
    reply = client.chat.completions.create(model="mock-gpt", messages=messages)

    assert reply.choices[0].message.content == f"You said: «{TRICKY}»"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.model == "mock-gpt"
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    received = mock_upstream_server.received[-1]
    assert received.headers["authorization"] == "Bearer sk-test"
    assert received.json()["messages"][-1]["content"] == TRICKY


def test_stream_assembles_the_same_text_with_usage(client):
    stream = client.chat.completions.create(
        model="mock-small",
        messages=[{"role": "user", "content": TRICKY}],
        stream=True,
        stream_options={"include_usage": True},
    )
    events = list(stream)

    content_chunks = [event for event in events if event.choices]
    assert content_chunks[0].choices[0].delta.role == "assistant"
    assert "".join(event.choices[0].delta.content or "" for event in content_chunks) == f"You said: «{TRICKY}»"
    assert len(content_chunks) > 3  # really streamed in pieces
    assert [event.choices[0].finish_reason for event in content_chunks][-1] == "stop"
    assert events[-1].choices == [] and events[-1].usage.completion_tokens > 0
    assert {event.object for event in events} == {"chat.completion.chunk"}


def test_stream_is_server_sent_events_ending_with_done(mock_upstream):
    body = {"model": "mock-gpt", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with httpx.stream("POST", f"{mock_upstream}/chat/completions", json=body) as response:
        text = response.read().decode()

    assert response.headers["content-type"].startswith("text/event-stream")
    events = text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert all(event.startswith("data: ") for event in events[:-1])
    assert "usage" not in json.loads(events[0].removeprefix("data: "))  # only when include_usage asks for it


def test_models_list(client):
    assert [model.id for model in client.models.list()] == ["mock-gpt", "mock-small"]
    assert client.models.retrieve("mock-small").id == "mock-small"


def test_tool_call_when_the_user_asks_for_it(client):
    messages = [{"role": "user", "content": "Please call send_email now"}]
    reply = client.chat.completions.create(model="mock-gpt", messages=messages, tools=[LIST_TOOL, ECHO_TOOL])

    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.function.name == "send_email"
    assert json.loads(call.function.arguments) == {"message": "Please call send_email now"}

    messages += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sent"},
    ]
    after = client.chat.completions.create(model="mock-gpt", messages=messages, tools=[ECHO_TOOL])
    assert after.choices[0].message.content == "The tool said: «sent»"  # no endless loop of calls


def test_tool_choice_forces_a_call_and_streams_it(client):
    forced = {"type": "function", "function": {"name": "list_files"}}
    stream = client.chat.completions.create(
        model="mock-gpt",
        messages=[{"role": "user", "content": "hello"}],
        tools=[ECHO_TOOL, LIST_TOOL],
        tool_choice=forced,
        stream=True,
    )
    events = list(stream)

    head = events[0].choices[0].delta.tool_calls[0]
    assert head.function.name == "list_files" and head.id.startswith("call_")
    arguments = "".join(
        e.choices[0].delta.tool_calls[0].function.arguments for e in events if e.choices[0].delta.tool_calls
    )
    assert json.loads(arguments) == {}
    assert events[-1].choices[0].finish_reason == "tool_calls"


def test_no_tool_call_without_tools_or_when_told_none(client):
    text = "call send_email"
    plain = client.chat.completions.create(model="mock-gpt", messages=[{"role": "user", "content": text}])
    refused = client.chat.completions.create(
        model="mock-gpt", messages=[{"role": "user", "content": text}], tools=[ECHO_TOOL], tool_choice="none"
    )
    assert plain.choices[0].message.content == refused.choices[0].message.content == f"You said: «{text}»"


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        (b"{not json", None, "invalid_json"),
        (b"[1, 2]", None, "invalid_json"),
        (b'{"model": "mock-gpt"}', "messages", "missing_required_parameter"),
        (b'{"messages": [{"role": "user", "content": "x"}]}', "model", "missing_required_parameter"),
        (b'{"model": "mock-gpt", "messages": []}', "messages", "invalid_type"),
    ],
)
def test_bad_input_gets_an_openai_error_body(mock_upstream, body, param, code):
    response = httpx.post(
        f"{mock_upstream}/chat/completions", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": response.json()["error"]["message"],
            "type": "invalid_request_error",
            "param": param,
            "code": code,
        }
    }
    assert response.json()["error"]["message"]


def test_unknown_path_is_404_in_openai_shape(mock_upstream, client):
    response = httpx.get(f"{mock_upstream}/embeddings")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_url"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-unknown")


def test_bad_input_through_the_sdk_raises_its_bad_request_error(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="mock-gpt", messages=[])
    assert raised.value.body["param"] == "messages"


def test_concurrent_requests_from_threads(client):
    def ask(number: int) -> tuple[str, str]:
        if number % 2:
            stream = client.chat.completions.create(
                model="mock-gpt", messages=[{"role": "user", "content": f"ask {number}"}], stream=True
            )
            return f"ask {number}", "".join(e.choices[0].delta.content or "" for e in stream if e.choices)
        reply = client.chat.completions.create(
            model="mock-gpt", messages=[{"role": "user", "content": f"ask {number}"}]
        )
        return f"ask {number}", reply.choices[0].message.content

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, range(24)))

    assert all(answer == f"You said: «{asked}»" for asked, answer in answers)


def test_required_key_refuses_others():
    with serving(MockUpstream(api_key="sk-upstream", quiet=True)) as server:
        good = OpenAI(base_url=server.base_url, api_key="sk-upstream", max_retries=0)
        bad = OpenAI(base_url=server.base_url, api_key="sk-other", max_retries=0)

        assert [model.id for model in good.models.list()] == ["mock-gpt", "mock-small"]
        with pytest.raises(openai.AuthenticationError):
            bad.models.list()
        assert httpx.get(f"{server.base_url}/models").status_code == 401


def test_command_serves_and_stops_on_sigterm(tmp_path):
    env = {**os.environ, "AIMS_VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "gateway_mock_upstream", "--port", "0", "--quiet"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()  # printed once it listens
        base_url = banner.split(" at ", 1)[1].split(" ", 1)[0]
        assert OpenAI(base_url=base_url, api_key="x", max_retries=0).models.list().data[0].id == "mock-gpt"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert "stopped" in process.stdout.read()
    finally:
        process.kill()
