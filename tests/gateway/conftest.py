"""Fixtures of the gateway's tests: the mock OpenAI-compatible provider as a real HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.mock_upstream import MockUpstream, serving
from tests.gateway.live import live_gateway  # noqa: F401  (fixture: the site served by uvicorn, tests/gateway/live.py)


@pytest.fixture
def mock_upstream_server() -> Iterator[MockUpstream]:
    """Serve the mock provider on a free port for one test (``.base_url``, ``.received``), then stop it."""
    with serving(MockUpstream("127.0.0.1", 0, quiet=True), poll_interval=0.01) as server:
        yield server


@pytest.fixture
def mock_upstream(mock_upstream_server: MockUpstream) -> str:
    """Return the mock provider's base URL for an OpenAI client, e.g. ``http://127.0.0.1:PORT/v1``."""
    return mock_upstream_server.base_url
