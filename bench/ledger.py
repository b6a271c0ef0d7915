"""Benchmark: verification rates of the ledgers, in records per second (nothing asserted).

Builds, on the configured database, N gateway events (``--events``, env ``BENCH_EVENTS``,
default 100,000; over ``--chains`` AI systems) and N sign-offs (``--signoffs``, env
``BENCH_SIGNOFFS``, default 10,000) in each canonical format: one management system whose
sign-offs are in format 6 (each digest covers the signed versions' data) and one in format 7
(each signed version hashed once, the digest covering those hashes). Sign-offs sign one history
row each, and every 25th signs 38 rows, like the SoA. Rows are written in bulk with digests and
signatures computed by ``aims.chain`` and ``aims.ledger`` (the same as appending one by one).
Then it verifies each and prints records per second: gateway events (``gateway.ledger.verify``,
streaming), sign-offs (``aims.ledger.verify``: digests, links, Ed25519 signatures and anchors),
separately how much of that the Ed25519 signature checks alone take, and sign-offs again after
a background check remembered the signatures it verified. Rates are printed by wall time and by
this process's CPU time (what one core did; on a busy machine the wall time says little), and on a
PostgreSQL server on this machine also with its backend's CPU time added (what both processes did).

Without ``DATABASE_URL`` it uses a fresh SQLite database in a temporary folder; with it, give an
empty database. ``--verify-only`` verifies what an earlier run built in that database (to time
another checkout's code on the same rows: ``AIMS_BENCH_ROOT=/path/to/checkout``).

Run: ``.venv/bin/python bench/ledger.py [--events 100000] [--signoffs 10000]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(os.environ.get("AIMS_BENCH_ROOT") or Path(__file__).resolve().parents[1])
WORK = Path(tempfile.mkdtemp(prefix="aims-bench-ledger-"))
os.environ.update(
    {"AIMS_VAR_DIR": os.environ.get("AIMS_VAR_DIR") or str(WORK), "DJANGO_SETTINGS_MODULE": "aims.settings"}
)
os.environ.pop("REDIS_URL", None)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from aims import chain, ledger, signing  # noqa: E402
from aims import services as aims_services  # noqa: E402
from aims.models import ManagementSystem, SignOff  # noqa: E402
from gateway import ledger as gateway_ledger  # noqa: E402
from gateway.models import GatewayEvent  # noqa: E402
from registers.models import AISystem  # noqa: E402
from registers.services import ai_system_create  # noqa: E402

BATCH = 5000
NAMES = {6: "Bench AIMS format 6", 7: "Bench AIMS format 7"}


def build_events(ms: ManagementSystem, systems: list[AISystem], total: int) -> None:
    spec, start = gateway_ledger.EVENTS, datetime(2026, 1, 1, tzinfo=UTC)
    heads = {system.pk: (0, chain.GENESIS_DIGEST) for system in systems}
    batch = []
    for n in range(total):
        system = systems[n % len(systems)]
        sequence, previous = heads[system.pk][0] + 1, heads[system.pk][1]
        values = {name: None for name in spec.fields} | {
            "management_system_id": ms.pk, "occurred_at": start + timedelta(seconds=n, microseconds=n % 997),
            "type": "call", "key_id": 1 + n % 5, "model_requested": "gpt-4o-mini", "model_served": "gpt-4o-mini",
            "decision": ("allow", "redact", "block")[n % 3], "policy_version": f"policy@{1 + n % 4}",
            "entity_counts": {"EMAIL_ADDRESS": n % 3, "PERSON": n % 2} if n % 4 else {},
            "latency_ms": 100 + n % 900, "tokens_in": n % 2000, "tokens_out": n % 700, "tool": "", "connector": "",
            "subject": "", "detail": "", "request_sha256": f"{n:064x}", "response_sha256": f"{n * 7:064x}",
        }  # fmt: skip
        digest = chain.entry_digest(chain._payload(spec, {"ai_system_id": system.pk}, sequence, previous, values))
        batch.append(
            GatewayEvent(ai_system_id=system.pk, sequence=sequence, previous_digest=previous, digest=digest, **values)
        )
        heads[system.pk] = (sequence, digest)
        if len(batch) == BATCH:
            GatewayEvent.objects.bulk_create(batch)
            batch = []
    GatewayEvent.objects.bulk_create(batch)


def build_signoffs(ms: ManagementSystem, owner, systems: list[AISystem], total: int, canonical_format: int) -> None:
    label = AISystem._meta.label_lower
    rows = list(AISystem.history.filter(id__in=[s.pk for s in systems]).values_list("history_id", flat=True))
    loaded = ledger.load_versions((label, history_id) for history_id in rows)
    subject_type = ContentType.objects.get_for_model(AISystem)
    previous, start, batch = ledger.GENESIS_DIGEST, datetime(2026, 2, 1, tzinfo=UTC), []
    for n in range(total):
        keys = [(label, h) for h in (rows[:38] if n % 25 == 0 else [rows[n % len(rows)]])]
        signoff = SignOff(
            management_system=ms, sequence=n + 1, previous_digest=previous, kind="bench", subject_type=subject_type,
            subject_id=systems[n % len(systems)].pk, versions=[list(k) for k in keys], signer=owner,
            signer_role="owner", signer_title="Chief AI officer", statement=f"Approved {n}.",
            signed_at=start + timedelta(minutes=n), canonical_format=canonical_format, verification="totp",
        )  # fmt: skip
        signoff.digest = ledger.digest_of(ledger.signed_payload(signoff, [loaded[k] for k in keys]))
        signoff.signature = signing.sign_digest(signoff.digest)
        batch.append(signoff)
        previous = signoff.digest
        if len(batch) == BATCH:
            SignOff.objects.bulk_create(batch)
            batch = []
    SignOff.objects.bulk_create(batch)


def build(events: int, signoffs: int, chains: int) -> None:
    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("owner", "owner@bench.example")
    for canonical_format, name in NAMES.items():
        ms = aims_services.management_system_create(
            user=owner, organisation="Bench Health", name=name, scope_statement="Every AI system."
        )
        systems = [
            ai_system_create(management_system=ms, user=owner, name=f"System {i}", purpose="Answers questions.")
            for i in range(max(chains, 40))
        ]
        started = time.perf_counter()
        with transaction.atomic():
            if canonical_format == 7:
                build_events(ms, systems[:chains], events)
            build_signoffs(ms, owner, systems, signoffs, canonical_format)
        print(f"built format {canonical_format} in {time.perf_counter() - started:.1f}s")


def rate(count: int, seconds: float, cpu: float | None = None, backend: float | None = None) -> str:
    text = f"{count:,} in {seconds:.2f}s = {count / seconds:,.0f} records/s"
    if cpu is not None:  # this process's CPU time: what one core did, whatever else the machine runs
        text += f" (CPU {cpu:.2f}s = {count / max(cpu, 1e-9):,.0f} records/s of CPU"
        if backend is not None:  # and the PostgreSQL backend serving it, when it runs on this machine
            both = cpu + backend
            text += f"; with the database backend's {backend:.2f}s, {count / max(both, 1e-9):,.0f} records/s"
        text += ")"
    return text


def backend_cpu() -> float | None:
    """CPU seconds the PostgreSQL backend of this connection has used, if it runs on this machine (else None)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class Timer:
    def __enter__(self) -> Timer:
        self.backend = backend_cpu()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        after = backend_cpu()
        self.backend = after - self.backend if after is not None and self.backend is not None else None


def verify(repeat: bool) -> None:
    print(f"database: {connection.vendor}; code: {ROOT}")
    for canonical_format, name in NAMES.items():
        ms = ManagementSystem.objects.get(name=name)
        if GatewayEvent.objects.filter(management_system=ms).exists():
            with Timer() as timer:
                result = gateway_ledger.verify(ms)
            print(f"gateway events: {rate(result.checked, timer.wall, timer.cpu, timer.backend)}, ok={result.ok}")
        with Timer() as timer:
            result = ledger.verify(ms)
        print(
            f"sign-offs, format {canonical_format}: {rate(result['checked'], timer.wall, timer.cpu, timer.backend)}, "
            f"ok={result['ok']}"
        )
        pairs = list(SignOff.objects.filter(management_system=ms).values_list("digest", "signature"))
        with Timer() as signatures:
            for digest, signature in pairs:
                signing.verify_digest(digest, signature)
        rest = (
            rate(result["checked"], timer.wall - signatures.wall, timer.cpu - signatures.cpu)
            if timer.cpu > signatures.cpu and timer.wall > signatures.wall
            else "less than that: an earlier check's signatures were remembered"
        )
        print(
            f"  verifying every signature alone takes {signatures.wall:.2f}s (CPU {signatures.cpu:.2f}s); the rest: {rest}"
        )
        if repeat and hasattr(ledger, "check_run"):
            from aims.models import LedgerCheck

            ledger.check_run(LedgerCheck.objects.create(management_system=ms))  # remembers the signatures it verified
            with Timer() as timer:
                result = ledger.verify(ms)
            print(
                f"  again after a background check (signatures remembered under its MAC): "
                f"{rate(result['checked'], timer.wall, timer.cpu, timer.backend)}, ok={result['ok']}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", "100000")))
    parser.add_argument("--signoffs", type=int, default=int(os.environ.get("BENCH_SIGNOFFS", "10000")))
    parser.add_argument("--chains", type=int, default=10, help="AI systems the events are spread over.")
    parser.add_argument("--verify-only", action="store_true")
    parser.add_argument("--no-repeat", action="store_true", help="Do not run a check and verify again.")
    args = parser.parse_args()
    if not args.verify_only:
        build(args.events, args.signoffs, args.chains)
    verify(repeat=not args.no_repeat)


if __name__ == "__main__":
    main()
