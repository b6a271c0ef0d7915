"""Regressions of the audit trail: a risk edit keeps its actions, errors in action rows are summarised."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from assessments.models import TreatmentAction
from controls.models import Applicability
from tests.assessments.helpers import make_risk

pytestmark = pytest.mark.django_db


def _form_as_rendered(response) -> dict:
    """The POST data a browser sends for the edit page as it was rendered (initial values, unchanged)."""
    form, formset = response.context["form"], response.context["formset"]
    data = {}
    for bound in [*form, *[field for row in formset for field in row]]:
        value = bound.value()
        if value is None or value is False:
            continue
        if isinstance(value, list):
            data[bound.html_name] = [str(v) for v in value]
        else:
            data[bound.html_name] = str(value.pk if hasattr(value, "pk") else value)
    management = formset.management_form
    data.update({field.html_name: field.value() for field in management})
    return data


def test_editing_a_risk_in_the_browser_keeps_its_treatment_actions(world, client_as):
    risk = make_risk(
        world.acme,
        world.officer,
        actions=[
            {"description": "Collect more data", "owner": world.officer, "status": "planned"},
            {"description": "Retrain the model", "owner": world.contributor, "status": "in_progress"},
        ],
    )
    ids = sorted(risk.actions.values_list("pk", flat=True))
    history_rows = TreatmentAction.history.count()
    url = reverse("assessments:risk_edit", args=[world.acme.pk, risk.pk])
    client = client_as("officer")
    data = _form_as_rendered(client.get(url))
    data["title"] = "A clearer title"

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["form"].errors
    risk.refresh_from_db()
    assert risk.title == "A clearer title" and risk.version == 2
    assert sorted(risk.actions.values_list("pk", flat=True)) == ids
    assert TreatmentAction.history.count() == history_rows  # no removal and re-addition recorded


def test_an_error_only_in_an_action_row_is_in_the_error_summary(world, client_as):
    risk = make_risk(world.acme, world.officer)
    url = reverse("assessments:risk_edit", args=[world.acme.pk, risk.pk])
    client = client_as("officer")
    data = _form_as_rendered(client.get(url))
    data["actions-0-due_date"] = "2026-02-01"  # a due date with no description

    response = client.post(url, data)

    assert response.status_code == 200
    page = response.content.decode()
    summary = page[page.index('class="error-summary"') : page.index("</div>", page.index('class="error-summary"'))]
    assert "Action 1, description: Describe the action." in summary
    assert 'href="#id_actions-0-description"' in summary


def test_the_soa_justification_is_not_labelled_optional(world, client_as):
    # The SoA page lists the rows; each row is edited on its own page (issue 15), which labels the field.
    client = client_as("officer")
    rows = list(Applicability.objects.filter(management_system=world.acme).order_by("pk"))
    assert len(rows) == 38
    for row in (rows[0], rows[-1]):
        page = client.get(reverse("controls:soa_row_edit", args=[world.acme.pk, row.pk])).content.decode()
        labels = re.findall(rf'<label class="label" for="id_row-{row.pk}-justification">(.*?)</label>', page, re.S)
        assert len(labels) == 1
        assert "required once decided" in labels[0] and "(optional)" not in labels[0]
