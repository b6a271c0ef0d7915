"""Settings come from the environment; each case runs in a fresh interpreter with its own variables."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
# Variables that change the settings; cleared so the developer's own environment does not leak in.
SETTINGS_VARIABLES = [
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_SECURE",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_HSTS_SECONDS",
    "CELERY_TASK_TIME_LIMIT",
    "CELERY_TASK_SOFT_TIME_LIMIT",
    "CELERY_TASK_ALWAYS_EAGER",
    "AIMS_PACK_TIME_LIMIT",
    "STATIC_ROOT",
]
OWN_PREFIXES = ("DJANGO_", "AIMS_", "CELERY_")
SHOW = """
import json, django
from django.conf import settings as s
django.setup()
print(json.dumps({
    "SECRET_KEY": s.SECRET_KEY, "DEBUG": s.DEBUG, "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "ENGINE": s.DATABASES["default"]["ENGINE"], "DB_NAME": str(s.DATABASES["default"]["NAME"]),
    "BROKER": s.CELERY_BROKER_URL, "TRANSPORT": s.CELERY_BROKER_TRANSPORT_OPTIONS,
    "HARD": s.CELERY_TASK_TIME_LIMIT, "SOFT": s.CELERY_TASK_SOFT_TIME_LIMIT, "PACK_HARD": s.AIMS_PACK_TIME_LIMIT,
    "CACHE": s.CACHES["default"]["BACKEND"], "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
}))
"""


def _env(var_dir: Path, **overrides: str) -> dict[str, str]:
    # Other tests may leave variables behind: the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE
    # for Playwright, which a deployment never has. Start from none of the project's own.
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES and not k.startswith(OWN_PREFIXES)}
    env.update(DJANGO_SETTINGS_MODULE="aims.settings", AIMS_VAR_DIR=str(var_dir), **overrides)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


def _settings(var_dir: Path, **overrides: str) -> dict:
    result = _run(["-c", SHOW], _env(var_dir, **overrides))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    return _env(
        tmp_path,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_SECURE="1",
        DJANGO_ALLOWED_HOSTS="aims.example.org",
        DJANGO_DEBUG="0",
        AIMS_SIGNING_KEY=_new_signing_key(),
    )


def _new_signing_key() -> str:
    from aims.signing import new_private_key_pem

    return new_private_key_pem().decode()


def test_deploy_check_reports_nothing_with_production_variables(production_env):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_warns_without_production_variables(tmp_path):
    """The check above is not vacuous: the embedded defaults are not a production setup."""
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _env(tmp_path))
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout
    assert "aims.W001" in result.stderr + result.stdout  # the signing key is a file generated on this machine


def test_embedded_defaults_sqlite_filesystem_broker_debug_off(tmp_path):
    values = _settings(tmp_path)
    assert values["DEBUG"] is False
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["DB_NAME"] == str(tmp_path / "aims.sqlite3")
    assert values["BROKER"] == "filesystem://"
    assert values["TRANSPORT"]["data_folder_in"] == str(tmp_path / "broker" / "in")
    assert (tmp_path / "broker" / "in").is_dir() and (tmp_path / "broker" / "processed").is_dir()
    assert "visibility_timeout" not in values["TRANSPORT"]
    assert values["CACHE"].endswith("LocMemCache")
    assert values["SECURE_SSL_REDIRECT"] is False


def test_secret_key_is_generated_once_into_var_dir_and_reused(tmp_path):
    key_file = tmp_path / "secret_key"
    assert not key_file.exists()

    first = _settings(tmp_path)["SECRET_KEY"]
    second = _settings(tmp_path)["SECRET_KEY"]

    assert key_file.read_text().strip() == first == second
    assert len(first) >= 50
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert _settings(tmp_path / "other")["SECRET_KEY"] != first


def test_secret_key_from_environment_wins_and_writes_no_file(tmp_path):
    assert _settings(tmp_path, DJANGO_SECRET_KEY="k" * 60)["SECRET_KEY"] == "k" * 60
    assert not (tmp_path / "secret_key").exists()


def test_database_url_switches_to_postgresql(tmp_path):
    values = _settings(tmp_path, DATABASE_URL="postgres://aims:pw@db.internal:5432/aims_prod")
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["DB_NAME"] == "aims_prod"


def test_redis_url_switches_broker_and_cache_with_visibility_timeout_above_hard_limit(tmp_path):
    values = _settings(tmp_path, REDIS_URL="redis://127.0.0.1:6379/7", CELERY_TASK_TIME_LIMIT="900")
    assert values["BROKER"] == "redis://127.0.0.1:6379/7"
    assert values["CACHE"].endswith("RedisCache")
    assert values["HARD"] == 900
    assert values["TRANSPORT"]["visibility_timeout"] > values["HARD"]
    assert not (tmp_path / "broker").exists()


def test_visibility_timeout_stays_above_a_raised_pack_time_limit(tmp_path):
    values = _settings(tmp_path, REDIS_URL="redis://127.0.0.1:6379/7", AIMS_PACK_TIME_LIMIT="3600")
    assert values["PACK_HARD"] == 3600
    assert values["TRANSPORT"]["visibility_timeout"] > 3600


def test_debug_and_allowed_hosts_come_from_the_environment(tmp_path):
    values = _settings(tmp_path, DJANGO_DEBUG="1", DJANGO_ALLOWED_HOSTS="a.example, b.example")
    assert values["DEBUG"] is True
    assert values["ALLOWED_HOSTS"] == ["a.example", "b.example"]


def test_readme_documents_every_environment_variable_the_settings_read():
    source = (BASE_DIR / "aims" / "settings.py").read_text()
    pattern = r'(?:os\.environ(?:\.get)?\(|os\.environ\[|env_bool\(|env_list\()"([A-Z][A-Z0-9_]+)"|"([A-Z][A-Z0-9_]+)" (?:not )?in os\.environ'
    variables = {a or b for a, b in re.findall(pattern, source)} | {"DATABASE_URL"}  # read by dj_database_url
    assert {"DJANGO_SECRET_KEY", "REDIS_URL", "DJANGO_SECURE"} <= variables
    readme = (BASE_DIR / "README.md").read_text()
    assert sorted(v for v in variables if f"| `{v}` |" not in readme) == []


def test_an_unreadable_signing_key_stops_the_start(tmp_path):
    env = _env(tmp_path, AIMS_SIGNING_KEY="-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    result = _run(["manage.py", "check"], env)
    assert result.returncode != 0 and "aims.E001" in result.stderr + result.stdout
    result = _run(["manage.py", "check"], _env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "signing_key.pem").exists()  # generated once on first use, like the secret key
