"""``manage.py gateway_mock_upstream --port N``: serve the mock OpenAI-compatible provider (gateway.mock_upstream)."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gateway.mock_upstream import MODELS, MockUpstream, serving


class Command(BaseCommand):
    help = (
        "Serve a mock model provider speaking the OpenAI API (GET /v1/models, POST /v1/chat/completions, "
        "streaming too); its replies quote the last user message exactly, so you see what left the boundary. "
        "Stops on Ctrl-C or SIGTERM."
    )
    requires_system_checks: list[str] = []  # no database and no checks: it starts beside anything
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", type=int, default=8099, help="Port to listen on (default 8099; 0 picks a free one)."
        )
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument(
            "--require-key",
            metavar="ENV_VAR",
            help="Refuse requests (401) unless they carry 'Authorization: Bearer <value of this environment variable>'.",
        )
        parser.add_argument("--quiet", action="store_true", help="Do not log each request.")

    def handle(self, *args: Any, port: int, host: str, require_key: str | None, quiet: bool, **options: Any) -> None:
        api_key = None
        if require_key:
            api_key = os.environ.get(require_key)
            if not api_key:
                raise CommandError(f"--require-key {require_key}: that environment variable is not set or empty.")
        try:
            server = MockUpstream(host, port, api_key=api_key, quiet=quiet)
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error}") from None
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        with serving(server):
            key_note = f", key required from ${require_key}" if api_key else ""
            self.stdout.write(f"Mock OpenAI upstream at {server.base_url} (models: {', '.join(MODELS)}{key_note})")
            self.stdout.flush()
            stop.wait()
        self.stdout.write("Mock OpenAI upstream stopped.")
