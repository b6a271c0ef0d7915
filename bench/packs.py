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

Then, for each data size asked (``--scales 1,2,4``: 1x is the management system above, 2x and
4x have twice and four times its AI systems, risks and evidence), it compares on the same
pack HTML:

- one WeasyPrint process on the whole pack (``html_to_pdf(render_pack_html(data))``, in one
  fresh render process): time, its CPU time and that process's peak RSS,
- the pack rendered in parts as the first pack of its kind (``parts_to_pdf`` with an empty
  section cache: sections in a pool of render processes, the contents, the stamped running
  headers, the join): time, CPU time of the render processes and of this process, the largest
  peak RSS of its render processes and this process's, the time of each step, and the ratio
  to the single process,
- section reuse: the same kind of pack asked for again three minutes later with nothing
  changed (gather, templates and render, both), the ratio to the first and what was rendered.

Every timing is printed with the load average: the cores may be shared with other work.

The real-worker run is done at 1x only, and only with ``--worker``.

Run: ``.venv/bin/python bench/packs.py [--scales 1,2,4] [--worker]`` (several minutes on two cores).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# AIMS_BENCH_PACKS_WORK: the work folder of an earlier run, to measure again on the data it built.
WORK = Path(os.environ.get("AIMS_BENCH_PACKS_WORK") or tempfile.mkdtemp(prefix="aims-bench-packs-"))
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402

from _common import children_of, load, peak_memory_mb  # noqa: E402
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
from packs import gather, parallel, render  # noqa: E402
from packs.models import AuditPack  # noqa: E402
from packs.services import ledger_head, pack_request  # noqa: E402
from registers.services import ai_system_create  # noqa: E402

SYSTEMS, RISKS, EVIDENCE = 100, 500, 300


def build(scale: int = 1):
    """Create a management system (``scale`` times the 1x registers) through the services."""
    from django.contrib.auth import get_user_model

    users = {
        name: get_user_model().objects.create_user(f"{name}{scale}", f"{name}{scale}@bench.example")
        for name in ("owner", "officer", "auditor")
    }
    n_systems, n_risks, n_evidence = SYSTEMS * scale, RISKS * scale, EVIDENCE * scale
    ms = aims_services.management_system_create(
        user=users["owner"],
        organisation="Bench Health",
        name=f"Bench AIMS {scale}x",
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
        for n in range(n_systems)
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
            ai_systems=[systems[n % n_systems]],
        )  # fmt: skip
        for n in range(n_risks)
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
    for n in range(n_evidence):
        evidence_create(
            management_system=ms, user=officer, title=f"Evidence {n:03d}", evidence_date=timezone.localdate(),
            upload=SimpleUploadedFile(f"evidence-{n:03d}.pdf", pdf),
            links={"ai_systems": [systems[n % n_systems]], "risks": [risks[n % n_risks]], "soa_rows": [rows[n % len(rows)]]},
        )  # fmt: skip
    return ms, users


def built(scale: int):
    """The management system of that scale built by an earlier run in the same work folder, if any."""
    from django.contrib.auth import get_user_model

    from aims.models import ManagementSystem

    ms = ManagementSystem.objects.filter(name=f"Bench AIMS {scale}x").first()
    if ms is None:
        return None
    users = {name: get_user_model().objects.get(username=f"{name}{scale}") for name in ("owner", "officer", "auditor")}
    return ms, users


def start_worker() -> subprocess.Popen:
    log = open(WORK / "worker.log", "wb")  # noqa: SIM115
    celery = str(Path(sys.executable).with_name("celery"))
    command = [celery, "-A", "aims", "worker", "--pool=solo", "-Q", "bench-packs", "--loglevel=WARNING",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)


def worker_run(ms, users) -> None:
    """The pack requested through the service and rendered by a real worker (with its render processes)."""
    worker = start_worker()
    children_peak = 0.0
    try:
        time.sleep(1)
        baseline = peak_memory_mb(worker.pid)
        pack = pack_request(management_system=ms, user=users["auditor"], kind=AuditPack.Kind.FULL)
        deadline = time.monotonic() + 900
        while pack.status not in ("ready", "failed") and time.monotonic() < deadline:
            time.sleep(0.5)
            for child in children_of(worker.pid):
                children_peak = max(children_peak, peak_memory_mb(child))
            pack.refresh_from_db()
        peak = peak_memory_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    if pack.status != "ready":
        sys.exit(f"pack not ready: {pack.status} {pack.failure_reason}; see {WORK / 'worker.log'}")
    render_seconds = (pack.finished_at - pack.started_at).total_seconds()
    print(
        f"real worker, full pack #{pack.pk}: {pack.pages} pages, PDF {pack.size / 1024:.0f} KiB, "
        f"bundle {pack.bundle_size / 1024:.0f} KiB"
    )
    print(f"  render time in the worker (claim to ready, incl. bundle): {render_seconds:.1f} s")
    print(f"  worker peak memory (VmHWM): {peak:.0f} MiB (idle worker: {baseline:.0f} MiB); "
          f"its render processes' peak: {children_peak:.0f} MiB")  # fmt: skip


def new_pack(ms, users, as_of=None) -> AuditPack:
    return AuditPack.objects.create(
        management_system=ms, kind=AuditPack.Kind.FULL, as_of=as_of or timezone.now(), requested_by=users["auditor"]
    )


def gathered(pack):
    data = gather.gather_pack(pack)
    data.parts["ledger"] = ledger_head(pack.management_system, pack.as_of)
    return data


def phases() -> str:
    """Where the last ``parts_to_pdf`` spent its time (sections, contents and running headers, join)."""
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in parallel.STATS.phases.items())


def fresh_pool(size: int) -> parallel.RenderPool:
    """A pool whose processes have started and rendered a page (their start is not timed)."""
    pool = parallel.RenderPool(size)
    pool.map([parallel.Job(render._document_html("warm-up", f"<p>{n}</p>")) for n in range(size)])
    return pool


def compare(ms, users, scale: int) -> None:
    from django.conf import settings

    pack = new_pack(ms, users)
    t0_gather = time.perf_counter()
    data = gathered(pack)
    t1 = time.perf_counter()
    html = render.render_pack_html(data)
    t2 = time.perf_counter()
    parts = render.render_pack_parts(data)
    documents = sum(len(p.split()) for p in parts.sections)  # split into documents, as a first pack is
    t3 = time.perf_counter()
    print(f"{scale}x: gather {t1 - t0_gather:.2f} s, templates: whole pack {t2 - t1:.2f} s, in parts and split {t3 - t2:.2f} s "
          f"(HTML {len(html) / 1024:.0f} KiB; {len(parts.sections)} sections in {documents} documents)")  # fmt: skip

    single = fresh_pool(1)
    t0 = time.perf_counter()
    (reply,) = single.map([parallel.Job(html)])
    single_seconds = time.perf_counter() - t0
    single.close()
    single_peak = reply["peak_kib"] / 1024
    print(f"  one WeasyPrint process, whole HTML: {single_seconds:.1f} s ({reply['cpu_seconds']:.1f} s of CPU), "
          f"{reply['pages']} pages, peak RSS {single_peak:.0f} MiB ({load()})")  # fmt: skip

    # The first pack of its kind, rendered in parts with an empty section cache (it fills it).
    settings.AIMS_PACK_SECTION_CACHE = True
    shutil.rmtree(Path(settings.MEDIA_ROOT) / parallel.CACHE_FOLDER, ignore_errors=True)
    parallel.shutdown_pool()
    size = parallel.pool_size()
    parallel._POOL = fresh_pool(size)
    parallel.STATS.peak_child_kib = 0
    reset_peak_memory()
    child_cpu, own_cpu = parallel.STATS.cpu_seconds, time.process_time()
    t0 = time.perf_counter()
    pdf = render.parts_to_pdf(parts)
    parallel_seconds = time.perf_counter() - t0
    child_cpu, own_cpu = parallel.STATS.cpu_seconds - child_cpu, time.process_time() - own_cpu
    print(f"  in parts, {size} render processes: {parallel_seconds:.1f} s ({parallel_seconds / single_seconds:.2f}x), "
          f"{pdf.pages} pages; CPU: render processes {child_cpu:.1f} s, this process {own_cpu:.1f} s; peak RSS: "
          f"largest render process {parallel.STATS.peak_child_kib / 1024:.0f} MiB, "
          f"this process {peak_memory_mb(os.getpid()):.0f} MiB ({load()})")  # fmt: skip
    print(f"    phases: {phases()}")

    # The same kind of pack asked for again minutes later, nothing changed: gather, templates and render.
    first_seconds = (t1 - t0_gather) + (t3 - t2) + parallel_seconds
    renders = parallel.STATS.renders
    repeat = new_pack(ms, users, as_of=pack.as_of + timedelta(minutes=3))
    t0 = time.perf_counter()
    render.parts_to_pdf(render.render_pack_parts(gathered(repeat)))
    repeat_seconds = time.perf_counter() - t0
    print(f"  section reuse: first pack {first_seconds:.1f} s (gather, templates, render), the same pack again "
          f"{repeat_seconds:.1f} s ({repeat_seconds / first_seconds:.0%}), "
          f"{parallel.STATS.renders - renders} documents rendered again "
          f"({', '.join(parallel.STATS.labels[renders:])}) ({load()})")  # fmt: skip
    print(f"    phases of the repeated pack: {phases()}")


def reset_peak_memory() -> None:
    """Start this process's peak RSS (VmHWM) again from its current RSS (Linux), so building is not counted."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,2,4", help="data sizes to compare, e.g. 1,2,4")
    parser.add_argument("--worker", action="store_true", help="also render the 1x pack with a real Celery worker")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    for scale in (int(s) for s in args.scales.split(",")):
        started = time.perf_counter()
        ms, users = built(scale) or build(scale)
        print(f"built {scale}x: {SYSTEMS * scale} AI systems, {RISKS * scale} risks, 38 SoA rows, "
              f"{EVIDENCE * scale} evidence files in {time.perf_counter() - started:.1f} s")  # fmt: skip
        if args.worker and scale == 1:
            worker_run(ms, users)
        compare(ms, users, scale)
    parallel.shutdown_pool()
    print(f"work folder: {WORK}")


if __name__ == "__main__":
    main()
