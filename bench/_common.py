"""What the scale and load benchmarks share: their own database, settings, and figures.

``setup(url, rebuild=...)`` points Django at the benchmark's database (creating it on
PostgreSQL when missing, dropping it first with ``rebuild``), keeps the benchmark's files
(evidence, the signing key that signed its chain) in a folder of their own, and runs
``django.setup()``. Nothing outside that database and folder is touched.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/aims_scale"


def var_dir_for(url: str) -> Path:
    """The benchmark's own files, next to (never inside) the register's var folder."""
    base = Path(os.environ["AIMS_VAR_DIR"]) if os.environ.get("AIMS_VAR_DIR") else ROOT / "var"
    name = urlsplit(url).path.strip("/") or "sqlite"
    return base / f"bench-{Path(name).stem}"


def _admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True), parts.path.strip("/")


def ensure_database(url: str, *, drop: bool = False) -> None:
    """Create the PostgreSQL database of ``url`` when missing (drop it first with ``drop``)."""
    if not url.startswith(("postgres://", "postgresql://")):
        if drop and url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    connection, name = _admin_connection(url)
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    with connection:
        if drop:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def setup(url: str, *, rebuild: bool = False) -> Path:
    """Use the benchmark database (and its own files folder), then ``django.setup()``; return the folder."""
    var_dir = var_dir_for(url)
    if rebuild and var_dir.exists():
        shutil.rmtree(var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    ensure_database(url, drop=rebuild)
    os.environ.update({"DATABASE_URL": url, "AIMS_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "aims.settings"})
    os.environ.pop("REDIS_URL", None)  # no broker: nothing is queued, caches are local
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return var_dir


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def load() -> str:
    """The machine's load average (1, 5, 15 minutes), printed with each timing: other work shares the cores."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f}"


def peak_memory_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM) in MiB (Linux); 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children_of(pid: int) -> list[int]:
    """The process's child processes (Linux), none when it is gone."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    except OSError:
        pass
    return found
