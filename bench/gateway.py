"""Benchmark: the latency the governed gateway adds to a model call, against calling the provider directly.

In one run: a fresh SQLite database in a temporary folder (nothing in var/ is touched; or
``DATABASE_URL``, then give it an empty database), an AI system in operation whose model routes to
the mock provider, a key and an approved policy that masks e-mail addresses, phone numbers and NHS
numbers. The mock provider (``manage.py gateway_mock_upstream``) and the site (``uvicorn
aims.asgi:application``, one worker) run as their own processes, as in ``make run``. The load is
open-loop at fixed rates (default 100 then 50 requests/s, 5 s each): requests leave on schedule whether or
not earlier ones have answered, each a 1 kB prompt with personal data, first straight to the mock
provider, then through the gateway (which detects, masks, decides, records the call before and
after, and forwards). Prints p50, p99 and throughput of both and the difference, and detection
time per kB in this process. Targets on 2 cores: added p50 <= 5 ms, p99 <= 25 ms at 100
requests/s; detection <= 2 ms per kB. Nothing is asserted.

Run: ``.venv/bin/python bench/gateway.py [--rates 100 50] [--seconds 5] [--workers 1]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.mkdtemp(prefix="aims-bench-gateway-calls-"))
os.environ.update({"AIMS_VAR_DIR": str(WORK), "DJANGO_SETTINGS_MODULE": "aims.settings", "LOG_LEVEL": "WARNING"})
os.environ.pop("REDIS_URL", None)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from aims import services as aims_services  # noqa: E402
from aims.services import register_create  # noqa: E402
from gateway.keys.services import key_create, route_set  # noqa: E402
from gateway.models import PolicyVersion  # noqa: E402
from gateway.pii import redact_messages  # noqa: E402
from registers.models import AISystem, ModelRecord  # noqa: E402
from registers.services import ai_system_create, record_create  # noqa: E402

MODEL = "Triage LLM"
ACTIONS = {"EMAIL_ADDRESS": "mask", "PHONE_NUMBER": "mask", "NHS_NUMBER": "mask", "CREDIT_CARD": "block"}
# About 1 kB: a patient's message with an e-mail address, a phone number and an NHS number.
PROMPT = (
    "Hello, I am writing about my mother's appointment at the cardiology clinic next Tuesday. She has been "
    "more breathless on the stairs this week and her ankles are swollen in the evenings, which worries us. "
    "Her NHS number is 943 476 5919 and the letter we received asked us to confirm the time by replying to "
    "this portal. Could someone please call me back on 07700 900123 before Monday, or write to me at "
    "sam.patel@example.co.uk, as I will be driving her there and need to arrange time off work. She also "
    "asked whether she should keep taking her water tablets on the morning of the appointment, and whether "
    "she needs to bring the results of the blood test her GP did last month. We would be grateful for any "
    "advice on parking near the outpatients entrance, since she cannot walk far. Many thanks for your help, "
    "and sorry for the long message; we just want to make sure nothing is missed before the visit. Sam."
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start")


def set_up(upstream: str) -> str:
    """An AI system routed to the mock provider, with a key and an approved policy; return the key."""
    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("owner", "owner@bench.example")
    ms = aims_services.management_system_create(
        user=owner, organisation="Bench Health", name="Bench AIMS", scope_statement="Every AI system."
    )
    model = record_create(ModelRecord, management_system=ms, user=owner, name=MODEL, provider="Bench")
    system = ai_system_create(
        management_system=ms, user=owner, name="Triage", purpose="Answers patients.",
        lifecycle_stage=AISystem.LifecycleStage.OPERATION, model_records=[model],
    )  # fmt: skip
    route_set(model_record=model, user=owner, base_url=upstream, upstream_model="mock-gpt", credential_env="")
    register_create(
        PolicyVersion, management_system=ms, user=owner, reason="Bench policy", number=1,
        status=PolicyVersion.Status.APPROVED, approved_at=timezone.now(), approved_by=owner,
        entity_actions=ACTIONS, require_impact_assessment=False,
    )  # fmt: skip
    return key_create(ai_system=system, user=owner, name="Bench")[1]


async def load(url: str, headers: dict[str, str], model: str, *, rate: float, seconds: float) -> tuple[list, float]:
    """Send requests open-loop at ``rate`` per second; return the latencies (s) and the wall time."""
    body = {"model": model, "messages": [{"role": "user", "content": PROMPT}]}
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        for _ in range(10):  # warm up: connections, the analyzer, the policy cache
            await client.post(url, json=body, headers=headers)

        async def one() -> None:
            nonlocal failures
            started = time.perf_counter()
            try:
                response = await client.post(url, json=body, headers=headers)
            except httpx.TransportError:  # counted, not measured: a run reports how many failed
                failures += 1
                return
            if response.status_code != 200:
                failures += 1
            latencies.append(time.perf_counter() - started)

        tasks, count = [], int(rate * seconds)
        start = time.perf_counter()
        for n in range(count):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    if failures:
        print(f"  {failures} requests failed")
    return latencies, wall


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1] * 1000


def report(name: str, latencies: list[float], wall: float) -> tuple[float, float]:
    p50, p99 = quantile(latencies, 0.50), quantile(latencies, 0.99)
    print(f"{name:<10} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   throughput {len(latencies) / wall:6.1f} req/s")
    return p50, p99


def detection_ms_per_kb() -> float:
    messages = [{"role": "user", "content": PROMPT}]
    redact_messages(messages, ACTIONS)
    runs = []
    for _ in range(50):
        started = time.perf_counter()
        redact_messages(messages, ACTIONS)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1000 / (len(PROMPT.encode()) / 1024)


# The mock provider as its own process. Its handler turns Nagle's algorithm off, as a real provider's server
# does: otherwise a response written in two pieces (headers, then body) waits for the client's delayed ACK,
# and "direct" calls take 40 ms of nothing (a quirk of http.server, not of the gateway).
MOCK = (
    "import sys, django; django.setup(); "
    "from gateway.mock_upstream import Handler; Handler.disable_nagle_algorithm = True; "
    "from django.core.management import call_command; "
    "call_command('gateway_mock_upstream', host='127.0.0.1', port=int(sys.argv[1]), quiet=True)"
)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux), or 0 where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(url: str, headers: dict[str, str], model: str, *, rate: float, seconds: float, pid: int) -> tuple:
    """One open-loop run: latencies, wall time and the server's CPU milliseconds per request."""
    before = cpu_seconds(pid)
    latencies, wall = asyncio.run(load(url, headers, model, rate=rate, seconds=seconds))
    return latencies, wall, (cpu_seconds(pid) - before) * 1000 / (len(latencies) + 10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--rates", type=float, nargs="+", default=[100.0, 50.0], help="requests per second (default 100 50)"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each run (default 5)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    args = parser.parse_args()
    mock_port, site_port = free_port(), free_port()
    upstream = f"http://127.0.0.1:{mock_port}/v1"
    key = set_up(upstream)
    connection.close()  # the servers open their own
    env = {**os.environ, "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60")}
    server = [sys.executable, "-m", "uvicorn", "aims.asgi:application", "--host", "127.0.0.1", "--port",
              str(site_port), "--log-level", "warning", "--no-access-log", "--lifespan", "off",
              # longer than a run: uvicorn's default 5 s closes idle keep-alive connections that the
              # client may be reusing at that very moment (a ReadError that is no fault of the gateway)
              "--timeout-keep-alive", "60"]  # fmt: skip
    if args.workers > 1:
        server += ["--workers", str(args.workers)]
    processes = [
        subprocess.Popen([sys.executable, "-c", MOCK, str(mock_port)], cwd=ROOT, env=env),
        subprocess.Popen(server, cwd=ROOT, env=env),
    ]
    site = processes[1].pid
    gateway_url = f"http://127.0.0.1:{site_port}/gateway/v1/chat/completions"
    try:
        wait_for(f"{upstream}/models")
        wait_for(f"http://127.0.0.1:{site_port}/gateway/v1/models")
        print(f"database: {connection.vendor}; prompt {len(PROMPT.encode())} bytes; {os.cpu_count()} cores; "
              f"load average {' '.join(f'{n:.2f}' for n in os.getloadavg())}; {args.seconds:g} s per run; "
              f"uvicorn workers {args.workers}")  # fmt: skip
        for rate in args.rates:
            direct = measure(f"{upstream}/chat/completions", {}, "mock-gpt", rate=rate, seconds=args.seconds, pid=0)
            through = measure(gateway_url, {"Authorization": f"Bearer {key}"}, MODEL, rate=rate,
                              seconds=args.seconds, pid=site)  # fmt: skip
            print(f"-- {rate:g} requests/s")
            d50, d99 = report("direct", *direct[:2])
            g50, g99 = report("gateway", *through[:2])
            cpu = f"; gateway CPU {through[2]:.1f} ms per call" if args.workers == 1 and through[2] else ""
            print(f"added      p50 {g50 - d50:6.2f} ms   p99 {g99 - d99:6.2f} ms   (targets: <= 5 ms, <= 25 ms){cpu}")
        print(f"detection  {detection_ms_per_kb():.2f} ms per kB (target: <= 2 ms per kB)")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
