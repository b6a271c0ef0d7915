"""Pages of objectives and metrics: who may read and write (persona x action, other AIMS = 404), the
one-step nonconformity, recording and correcting, and query counts of the lists."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from governance.models import Measurement, Metric, Objective, ObjectiveNonconformity
from tests.governance.objectives_helpers import make_objective, months_back, record
from tests.kit import PERSONAS, SYSTEMS, assert_constant_queries, get_ok, matrix, standing

pytestmark = pytest.mark.django_db

READ = {
    "owner": 200, "officer": 200, "leader": 200, "contributor": 200, "auditor": 200,
    "expired_auditor": 404, "outsider": 404, "anonymous": 302,
}  # fmt: skip
assert set(PERSONAS) <= set(READ)
WRITE = {**READ, "leader": 403, "contributor": 403, "auditor": 403, "owner": 302, "officer": 302}
FORM = {**WRITE, "owner": 200, "officer": 200}


def make_records(world: Any) -> dict[str, Any]:
    mine = make_objective(world.acme, world.officer)
    rows = record(mine.metric, world.officer, "96", "90")
    theirs = make_objective(world.northwind, world.outsider)
    their_rows = record(theirs.metric, world.outsider, "96")
    return {"mine": mine, "rows": rows, "theirs": theirs, "their_rows": their_rows}


@pytest.fixture
def records(world):
    return make_records(world)


def _urls(world: Any, records: dict[str, Any], where: str) -> dict[str, str]:
    ms = world.acme if where == "acme" else world.northwind
    objective = records["mine" if where == "acme" else "theirs"]
    args = [ms.pk, objective.pk]
    metric = [ms.pk, objective.metric_id]
    return {
        "objectives": reverse("governance:objective_list", args=[ms.pk]),
        "objective": reverse("governance:objective_detail", args=args),
        "objective history": reverse("governance:objective_history", args=args),
        "metrics": reverse("governance:metric_list", args=[ms.pk]),
        "metric": reverse("governance:metric_detail", args=metric),
        "metric history": reverse("governance:metric_history", args=metric),
    }


def test_reading_pages(world, client_as, records):
    """Every persona in each management system (one world for the whole matrix: reads change nothing)."""
    for persona in READ:
        client = client_as(persona)
        for where in SYSTEMS:
            expected = READ[standing(persona, where)]
            for name, url in _urls(world, records, where).items():
                assert client.get(url).status_code == expected, (persona, where, name)


def test_form_pages(world, client_as, records):
    for persona, expected in FORM.items():
        _check_forms(world, client_as(persona), records, persona, expected)


def _check_forms(world: Any, client: Any, records: dict[str, Any], persona: str, expected: int) -> None:
    ms, objective, row = world.acme.pk, records["mine"], records["rows"][-1]
    urls = [
        reverse("governance:objective_create", args=[ms]),
        reverse("governance:objective_edit", args=[ms, objective.pk]),
        reverse("governance:objective_withdraw", args=[ms, objective.pk]),
        reverse("governance:metric_create", args=[ms]),
        reverse("governance:metric_edit", args=[ms, objective.metric_id]),
        reverse("governance:metric_retire", args=[ms, objective.metric_id]),
        reverse("governance:measurement_record", args=[ms, objective.metric_id]),
        reverse("governance:measurement_correct", args=[ms, row.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == expected, (persona, url)


def everything() -> tuple:
    return (
        list(Objective.objects.order_by("pk").values_list("pk", "version", "retired_at")),
        list(Metric.objects.order_by("pk").values_list("pk", "version", "retired_at")),
        Measurement.objects.count(),
        ObjectiveNonconformity.objects.count(),
    )


def _writes(world: Any, records: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    ms, objective, rows = world.acme.pk, records["mine"], records["rows"]
    metric = objective.metric
    objective_form = {"title": "Fewer complaints", "statement": "S", "metric": metric.pk, "target": "T",
                      "status": "planned"}  # fmt: skip
    metric_form = {"name": "Complaints", "measured": "M", "method": "M", "cadence": "monthly", "unit": "",
                   "target_value": "3", "direction": "at_most", "source": "manual"}  # fmt: skip
    return {
        "objective create": (reverse("governance:objective_create", args=[ms]), objective_form),
        "objective edit": (reverse("governance:objective_edit", args=[ms, objective.pk]),
                           {**objective_form, "version": objective.version}),
        "objective withdraw": (reverse("governance:objective_withdraw", args=[ms, objective.pk]),
                               {"version": objective.version, "reason": "Merged"}),
        "metric create": (reverse("governance:metric_create", args=[ms]), metric_form),
        "metric edit": (reverse("governance:metric_edit", args=[ms, metric.pk]), {**metric_form, "version": 1}),
        "record": (reverse("governance:measurement_record", args=[ms, metric.pk]),
                   {"period": months_back(3)[0].isoformat(), "value": "97"}),
        "correct": (reverse("governance:measurement_correct", args=[ms, rows[-1].pk]),
                    {"value": "96", "note": "Recounted"}),
        "raise nc": (reverse("governance:objective_raise_nc", args=[ms, objective.pk]), {"measurement": rows[-1].pk}),
    }  # fmt: skip


@matrix(WRITE)
def test_writing_pages(world, client_as, records, persona, expected):
    """Each write on the same records in turn: refused ones change nothing, allowed ones change something."""
    client = client_as(persona)
    for name in ("record", "raise nc", "correct", "metric create", "metric edit", "objective create",
                 "objective edit", "objective withdraw"):  # fmt: skip
        url, data = _writes(world, {**records, "mine": Objective.objects.get(pk=records["mine"].pk)})[name]
        before = everything()
        response = client.post(url, data)
        assert response.status_code == expected, (persona, name, response.status_code)
        assert (everything() != before) is (expected == 302 and persona != "anonymous"), (persona, name)


def test_an_outsider_cannot_write_into_another_management_system(world, client_as, records):
    theirs = records["theirs"]
    client = client_as("officer")
    before = everything()
    for url, data in (
        (reverse("governance:measurement_record", args=[world.northwind.pk, theirs.metric_id]),
         {"period": months_back(2)[0].isoformat(), "value": "1"}),
        (reverse("governance:measurement_correct", args=[world.northwind.pk, records["their_rows"][0].pk]),
         {"value": "1", "note": "x"}),
        (reverse("governance:objective_raise_nc", args=[world.northwind.pk, theirs.pk]), {"measurement": 1}),
        (reverse("governance:measurement_correct", args=[world.acme.pk, records["their_rows"][0].pk]),
         {"value": "1", "note": "x"}),
    ):  # fmt: skip
        assert client.post(url, data).status_code == 404, url
    assert everything() == before


def test_the_objective_page_shows_flags_corrections_and_raises_a_nonconformity_in_one_step(world, client_as, records):
    objective, rows = records["mine"], records["rows"]
    client = client_as("officer")
    url = reverse("governance:objective_detail", args=[world.acme.pk, objective.pk])
    page = client.get(url).content.decode()
    assert "Target missed in" in page and "Raise a nonconformity" in page and "<svg" in page
    assert 'class="objective-chart__missed"' in page

    correct = reverse("governance:measurement_correct", args=[world.acme.pk, rows[0].pk])
    response = client.post(f"{correct}?objective={objective.pk}", {"value": "95.5", "note": "Recounted"})
    assert response.status_code == 302 and response["Location"] == url
    response = client.post(
        reverse("governance:objective_raise_nc", args=[world.acme.pk, objective.pk]), {"measurement": rows[1].pk}
    )
    link = ObjectiveNonconformity.objects.get()
    assert response["Location"] == reverse("improvement:nc_detail", args=[world.acme.pk, link.nonconformity_id])
    page = client.get(url).content.decode()
    assert link.nonconformity.reference in page and "Raise a nonconformity" not in page
    assert "measurement-row--superseded" in page and "Recounted" in page
    # The second submission of the button is refused with a message, nothing new.
    client.post(
        reverse("governance:objective_raise_nc", args=[world.acme.pk, objective.pk]), {"measurement": rows[1].pk}
    )
    assert ObjectiveNonconformity.objects.count() == 1


def test_recording_twice_the_same_period_is_refused_on_the_form(world, client_as, records):
    metric = records["mine"].metric
    url = reverse("governance:measurement_record", args=[world.acme.pk, metric.pk])
    response = client_as("officer").post(url, {"period": months_back(1)[0].isoformat(), "value": "1"})
    assert response.status_code == 400 and "already recorded" in response.content.decode()
    assert client_as("officer").post(url, {"period": "not a date", "value": "x"}).status_code == 400


def test_the_objective_list_shows_status_latest_result_and_flags(world, client_as, records):
    missing = make_objective(world.acme, world.officer, title="Never measured")
    page = client_as("auditor").get(reverse("governance:objective_list", args=[world.acme.pk])).content.decode()
    assert "Never measured" in page and "Missing measurement" in page
    assert "90%" in page and "Target missed" in page and "On track" in page
    assert missing.reference in page


def _grow(world: Any) -> None:
    for n in range(3):
        objective = make_objective(world.acme, world.officer, title=f"Objective {n}")
        rows = record(objective.metric, world.officer, "96", "90", "80")
        from governance.objectives import services

        services.measurement_correct(rows[0], user=world.officer, value=Decimal("97"), note="Fix")
        services.objective_raise_nonconformity(objective, user=world.officer, measurement=rows[-1])


def test_lists_and_endpoints_make_as_many_queries_for_many_rows(world, client_as, api_as, records):
    client, api = client_as("auditor"), api_as("auditor")
    ms = world.acme.pk
    fetches = {
        "objectives": get_ok(client, reverse("governance:objective_list", args=[ms])),
        "metrics": get_ok(client, reverse("governance:metric_list", args=[ms])),
        "objective": get_ok(client, reverse("governance:objective_detail", args=[ms, records["mine"].pk])),
        "api objectives": get_ok(api, "/api/v1/objectives/"),
        "api metrics": get_ok(api, "/api/v1/metrics/"),
        "api measurements": get_ok(api, "/api/v1/measurements/"),
    }
    assert_constant_queries(fetches, lambda: _grow(world))
