"""Clauses 4 to 10: the second requirements catalogue, loaded next to Annex A through the same loader."""

from __future__ import annotations

import pytest
import yaml

from controls.catalog import ANNEX_A, CLAUSES, CLAUSES_DATA, catalog_ensure
from controls.models import Applicability, Control
from tests.assessments.helpers import make_criteria

pytestmark = pytest.mark.django_db


def test_every_clause_4_to_10_is_loaded_with_the_documented_information_it_requires():
    data = yaml.safe_load(CLAUSES_DATA.read_text(encoding="utf-8"))
    clauses = {c.key: c for c in Control.objects.filter(framework__key=CLAUSES).select_related("area")}
    assert set(clauses) == {c["id"] for c in data["clauses"]} and len(clauses) == 32
    assert {c.area.key for c in clauses.values()} == {"4", "5", "6", "7", "8", "9", "10"}
    assert clauses["4.3"].documented_information == Control.DocumentedInformation.MAINTAIN
    assert clauses["4.3"].documented_information_what == "the scope"
    assert clauses["9.2.2"].documented_information == Control.DocumentedInformation.RETAIN
    assert clauses["10.2"].title == "Nonconformity and corrective action" and clauses["10.2"].summary
    assert clauses["7.3"].documented_information == Control.DocumentedInformation.NONE
    ordered = list(Control.objects.filter(framework__key=CLAUSES).order_by("position").values_list("key", flat=True))
    assert ordered[0] == "4.1" and ordered[-1] == "10.2"


def test_the_soa_holds_annex_a_only_and_risks_link_annex_a_controls_only(world, api_as, client_as):
    from django.urls import reverse

    keys = set(Applicability.objects.filter(management_system=world.acme).values_list("control__key", flat=True))
    assert len(keys) == 38 and all(key.startswith("A.") for key in keys)
    clause = Control.objects.get(framework__key=CLAUSES, key="6.1.2")
    make_criteria(world.acme, world.officer)  # a risk is scored on criteria: without them the form is not offered
    form = client_as("officer").get(reverse("assessments:risk_create", args=[world.acme.pk])).context["form"]
    offered = set(form.fields["controls"].queryset.values_list("key", flat=True))
    assert len(offered) == 38 and "6.1.2" not in offered  # a risk is treated by Annex A controls
    refused = api_as("officer").post(
        "/api/v1/risks/", {"management_system": world.acme.pk, "controls": [clause.pk]}, format="json"
    )
    assert refused.status_code == 400 and "controls" in refused.json()
    listed = api_as("auditor").get("/api/v1/controls/", {"framework": CLAUSES, "page_size": 100}).json()
    assert listed["count"] == 32
    item = next(r for r in listed["results"] if r["key"] == "4.3")
    assert item["documented_information"] == "maintain" and item["documented_information_what"] == "the scope"


def test_a_flushed_catalogue_is_loaded_again():
    Applicability.objects.all().delete()
    Control.objects.all().delete()
    catalog_ensure()
    assert Control.objects.filter(framework__key=ANNEX_A).count() == 38
    assert Control.objects.filter(framework__key=CLAUSES).count() == 32
