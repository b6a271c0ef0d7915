"""Benchmark: append N gateway events to one AI system's chain, then verify it, and print records per second.

Builds a fresh SQLite database in a temporary folder (nothing in var/ is touched) unless
``DATABASE_URL`` is set (then it uses that database: give it an empty one). Appends N events
(default 20,000; ``--events``) through ``gateway.ledger.event_append`` in one transaction per
1,000, then verifies the chains with ``gateway.ledger.verify`` (streaming) and prints the rates.
The target for verification is 100,000 records/second on one core; nothing is asserted.

Run: ``.venv/bin/python bench/gateway_ledger.py [--events 20000]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.mkdtemp(prefix="aims-bench-gateway-"))
os.environ.update({"AIMS_VAR_DIR": str(WORK), "DJANGO_SETTINGS_MODULE": "aims.settings"})
os.environ.pop("REDIS_URL", None)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from aims import services as aims_services  # noqa: E402
from gateway import ledger  # noqa: E402
from registers.services import ai_system_create  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    events = parser.parse_args().events
    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("owner", "owner@bench.example")
    ms = aims_services.management_system_create(
        user=owner, organisation="Bench Health", name="Bench AIMS", scope_statement="Every AI system."
    )
    system = ai_system_create(management_system=ms, user=owner, name="Chatbot", purpose="Answers questions.")
    started = time.perf_counter()
    for start in range(0, events, 1000):
        with transaction.atomic():
            for n in range(start, min(start + 1000, events)):
                ledger.event_append(
                    ai_system=system, type="call", key_id=1, model_requested="gpt-4o-mini", decision="redact",
                    policy_version="policy@3", entity_counts={"EMAIL_ADDRESS": n % 3, "PERSON": 1},
                    request_sha256=f"{n:064x}",
                )  # fmt: skip
    appended = time.perf_counter() - started
    started = time.perf_counter()
    result = ledger.verify(ms)
    verified = time.perf_counter() - started
    print(f"database: {connection.vendor}")
    print(f"appended {events} events in {appended:.2f}s ({events / appended:,.0f} events/s, one chain)")
    print(
        f"verified {result.checked} events in {verified:.2f}s ({result.checked / verified:,.0f} records/s), ok={result.ok}"
    )


if __name__ == "__main__":
    main()
