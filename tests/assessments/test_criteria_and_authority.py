"""Risk criteria an auditor accepts: approved by leadership, an acceptable level, an authority matrix, per-party consequences."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from aims.models import SignOff
from assessments import services, signoffs
from assessments.models import Risk
from tests.assessments.helpers import make_criteria, make_risk
from tests.kit import sign_data

pytestmark = pytest.mark.django_db


def test_leadership_approves_the_criteria_and_risks_on_unapproved_criteria_are_flagged(world, client_as):
    risk = make_risk(world.acme, world.officer)
    detail = reverse("assessments:risk_detail", args=[world.acme.pk, risk.pk])
    assert "Criteria not approved" in client_as("auditor").get(detail).content.decode()
    url = reverse("assessments:criteria_approve", args=[world.acme.pk, risk.criteria.pk])

    refused = client_as("officer").post(url, sign_data(signoffs.CRITERIA_APPROVAL, risk.criteria, signer=world.officer))
    assert refused.status_code == 403
    approved = client_as("leader").post(url, sign_data(signoffs.CRITERIA_APPROVAL, risk.criteria, signer=world.leader))

    assert approved.status_code == 302
    assert SignOff.objects.get().kind == signoffs.CRITERIA_APPROVAL
    assert "Criteria not approved" not in client_as("auditor").get(detail).content.decode()
    listing = client_as("auditor").get(reverse("assessments:criteria_list", args=[world.acme.pk])).content.decode()
    assert "Approved" in listing


def test_the_criteria_page_shows_who_accepts_each_level(world, client_as):
    criteria = make_criteria(world.acme, world.officer, intolerable_level="critical")
    page = client_as("auditor").get(reverse("assessments:criteria_detail", args=[world.acme.pk, criteria.pk]))
    table = page.context["criteria"].acceptance_table
    assert [(level, authority) for level, _label, _judged, authority in table] == [
        ("low", "The risk owner"),
        ("medium", "The risk owner"),
        ("high", "A compliance officer"),
        ("critical", "Nobody"),
    ]
    assert "Intolerable: cannot be accepted" in page.content.decode()


def test_a_higher_level_cannot_need_a_lower_authority(world, client_as):
    url = reverse("assessments:criteria_create", args=[world.acme.pk])
    form = client_as("officer").get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(authority_low="leadership", authority_medium="risk_owner")
    response = client_as("officer").post(url, data)
    assert "cannot need a lower authority" in response.content.decode()


def test_consequences_rated_per_party_take_the_highest(world):
    make_criteria(world.acme, world.officer, consequence_basis="per_party")
    risk = services.risk_create(
        management_system=world.acme, user=world.officer, title="Bias", source="fairness", description="D",
        likelihood=3, consequence_organisation_rating=2, consequence_individuals_rating=4, consequence_society_rating=3,
    )  # fmt: skip
    assert risk.consequence == 4 and risk.inherent_level == "high"
    with pytest.raises(ValidationError, match="at least one"):
        services.risk_create(
            management_system=world.acme, user=world.officer, title="No rating", source="fairness", description="D",
            likelihood=3, consequence=4,
        )  # fmt: skip
    assert Risk.objects.count() == 1


def test_the_risk_form_asks_for_the_ratings_the_criteria_use(world, client_as):
    make_criteria(world.acme, world.officer, consequence_basis="per_party")
    form = client_as("officer").get(reverse("assessments:risk_create", args=[world.acme.pk])).context["form"]
    assert "consequence" not in form.fields
    assert {"consequence_organisation_rating", "consequence_individuals_rating", "consequence_society_rating"} <= set(
        form.fields
    )
