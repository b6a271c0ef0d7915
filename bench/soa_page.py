"""Benchmark: the SoA page, one row's editor and the SoA API with 1,000 AI systems, each linked to every SoA row.

Uses the database of ``DATABASE_URL`` (PostgreSQL for the issue's figures; migrated first),
builds once a management system "Bench SoA" with 1,000 AI systems (bulk, with their history
rows) linked to all 38 SoA rows (38,000 links), then fetches each URL ``ROUNDS`` times with
the Django test client and prints p50, p95, queries and size.

Run: ``DATABASE_URL=postgres://... .venv/bin/python bench/soa_page.py [rounds]``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aims.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

SYSTEMS = 1000
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 30


def build():
    from simple_history.utils import bulk_create_with_history

    from aims import services
    from aims.models import ManagementSystem
    from controls.models import Applicability
    from registers.models import AISystem
    from tests.kit import enrol_authenticator

    user, _ = get_user_model().objects.get_or_create(username="bench-soa")
    enrol_authenticator(user)
    ms = ManagementSystem.objects.filter(name="Bench SoA").first()
    if ms is None:
        ms = services.management_system_create(user=user, organisation="Bench", name="Bench SoA")
    have = AISystem.objects.filter(management_system=ms).count()
    if have < SYSTEMS:
        systems = [
            AISystem(management_system=ms, reference=f"AIS-{i:03d}", name=f"Bench system {i:04d}")
            for i in range(have + 1, SYSTEMS + 1)
        ]
        bulk_create_with_history(systems, AISystem, batch_size=500, default_user=user)
        ids = list(AISystem.objects.filter(management_system=ms).values_list("pk", flat=True))
        through = Applicability.ai_systems.through
        through.objects.filter(applicability__management_system=ms).delete()
        rows = list(Applicability.objects.filter(management_system=ms).values_list("pk", flat=True))
        through.objects.bulk_create(
            [through(applicability_id=row, aisystem_id=pk) for row in rows for pk in ids], batch_size=5000
        )
    return user, ms


def measure(client, url):
    times, queries, size = [], 0, 0
    for _ in range(ROUNDS):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries, size = len(captured), len(response.content)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95, queries, size


def main():
    call_command("migrate", verbosity=0)
    user, ms = build()
    from controls.models import Applicability
    from tests.kit import log_in

    client = log_in(Client(HTTP_HOST="localhost"), user)
    row = Applicability.objects.filter(management_system=ms, control__key="A.6.2.8").get()
    urls = {
        "SoA page": reverse("controls:soa", args=[ms.pk]),
        "SoA row editor": reverse("controls:soa_row_edit", args=[ms.pk, row.pk]),
        "SoA row editor, search": reverse("controls:soa_row_edit", args=[ms.pk, row.pk]) + "?q=system+09",
        "SoA row search (JSON)": reverse("controls:soa_row_systems", args=[ms.pk, row.pk]) + "?q=system+09",
        "API SoA list": f"/api/v1/soa/?management_system={ms.pk}&page_size=50",
        "API SoA row": f"/api/v1/soa/{row.pk}/",
    }
    print(f"{connection.vendor}, {SYSTEMS} AI systems linked to each of 38 rows, {ROUNDS} requests per URL")
    print(f"{'URL':28} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'KB':>8}")
    for name, url in urls.items():
        p50, p95, queries, size = measure(client, url)
        print(f"{name:28} {p50:8.1f} {p95:8.1f} {queries:8d} {size / 1024:8.1f}")
    print("DEBUG" if settings.DEBUG else "")


if __name__ == "__main__":
    main()
