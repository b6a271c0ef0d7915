"""A job queue that is down: the Celery app pointed at a Redis port nothing listens on.

Not a mock: sending a task really tries to connect and really fails (connection refused at
once), as it does when Redis is stopped. The app's connection and producer pools are bound
to the broker they were made for, so they are dropped on the way in and out.
"""

from __future__ import annotations

import pytest

from aims.celery import app

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def _use_broker(url: str, transport_options: dict) -> None:
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """Make every task sent during the test fail to reach the broker; call the value to bring it back."""
    saved = app.conf.broker_url, dict(app.conf.broker_transport_options or {})
    _use_broker(UNREACHABLE_BROKER, {"socket_connect_timeout": 1})
    try:
        yield lambda: _use_broker(*saved)
    finally:
        _use_broker(*saved)


__all__ = ["broker_down", "UNREACHABLE_BROKER"]
