"""Load benchmark: gunicorn as the README runs it, 20 concurrent clients on the AI system list and its API.

For each configuration (``--configs``, e.g. ``sync:3`` for 3 sync workers, ``gthread:2x4`` for
2 gthread workers of 4 threads, each optionally ``@0`` for ``DATABASE_CONN_MAX_AGE=0``, i.e. a
new database connection per request, and ``+hc`` for ``DATABASE_CONN_HEALTH_CHECKS=1``) it starts
``gunicorn aims.wsgi --workers W [--threads T --worker-class gthread] --timeout 60`` on the
benchmark database (by default the one ``bench/scale.py`` built: its large management system,
else the demo's Acme Health), waits until it answers, then drives ``--clients`` threads with
keep-alive connections for ``--seconds``: half of the requests the AI system list page (a
logged-in officer's session cookie), half the AI systems API list (an API token of the officer).
It prints requests per second, p50 and p95 per URL and overall, and errors, per configuration.

Run: ``.venv/bin/python bench/load.py [--configs sync:2,sync:3,sync:5,gthread:2x4] [--seconds 20]``
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATABASE_URL, ROOT, median, percentile, setup  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    parser.add_argument("--configs", default="sync:2,sync:3,sync:5,gthread:2x4,sync:3@0",
                        help="comma-separated: sync:W, gthread:WxT, each with @MAXAGE and/or +hc")  # fmt: skip
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    parser.add_argument("--port", type=int, default=8765)
    return parser.parse_args()


def parse_config(text: str) -> dict:
    """``gthread:2x4@0+hc`` -> worker class, workers, threads, CONN_MAX_AGE, health checks."""
    health = text.endswith("+hc")
    text = text.removesuffix("+hc")
    text, _, max_age = text.partition("@")
    worker_class, _, size = text.partition(":")
    workers, _, threads = size.partition("x")
    return {
        "label": text + (f" max_age={max_age}" if max_age else " max_age=60") + (" health" if health else ""),
        "class": worker_class,
        "workers": int(workers),
        "threads": int(threads or 1),
        "max_age": max_age or "60",
        "health": health,
    }


def credentials() -> tuple[int, str, str]:
    """(management system id, session cookie, API token) of the officer, on the large management system if built."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from aims import services
    from aims.models import ManagementSystem

    sys.path.insert(0, str(ROOT))
    from tests.kit import log_in

    ms = (
        ManagementSystem.objects.filter(organisation="Scale Org").first()
        or ManagementSystem.objects.filter(name="Acme Health").first()
    )
    if ms is None:
        raise SystemExit("no data: run bench/scale.py first (or manage.py load_demo on this database)")
    officer = get_user_model().objects.get(username="officer")
    client = log_in(Client(), officer)
    _token, raw = services.api_token_create(user=officer, name="bench/load.py", days=1)
    return ms.pk, client.cookies["sessionid"].value, raw


def start_server(config: dict, args: argparse.Namespace, env: dict) -> subprocess.Popen:
    command = [str(ROOT / ".venv/bin/gunicorn"), "aims.wsgi", "--bind", f"127.0.0.1:{args.port}",
               "--workers", str(config["workers"]), "--timeout", "60", "--log-level", "warning"]  # fmt: skip
    if config["class"] == "gthread":
        command += ["--worker-class", "gthread", "--threads", str(config["threads"])]
    server_env = env | {
        "DATABASE_CONN_MAX_AGE": config["max_age"],
        "DATABASE_CONN_HEALTH_CHECKS": "1" if config["health"] else "0",
    }
    process = subprocess.Popen(command, cwd=ROOT, env=server_env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
            connection.request("GET", "/health/live")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_server(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def drive(args: argparse.Namespace, requests: list[tuple[str, str, dict]]) -> dict:
    """``--clients`` threads, each on its own keep-alive connection, alternating the requests."""
    results: dict[str, list[float]] = {name: [] for name, _path, _headers in requests}
    errors: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()
    measure_from = started + args.warmup
    stop_at = measure_from + args.seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        turn = index
        while True:
            now = time.monotonic()
            if now >= stop_at:
                break
            name, path, headers = requests[turn % len(requests)]
            turn += 1
            begun = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                status = type(error).__name__
            took = (time.perf_counter() - begun) * 1000
            if now < measure_from:
                continue
            with lock:
                if status == 200:
                    results[name].append(took)
                else:
                    errors.append(f"{name}: {status}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"results": results, "errors": errors, "seconds": args.seconds}


def main() -> None:
    args = parse_args()
    setup(args.database_url)
    ms_id, session, token = credentials()
    env = os.environ.copy() | {"DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    requests = [
        ("AI system list page", f"/ms/{ms_id}/registers/ai-systems/", {"Cookie": f"sessionid={session}"}),
        ("AI systems API list", f"/api/v1/ai-systems/?management_system={ms_id}",
         {"Authorization": f"Bearer {token}", "Accept": "application/json"}),
    ]  # fmt: skip
    print(f"{args.clients} clients, {args.seconds:g} s each (after {args.warmup:g} s warm-up), "
          f"{os.cpu_count()} CPUs, management system {ms_id}, {args.database_url}")  # fmt: skip
    print(f"{'configuration':<34} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}   per URL p50/p95 ms   errors")
    for text in args.configs.split(","):
        config = parse_config(text.strip())
        process = start_server(config, args, env)
        try:
            run = drive(args, requests)
        finally:
            stop_server(process)
        every = [t for times in run["results"].values() for t in times]
        per_url = "  ".join(f"{median(t):.0f}/{percentile(t, 95):.0f}" for t in run["results"].values())
        print(f"{config['label']:<34} {len(every) / run['seconds']:>7.1f} {median(every):>8.0f} "
              f"{percentile(every, 95):>8.0f}   {per_url:<20} {len(run['errors'])}", flush=True)  # fmt: skip
        if run["errors"]:
            print(f"    first errors: {sorted(set(run['errors']))[:3]}")


if __name__ == "__main__":
    main()
