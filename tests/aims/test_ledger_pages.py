"""The ledger page and the sign-offs endpoint: the chain, its verification, constant query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from controls import services
from controls.models import Applicability
from tests.controls.helpers import decide_all
from tests.kit import assert_constant_queries, get_ok

pytestmark = pytest.mark.django_db


def _approve(world, statement: str = "Approved."):
    return services.soa_approve(
        verification="password", management_system=world.acme, user=world.leader, statement=statement, confirmed=True
    )


def test_ledger_page_lists_the_chain_and_says_it_is_intact(world, client_as):
    decide_all(world.acme, world.officer)
    first, second = _approve(world, "First."), _approve(world, "Second.")
    response = client_as("auditor").get(reverse("ledger:verify", args=[world.acme.pk]))
    html = response.content.decode()
    assert "Verified: the chain is intact." in html and "2 sign-offs checked" in html
    assert [s.pk for s in response.context["chain"]] == [first.pk, second.pk]
    assert first.digest[:16] in html and "genesis" in html
    assert html.count("view what was signed") == 2 and "?as_of=" in html


def test_ledger_page_names_the_broken_sign_off(world, client_as):
    decide_all(world.acme, world.officer)
    signoff = _approve(world)
    table = Applicability.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE history_id = %s", [signoff.versions[3][1]])  # noqa: S608
    html = client_as("leader").get(reverse("ledger:verify", args=[world.acme.pk])).content.decode()
    assert f"Verification failed at sign-off #1 (id {signoff.pk}): missing history row." in html


def test_ledger_page_and_sign_offs_endpoint_query_counts_do_not_grow_with_sign_offs(world, client_as, api_as):
    decide_all(world.acme, world.officer)
    _approve(world)
    fetches = {
        "ledger page": get_ok(client_as("auditor"), reverse("ledger:verify", args=[world.acme.pk])),
        "sign-offs": get_ok(api_as("auditor"), "/api/v1/sign-offs/", {"management_system": world.acme.pk}),
    }

    def approve_again():
        for n in range(3):
            _approve(world, f"Again {n}.")

    assert_constant_queries(fetches, approve_again)
