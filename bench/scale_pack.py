"""Benchmark: the large organisation's own audit packs, rendered by a real Celery worker.

Uses the database ``bench/scale.py`` builds (run it first, ``--build-only`` is enough; the same
``--database-url``, default ``postgres://postgres@127.0.0.1:5432/aims_scale``), starts a real
``celery -A aims worker`` (prefork, one child: the time limits are enforced as in production) on
a queue of its own, a fresh one for each pack, and requests through ``pack_request`` as the auditor, one after the other:

1. the full pack of Scale Org (every section, 1,000 AI systems, 5,100 risks),
2. a pack scoped to ``--systems`` of its AI systems (what an auditor samples),
3. the full pack again with nothing changed (its sections come from the section cache).

The section cache is emptied first (``--keep-cache`` keeps it), so the first pack renders every section.

For each it prints the status (a render over ``AIMS_PACK_SOFT_TIME_LIMIT`` fails), the pages,
the sizes of the PDF and of the evidence bundle, the time from the worker claiming it to ready,
and the peak memory (VmHWM, sampled twice a second) of the worker's child that renders and of
the largest of its render processes, with the load average: the cores may be shared.

Run: ``.venv/bin/python bench/scale_pack.py [--systems 10] [--skip-full]`` (about ten minutes
on two cores at factor 1).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATABASE_URL, ROOT, children_of, load, peak_memory_mb, setup  # noqa: E402

QUEUE = "bench-scale-packs"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    parser.add_argument("--factor", type=float, default=1.0, help="the factor bench/scale.py built at")
    parser.add_argument("--systems", type=int, default=10, help="AI systems of the scoped pack")
    parser.add_argument("--skip-full", action="store_true", help="only the scoped pack")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds to wait for one pack")
    parser.add_argument(
        "--keep-cache", action="store_true", help="keep the sections earlier packs rendered (default: a first pack)"
    )
    return parser.parse_args()


def start_worker(var_dir: Path) -> subprocess.Popen:
    celery = str(Path(sys.executable).with_name("celery"))
    command = [celery, "-A", "aims", "worker", "--pool=prefork", "--concurrency=1", "-Q", QUEUE,
               "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    log = open(var_dir / "scale-pack-worker.log", "wb")  # noqa: SIM115
    return subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)


def wait_for(pack, worker: subprocess.Popen, timeout: float) -> dict:
    """Poll the pack until it is ready or failed, sampling the memory of the worker's descendants."""
    child_peak: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while pack.status not in ("ready", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        for child in children_of(worker.pid):  # the prefork child that renders
            child_peak[child] = max(child_peak.get(child, 0.0), peak_memory_mb(child))
            for grandchild in children_of(child):  # its render processes
                child_peak[-grandchild] = max(child_peak.get(-grandchild, 0.0), peak_memory_mb(grandchild))
        pack.refresh_from_db()
    renderers = [mib for pid, mib in child_peak.items() if pid < 0]
    return {
        "worker_child": max((mib for pid, mib in child_peak.items() if pid > 0), default=0.0),
        "render_process": max(renderers, default=0.0),
        "render_processes": len(renderers),
    }


def report(title: str, pack, memory: dict) -> None:
    seconds = (pack.finished_at - pack.started_at).total_seconds() if pack.finished_at and pack.started_at else None
    print(f"{title}: pack #{pack.pk} {pack.status}" + (f" ({pack.failure_reason})" if pack.failure_reason else ""))
    if pack.status == "ready":
        print(f"  {pack.pages:,} pages, PDF {pack.size / 1024:,.0f} KiB, bundle {pack.bundle_size / 1024:,.0f} KiB; "
              f"claimed to ready {seconds:.1f} s")  # fmt: skip
    print(
        f"  peak memory: worker child {memory['worker_child']:.0f} MiB, largest render process "
        f"{memory['render_process']:.0f} MiB ({memory['render_processes']} render processes seen) ({load()})"
    )


def main() -> None:
    args = parse_args()
    os.environ["AIMS_PACK_QUEUE"] = QUEUE  # this process and the worker (which inherits the environment)
    var_dir = setup(args.database_url)
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from packs.models import AuditPack
    from packs.parallel import CACHE_FOLDER
    from packs.services import pack_request
    from registers.models import AISystem

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from scale import scale_management_system

    ms = scale_management_system(args.factor)
    if ms is None:
        raise SystemExit(f"no Scale Org at factor {args.factor:g} in {args.database_url}: run bench/scale.py first")
    auditor = get_user_model().objects.get(username="auditor")
    print(
        f"{ms.name}; render processes per worker {settings.AIMS_PACK_RENDER_PROCESSES}, soft time limit "
        f"{settings.AIMS_PACK_SOFT_TIME_LIMIT} s, section cache {settings.AIMS_PACK_SECTION_CACHE} ({load()})"
    )
    systems = list(
        AISystem.objects.filter(management_system=ms).order_by("reference").values_list("reference", flat=True)
    )[: args.systems]
    if not args.keep_cache:  # the first pack of its kind: every section rendered
        shutil.rmtree(Path(settings.MEDIA_ROOT) / CACHE_FOLDER, ignore_errors=True)
    asks = [] if args.skip_full else [("full pack", None)]
    asks.append((f"pack scoped to {len(systems)} AI systems", {"ai_systems": systems}))
    if not args.skip_full:
        asks.append(("full pack again, nothing changed", None))
    for title, scope in asks:
        worker = start_worker(var_dir)  # a worker per pack: each peak is that pack's
        try:
            time.sleep(3)
            pack = pack_request(management_system=ms, user=auditor, kind=AuditPack.Kind.FULL, scope=scope)
            memory = wait_for(pack, worker, args.timeout)
            report(title, pack, memory)
        finally:
            worker.terminate()
            worker.wait(timeout=60)


if __name__ == "__main__":
    main()
