"""Schemathesis against the OpenAPI schema, as a compliance officer: no request may get a server error.

The schema is the one the application serves (``/api/schema/``), loaded through its WSGI
application in this process, so requests see the test database. Each operation gets a
bounded number of generated requests with a fixed seed: two in three at the real records of
one management system (with the right ``If-Match``; valid bodies name real related records,
invalid ones are anything the schema rules out), one in three at whatever ids come up. Each
request runs in a savepoint that is rolled back, so every example meets the same records.
Any 5xx fails the test with a ``curl`` command that reproduces it.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from aims.wsgi import application
from tests.api.helpers import one_of_everything
from tests.factories import make_api_token

MAX_EXAMPLES = 20  # per operation: about 2,000 requests in all
SEED = 20260901
PREFIX = "/api/v1/"


def api_schema(token: str) -> Any:
    """The served schema, read with the token (the schema is for signed-in people)."""
    return schemathesis.openapi.from_wsgi("/api/schema/", application, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def wsgi_requests_share_the_test_transaction():
    """Keep the database connection open across the WSGI requests, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _resource(path: str) -> str:
    return path.removeprefix(PREFIX).split("/", 1)[0]


def related_ids(world: Any, rows: dict[str, Any]) -> dict[str, Any]:
    """Real ids for the fields of a body that name another record, so that valid bodies reach the services."""
    return {
        "management_system": world.acme.pk,
        "owner": world.officer.pk,
        "user": world.contributor.pk,
        "ai_system": rows["ai-systems"].pk,
        "ai_systems": [rows["ai-systems"].pk],
        "model_records": [rows["model-records"].pk],
        "dataset_records": [rows["dataset-records"].pk],
        "suppliers": [rows["suppliers"].pk],
        "controls": [rows["controls"].pk],
        "risks": [rows["risks"].pk],
        "criteria": rows["risk-criteria"].pk,
        "supersedes": rows["evidence"].pk,
    }


def _aimed(case: Any, ids: dict[str, Any]) -> Any:
    """The case with the ids in its body replaced by real ones (where the body names any)."""
    if isinstance(case.body, dict):
        case.body = {key: ids.get(key, value) for key, value in case.body.items()}
    return case


def _strategy(operation: Any, rows: dict[str, Any], ids: dict[str, Any], token: str) -> st.SearchStrategy:
    """Requests for one operation: at real records (valid and invalid data) and at any id."""
    auth = {"Authorization": f"Bearer {token}"}
    if "{id}" in operation.path:
        obj = rows[_resource(operation.path)]
        real = {"path_parameters": {"id": obj.pk}, "headers": {**auth, "If-Match": f'"{getattr(obj, "version", 1)}"'}}
    else:
        real = {"headers": auth}
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, **real).map(lambda case: _aimed(case, ids)),
        operation.as_strategy(GenerationMode.NEGATIVE, **real),
        operation.as_strategy(GenerationMode.POSITIVE, headers=auth),
    )


def check_operation(operation: Any, rows: dict[str, Any], ids: dict[str, Any], token: str) -> None:
    """Send the generated requests of one operation; fail (with a curl command to reproduce) on a 5xx."""

    @seed(SEED)
    @settings(
        max_examples=MAX_EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, rows, ids, token))
    def run(case: Any) -> None:
        with transaction.atomic():
            response = case.call()
            case.validate_response(response, checks=[not_a_server_error])
            transaction.set_rollback(True)  # the next example meets the same records

    run()


@pytest.mark.django_db
def test_no_generated_request_gets_a_server_error(world, wsgi_requests_share_the_test_transaction):
    rows = one_of_everything(world)
    token = make_api_token(world.officer, name="schemathesis")
    operations = [result.ok() for result in api_schema(token).get_all_operations()]
    assert len(operations) > 50
    missing = {_resource(op.path) for op in operations if "{id}" in op.path} - set(rows)
    assert not missing, f"no record to aim at for {missing}"

    ids = related_ids(world, rows)
    for operation in operations:
        check_operation(operation, rows, ids, token)
