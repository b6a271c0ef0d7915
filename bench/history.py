"""Benchmark: an AI system's History tab and ``GET /api/v1/ai-systems/<id>/history/`` with many versions.

In one run: the database of ``DATABASE_URL`` (give it an empty PostgreSQL database; without it a
fresh SQLite database in a temporary folder, nothing in var/ is touched) migrated, a management
system with an officer, one AI system given ``--versions`` versions (default 500) through the
services, each changing its purpose, its owner and its lifecycle stage. Then the page and the
endpoint are fetched ``--repeat`` times each (after one warm-up) through Django's test client, and
the queries of one fetch and the median time are printed. Nothing is asserted.

Run: ``DATABASE_URL=postgres://…/aims_bench .venv/bin/python bench/history.py [--versions 500] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.mkdtemp(prefix="aims-bench-history-"))
os.environ.update({"AIMS_VAR_DIR": str(WORK), "DJANGO_SETTINGS_MODULE": "aims.settings", "LOG_LEVEL": "WARNING"})
os.environ.pop("REDIS_URL", None)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from aims import services  # noqa: E402
from aims.models import Role  # noqa: E402
from registers.models import AISystem  # noqa: E402
from registers.services import ai_system_create  # noqa: E402


def build(count: int) -> tuple[AISystem, object]:
    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    owner = users.create_user("bench-owner", password="x")
    officer = users.create_user("bench-officer", password="x")
    ms = services.management_system_create(user=owner, organisation="Bench", name="Bench AIMS", owner=owner)
    services.membership_add(management_system=ms, actor=owner, user=officer, role=Role.OFFICER)
    system = ai_system_create(management_system=ms, user=officer, reason="Created", name="Triage", purpose="p 0")
    stages = [value for value, _label in AISystem.LifecycleStage.choices]
    for index in range(1, count):
        system = services.register_update(
            AISystem.objects.get(pk=system.pk),
            user=officer,
            expected_version=system.version,
            reason=f"Change {index}",
            purpose=f"Purpose {index}",
            owner=owner if index % 2 else officer,
            lifecycle_stage=stages[index % len(stages)],
        )
    return system, officer


def measure(fetch, repeat: int) -> tuple[int, float]:
    fetch()
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        fetch()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fetch()
        times.append(time.perf_counter() - start)
    return len(queries), statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    system, officer = build(args.versions)
    client = Client()
    client.force_login(officer)
    api = APIClient()
    api.force_authenticate(officer)
    page = f"/ms/{system.management_system_id}/registers/ai-systems/{system.pk}/history/"
    endpoint = f"/api/v1/ai-systems/{system.pk}/history/"

    def get(c, url):
        response = c.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    print(f"{connection.vendor}, one AI system with {AISystem.history.filter(id=system.pk).count()} versions")
    for name, fetch in (("history page", lambda: get(client, page)), ("history API", lambda: get(api, endpoint))):
        queries, ms = measure(fetch, args.repeat)
        print(f"{name:14} {queries:5} queries  {ms:8.1f} ms (median of {args.repeat})")


if __name__ == "__main__":
    main()
