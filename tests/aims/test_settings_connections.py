"""Database connection settings for serving under load (README "Serving under load")."""

from __future__ import annotations

import json

from tests.aims.test_settings import _env, _run

SHOW_CONNECTIONS = """
import json, django
from django.conf import settings as s
django.setup()
db = s.DATABASES["default"]
print(json.dumps({"max_age": db["CONN_MAX_AGE"], "health": db["CONN_HEALTH_CHECKS"]}))
"""


def _connections(tmp_path, **overrides: str) -> dict:
    env = _env(tmp_path, **overrides)
    env.pop("DATABASE_CONN_MAX_AGE", None) if "DATABASE_CONN_MAX_AGE" not in overrides else None
    env.pop("DATABASE_CONN_HEALTH_CHECKS", None) if "DATABASE_CONN_HEALTH_CHECKS" not in overrides else None
    result = _run(["-c", SHOW_CONNECTIONS], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_connections_are_kept_a_minute_and_not_checked_by_default(tmp_path):
    assert _connections(tmp_path) == {"max_age": 60, "health": False}


def test_the_environment_sets_connection_age_and_health_checks(tmp_path):
    found = _connections(tmp_path, DATABASE_CONN_MAX_AGE="0", DATABASE_CONN_HEALTH_CHECKS="1")
    assert found == {"max_age": 0, "health": True}
