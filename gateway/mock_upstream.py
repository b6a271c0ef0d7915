"""A mock model provider speaking the OpenAI API, for the demo (`make run`) and the gateway's tests.

It stands where a real provider would, outside the boundary, so the gateway answers out of the box and
anyone can see what left the boundary: every reply quotes the last user message exactly as it arrived,

    You said: «<the last user message, character for character>»

and after a tool result (the last message has the role ``tool``) it quotes that instead:
``The tool said: «...»``. Text parts of a list content are joined without a separator.

Endpoints (under ``/v1``): ``GET /models``, ``GET /models/<id>`` and ``POST /chat/completions``,
non-streaming or streaming (server-sent events as OpenAI sends them: ``chat.completion.chunk`` objects,
the role in the first delta, content deltas, a chunk with ``finish_reason``, a usage chunk when
``stream_options.include_usage`` is set, then ``data: [DONE]``). Any model name is accepted and echoed.

It answers with a tool call (``finish_reason: "tool_calls"``) when the request has ``tools`` and either
``tool_choice`` names a function (or is ``"required"``: the first tool), or the last message is the
user's and contains ``call <tool_name>``; ``tool_choice: "none"`` never calls. The arguments are
``{"message": <last user message>}`` when the tool's parameters declare ``message``, else ``{}``.
Token counts are rough: a quarter of the characters, at least one per non-empty text.

It also stands for the organisation's internal endpoints that the gateway's actions reach through
connectors: ``POST`` (``PUT``, ``PATCH``, ``GET``) ``/connectors/<name>`` answers
``{"ok": true, "connector": <name>, "received": <the JSON body, or a GET's query>}``.

Errors have OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``: 400 for a body that is
not JSON or lacks ``model``/``messages``, 401 for a wrong key when one is required, 404 for unknown URLs.
The ``Authorization`` header is accepted and not required unless ``api_key`` is given.

Why the standard library's ``ThreadingHTTPServer`` rather than an ASGI app under uvicorn: no event loop
to share with the code under test, a thread per request (concurrent calls just work), binding to port 0
happens in the constructor (a test knows its URL before serving, no startup race), and ``shutdown()``
stops it from any thread, which is all a pytest fixture and a management command need.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

MODELS = ("mock-gpt", "mock-small")
MODEL_OWNER = "aims-mock"
MAX_BODY_BYTES = 10 * 1024 * 1024
CALL_PATTERN = re.compile(r"\bcall\s+([A-Za-z0-9_-]+)")
CONNECTOR_PREFIX = "/connectors/"  # a mock internal endpoint per name, for the gateway's actions
PIECE_PATTERN = re.compile(r"\S+\s*|\s+")  # a streamed reply's deltas: a word and the spaces after it


class UpstreamError(Exception):
    """A request the mock refuses, answered with OpenAI's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": type, "param": param, "code": code}}


@dataclass(frozen=True)
class Received:
    """One request as the mock received it (for tests: what left the boundary)."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)


# --- the replies -----------------------------------------------------------------------------------------


def rough_tokens(text: str) -> int:
    """Return a rough token count for a text: a quarter of its characters."""
    return (len(text) + 3) // 4


def content_text(content: Any) -> str:
    """Return the text of a message's content: a string, or the text parts of a list joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def last_user_text(messages: list[dict]) -> str:
    """Return the content of the last user message exactly as received, or an empty string."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def reply_text(messages: list[dict]) -> str:
    """Return the reply: the last user message quoted, or the tool result when a tool spoke last."""
    if messages[-1].get("role") == "tool":
        return f"The tool said: «{content_text(messages[-1].get('content'))}»"
    return f"You said: «{last_user_text(messages)}»"


def tool_to_call(request: dict) -> dict | None:
    """Return the function definition the reply should call, or None for a text reply."""
    functions = [
        tool["function"] for tool in request.get("tools") or [] if isinstance(tool, dict) and "function" in tool
    ]
    by_name = {function.get("name"): function for function in functions}
    choice = request.get("tool_choice")
    if not functions or choice == "none":
        return None
    if isinstance(choice, dict):
        return by_name.get((choice.get("function") or {}).get("name"))
    if choice == "required":
        return functions[0]
    messages = request["messages"]
    if messages[-1].get("role") != "user":  # after a tool result, answer in text: no endless loop
        return None
    for name in CALL_PATTERN.findall(last_user_text(messages)):
        if name in by_name:
            return by_name[name]
    return None


def tool_call(function: dict, messages: list[dict]) -> dict:
    """Return a tool call of a function, with JSON arguments echoing the user's message when it takes one."""
    properties = (function.get("parameters") or {}).get("properties") or {}
    arguments = {"message": last_user_text(messages)} if "message" in properties else {}
    return {
        "id": f"call_{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {"name": function.get("name", ""), "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


def usage(messages: list[dict], completion: str) -> dict:
    """Return rough token usage figures for a request and its reply."""
    prompt = sum(rough_tokens(content_text(message.get("content"))) + 1 for message in messages)
    completion_tokens = rough_tokens(completion)
    return {"prompt_tokens": prompt, "completion_tokens": completion_tokens, "total_tokens": prompt + completion_tokens}


def validated(body: bytes) -> dict:
    """Return a chat completion request parsed from a body, or raise UpstreamError."""
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UpstreamError(
            400,
            "We could not parse the JSON body of your request. The body must be a JSON object.",
            code="invalid_json",
        ) from None
    if not isinstance(request, dict):
        raise UpstreamError(400, "The body of your request must be a JSON object.", code="invalid_json")
    for name in ("model", "messages"):
        if name not in request:
            raise UpstreamError(
                400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
            )
    if not isinstance(request["model"], str) or not request["model"]:
        raise UpstreamError(400, "'model' must be a non-empty string.", param="model", code="invalid_type")
    messages = request["messages"]
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) and "role" in m for m in messages):
        raise UpstreamError(
            400, "'messages' must be a non-empty array of messages with a role.", param="messages", code="invalid_type"
        )
    if not isinstance(request.get("stream", False), bool):
        raise UpstreamError(400, "'stream' must be a boolean.", param="stream", code="invalid_type")
    return request


def completion(request: dict) -> dict:
    """Return the non-streaming chat completion answering a request."""
    messages = request["messages"]
    function = tool_to_call(request)
    if function is not None:
        message = {"role": "assistant", "content": None, "tool_calls": [tool_call(function, messages)]}
        spoken, finish = message["tool_calls"][0]["function"]["arguments"], "tool_calls"
    else:
        spoken, finish = reply_text(messages), "stop"
        message = {"role": "assistant", "content": spoken}
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request["model"],
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage(messages, spoken),
    }


def chunks(request: dict) -> Iterator[dict]:
    """Yield the ``chat.completion.chunk`` objects of a streamed reply, as OpenAI sends them."""
    whole = completion(request)
    with_usage = bool((request.get("stream_options") or {}).get("include_usage"))
    base = {"id": whole["id"], "object": "chat.completion.chunk", "created": whole["created"], "model": whole["model"]}
    if with_usage:
        base["usage"] = None

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    choice = whole["choices"][0]
    if choice["finish_reason"] == "tool_calls":
        call = choice["message"]["tool_calls"][0]
        head = {
            "index": 0,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        yield chunk({"role": "assistant", "content": None, "tool_calls": [head]})
        for piece in PIECE_PATTERN.findall(call["function"]["arguments"]):
            yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
    else:
        yield chunk({"role": "assistant", "content": ""})
        for piece in PIECE_PATTERN.findall(choice["message"]["content"]):
            yield chunk({"content": piece})
    yield chunk({}, choice["finish_reason"])
    if with_usage:
        yield {**base, "choices": [], "usage": whole["usage"]}


def model_object(model_id: str) -> dict:
    """Return the OpenAI model object of a model id."""
    return {"id": model_id, "object": "model", "created": 1700000000, "owned_by": MODEL_OWNER}


def connector_answer(name: str, method: str, target: str, body: bytes) -> dict:
    """Return a mock connector's answer: what it received (the JSON body, or the query of a GET)."""
    if method == "GET":
        received: Any = dict(parse_qsl(target.partition("?")[2]))
    else:
        try:
            received = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            raise UpstreamError(400, "A connector takes a JSON body.", code="invalid_json") from None
    return {"ok": True, "connector": name, "received": received}


# --- the server ------------------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    """Answer one connection's requests (HTTP/1.1, keep-alive; streamed replies are chunked)."""

    server: MockUpstream
    protocol_version = "HTTP/1.1"
    server_version = "AIMSMockUpstream/1"
    timeout = 60  # an idle keep-alive connection frees its thread after this long

    def do_GET(self) -> None:
        self.dispatch()

    def do_POST(self) -> None:
        self.dispatch()

    def do_PUT(self) -> None:
        self.dispatch()

    def do_DELETE(self) -> None:
        self.dispatch()

    def do_PATCH(self) -> None:
        self.dispatch()

    def dispatch(self) -> None:
        """Read the request, answer it, and turn any refusal or failure into OpenAI's error body."""
        try:
            body = self.read_body()
            self.server.received.append(
                Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.check_key()
            self.route(body)
        except UpstreamError as error:
            self.send_json(error.status, error.body)
        except Exception as error:  # the mock must answer something OpenAI-shaped, whatever happens
            self.log_error("mock upstream failed: %r", error)
            self.send_json(500, UpstreamError(500, "The mock upstream failed.", type="server_error").body)

    def read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise UpstreamError(400, "Invalid Content-Length header.", code="invalid_request") from None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise UpstreamError(413, "The request body is too large.", code="request_too_large")
        return self.rfile.read(length) if length > 0 else b""

    def check_key(self) -> None:
        expected = self.server.api_key
        if expected and self.headers.get("Authorization") != f"Bearer {expected}":
            raise UpstreamError(401, "Incorrect API key provided.", code="invalid_api_key")

    def route(self, body: bytes) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if self.command == "GET" and path == "/v1/models":
            self.send_json(200, {"object": "list", "data": [model_object(model) for model in MODELS]})
        elif self.command == "GET" and path.startswith("/v1/models/") and path.removeprefix("/v1/models/") in MODELS:
            self.send_json(200, model_object(path.removeprefix("/v1/models/")))
        elif path.startswith(CONNECTOR_PREFIX) and len(path) > len(CONNECTOR_PREFIX):
            self.send_json(200, connector_answer(path.removeprefix(CONNECTOR_PREFIX), self.command, self.path, body))
        elif self.command == "POST" and path == "/v1/chat/completions":
            request = validated(body)
            if request.get("stream"):
                self.send_stream(chunks(request))
            else:
                self.send_json(200, completion(request))
        else:
            raise UpstreamError(404, f"Unknown request URL: {self.command} {self.path}.", code="unknown_url")

    def send_json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_stream(self, events: Iterator[dict]) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in events:
            self.write_chunk(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
        self.write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()  # each event leaves at once, as a provider streams it

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)


class MockUpstream(ThreadingHTTPServer):
    """The mock provider: a thread per connection; remembers the last requests it received."""

    daemon_threads = True  # idle keep-alive connections never hold up shutdown
    # socketserver's default backlog of 5 resets connections opened in a burst (an open-loop load
    # at 100 requests/s opens several at once while earlier ones are still busy).
    request_queue_size = 128

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, api_key: str | None = None, quiet: bool = False):
        super().__init__((host, port), Handler)
        self.api_key = api_key
        self.quiet = quiet
        self.received: deque[Received] = deque(maxlen=100)

    @property
    def base_url(self) -> str:
        """Return the base URL an OpenAI client takes, e.g. ``http://127.0.0.1:8099/v1``."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"


@contextmanager
def serving(server: MockUpstream, *, poll_interval: float = 0.1) -> Iterator[MockUpstream]:
    """Serve in a background thread for the duration of the block, then shut down and close the socket."""
    # shutdown() waits up to one poll interval: tests pass a short one
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
