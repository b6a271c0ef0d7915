"""A live uvicorn server running ``aims.asgi.application`` in a thread, for tests that call the gateway over HTTP.

Tests that use it need ``transactional_db``: the server's requests run in other threads, on their
own database connections, and see only committed rows. The test database is a file under SQLite
(``aims/settings.py``) or a real database under PostgreSQL, so those connections open the same
database as the test. Persistent connections are off while it serves (the gateway's database
threads close their connection after each piece of work), and when the server stops the fixture
closes those threads' connections and stops the threads (``gateway.endpoint.close_db_threads``), so
nothing holds the test database open afterwards: on PostgreSQL, a connection left open makes the
test database's teardown warn that it "is being accessed by other users".

``tests/gateway/conftest.py`` imports the fixture, so every gateway test can ask for ``live_gateway``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connections

START_TIMEOUT = 10


@dataclass
class LiveGateway:
    """A running server: ``base_url`` is what an OpenAI client takes (``http://127.0.0.1:PORT/gateway/v1``)."""

    url: str

    @property
    def base_url(self) -> str:
        return f"{self.url}/gateway/v1"


@pytest.fixture
def live_gateway(transactional_db: None, settings: Any) -> Iterator[LiveGateway]:
    """Serve the site with uvicorn on a free port for one test, then stop it (with the gateway's database threads)."""
    import uvicorn

    from aims.asgi import application
    from gateway.endpoint import close_db_threads

    settings.GATEWAY_DB_THREADS = 4
    saved = connections.settings["default"].get("CONN_MAX_AGE", 0)
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(application, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The live gateway did not start.")
        time.sleep(0.01)
    try:
        yield LiveGateway(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()
        close_db_threads()
        connections.settings["default"]["CONN_MAX_AGE"] = saved
