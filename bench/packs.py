"""Benchmark: render a full audit pack of a large management system with a real Celery worker.

Builds, in a fresh SQLite database in a temporary folder (nothing in var/ is touched), a
management system with 100 AI systems, 500 risks, the 38 SoA rows (all decided) and 300
evidence files, through the application's services. Then it starts a real
``celery -A aims worker --pool=solo`` on the filesystem broker, requests a full pack and
waits for it, and prints:

- render time: from the worker starting the pack to the pack being ready,
- pages and sizes,
- the worker's peak memory (VmHWM of the worker process),
- the time WeasyPrint alone takes on the same HTML, and the gathering and templating time,
  so the ratio shows what our own code costs.

Run: ``.venv/bin/python bench/packs.py`` (about two minutes on two cores).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.mkdtemp(prefix="aims-bench-packs-"))
os.environ.update(
    {
        "AIMS_VAR_DIR": str(WORK),
        "MEDIA_ROOT": str(WORK / "media"),
        "AIMS_PACK_DIR": str(WORK / "media" / "packs"),
        "AIMS_PACK_QUEUE": "bench-packs",
        "DJANGO_SETTINGS_MODULE": "aims.settings",
    }
)
os.environ.pop("DATABASE_URL", None)
os.environ.pop("REDIS_URL", None)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from aims import services as aims_services  # noqa: E402
from aims.models import Role  # noqa: E402
from assessments import services as assessment_services  # noqa: E402
from controls.models import Applicability  # noqa: E402
from controls.services import applicability_update  # noqa: E402
from evidence.demo import samples  # noqa: E402
from evidence.services import evidence_create  # noqa: E402
from packs import gather, render  # noqa: E402
from packs.models import AuditPack  # noqa: E402
from packs.services import ledger_head, pack_request  # noqa: E402
from registers.services import ai_system_create  # noqa: E402

SYSTEMS, RISKS, EVIDENCE = 100, 500, 300


def build():
    """Create the management system and its registers through the services."""
    from django.contrib.auth import get_user_model

    users = {
        name: get_user_model().objects.create_user(name, f"{name}@bench.example")
        for name in ("owner", "officer", "auditor")
    }
    ms = aims_services.management_system_create(
        user=users["owner"],
        organisation="Bench Health",
        name="Bench AIMS",
        scope_statement="Every AI system of Bench Health.",
    )
    aims_services.membership_add(management_system=ms, actor=users["owner"], user=users["officer"], role=Role.OFFICER)
    aims_services.membership_add(
        management_system=ms, actor=users["owner"], user=users["auditor"], role=Role.AUDITOR,
        expires_at=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    officer = users["officer"]
    systems = [
        ai_system_create(
            management_system=ms,
            user=officer,
            name=f"AI system {n:03d}",
            purpose=f"Supports process {n} of the organisation with predictions that staff review.",
        )  # fmt: skip
        for n in range(SYSTEMS)
    ]
    assessment_services.risk_criteria_ensure_default(management_system=ms, user=officer)
    risks = [
        assessment_services.risk_create(
            management_system=ms,
            user=officer,
            title=f"Risk {n:03d}: outputs are wrong for an under-represented group",
            source="fairness",
            description="Training data under-represents part of the population served.",
            likelihood=1 + n % 5,
            consequence=1 + (n // 5) % 5,
            treatment_plan="Re-weight data; monitor per group.",
            ai_systems=[systems[n % SYSTEMS]],
        )  # fmt: skip
        for n in range(RISKS)
    ]
    rows = list(Applicability.objects.filter(management_system=ms).select_related("control"))
    for n, row in enumerate(rows):
        excluded = n % 9 == 8
        applicability_update(
            row, user=officer, expected_version=row.version, applicable="excluded" if excluded else "included",
            justification=f"Decided at the bench review for {row.control.key}.",
            implementation_status="not_applicable" if excluded else "implemented",
        )  # fmt: skip
    pdf = samples.pdf_bytes("bench evidence")
    for n in range(EVIDENCE):
        evidence_create(
            management_system=ms, user=officer, title=f"Evidence {n:03d}", evidence_date=timezone.localdate(),
            upload=SimpleUploadedFile(f"evidence-{n:03d}.pdf", pdf),
            links={"ai_systems": [systems[n % SYSTEMS]], "risks": [risks[n % RISKS]], "soa_rows": [rows[n % len(rows)]]},
        )  # fmt: skip
    return ms, users


def start_worker() -> subprocess.Popen:
    log = open(WORK / "worker.log", "wb")  # noqa: SIM115
    celery = str(Path(sys.executable).with_name("celery"))
    command = [celery, "-A", "aims", "worker", "--pool=solo", "-Q", "bench-packs", "--loglevel=WARNING",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    ms, users = build()
    print(f"built: {SYSTEMS} AI systems, {RISKS} risks, 38 SoA rows, {EVIDENCE} evidence files "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    worker = start_worker()
    try:
        time.sleep(1)
        baseline = peak_memory_mb(worker.pid)
        pack = pack_request(management_system=ms, user=users["auditor"], kind=AuditPack.Kind.FULL)
        deadline = time.monotonic() + 900
        while pack.status not in ("ready", "failed") and time.monotonic() < deadline:
            time.sleep(0.5)
            pack.refresh_from_db()
        peak = peak_memory_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    if pack.status != "ready":
        sys.exit(f"pack not ready: {pack.status} {pack.failure_reason}; see {WORK / 'worker.log'}")
    render_seconds = (pack.finished_at - pack.started_at).total_seconds()

    t0 = time.perf_counter()
    data = gather.gather_pack(pack)
    data.parts["ledger"] = ledger_head(ms, pack.as_of)
    t1 = time.perf_counter()
    html = render.render_pack_html(data)
    t2 = time.perf_counter()
    pdf = render.html_to_pdf(html)
    t3 = time.perf_counter()

    print(
        f"full pack #{pack.pk}: {pack.pages} pages, PDF {pack.size / 1024:.0f} KiB, bundle {pack.bundle_size / 1024:.0f} KiB"
    )
    print(f"render time in the worker (claim to ready, incl. bundle): {render_seconds:.1f} s")
    print(f"worker peak memory (VmHWM): {peak:.0f} MiB (idle worker: {baseline:.0f} MiB)")
    print(f"in-process: gather {t1 - t0:.2f} s, templates {t2 - t1:.2f} s, WeasyPrint alone {t3 - t2:.1f} s "
          f"({pdf.pages} pages, HTML {len(html) / 1024:.0f} KiB)")  # fmt: skip
    print(f"WeasyPrint share of gather + templates + WeasyPrint: {(t3 - t2) / (t3 - t0):.0%}")
    print(f"work folder: {WORK}")


if __name__ == "__main__":
    main()
