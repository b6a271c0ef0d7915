"""Gathering the improvement loop for a pack takes as many queries for a few records as for many."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from improvement import pack as improvement_pack
from packs import gather
from packs.models import AuditPack
from tests.improvement.packs.helpers import (
    add_obligation,
    close_nc,
    improvement_loop,
    make_action,
    make_audit,
    make_finding,
    make_incident,
    make_nc,
    make_programme,
    make_review,
    sign,
)
from tests.kit import assert_constant_queries
from tests.packs.helpers import make_pack


def grow(world) -> None:
    """More of everything: programmes and items, audits with checks and findings, NCs, incidents, sign-offs."""
    for n in range(3):
        programme = make_programme(world, title=f"Programme {n}", items=(("5.2", "2026-Q2"), ("A.3.3", "2026-Q3")))
        sign(world, improvement_pack.PROGRAMME_APPROVAL, programme)
        audit = make_audit(world, programme, title=f"Grown audit {n}", scope=("5.2", "7.2", "A.3.3"),
                           checks=(("5.2", "conforming"), ("7.2", "observation"), ("A.3.3", "nonconformity")))  # fmt: skip
        make_finding(world, audit, title=f"Finding {n}", finding_type="minor", keys=("A.3.3",))
        sign(world, improvement_pack.REPORT_SIGNATURE, audit)
        sign(world, improvement_pack.REPORT_ACKNOWLEDGEMENT, audit)
        nc = make_nc(world, title=f"NC {n}", keys=("7.2", "A.3.3"))
        make_action(world, nc, due=timezone.localdate() - timedelta(days=n + 1))
        make_action(world, nc, status="done", completed=timezone.localdate())
        make_review(world, nc)
        close_nc(world, nc)
        sign(world, improvement_pack.NC_CLOSURE, nc)
        incident = make_incident(world, title=f"Incident {n}", possibly_serious=True)
        add_obligation(world, incident, deadline=timezone.now() + timedelta(days=n))
        sign(world, improvement_pack.REPORTING_DECISION, incident)


@pytest.mark.parametrize("kind", [AuditPack.Kind.STAGE1, AuditPack.Kind.STAGE2, AuditPack.Kind.FULL])
def test_gathering_a_pack_makes_the_same_number_of_queries_for_few_and_many_records(world, improvement_kinds, kind):
    improvement_loop(world)
    pack = make_pack(world, kind=kind)
    assert_constant_queries(lambda: gather.gather_pack(pack), lambda: grow(world))


def test_every_grown_record_is_in_the_full_pack(world, improvement_kinds):
    improvement_loop(world)
    grow(world)
    data = gather.gather_pack(make_pack(world, kind=AuditPack.Kind.FULL))
    assert len(data.parts["internal_audits"]) == 5 and len(data.parts["nonconformities"]) == 3 + 3 + 3
    assert len(data.parts["incidents"]) == 5
    assert all(audit.signature.signed for audit in data.parts["internal_audits"] if audit.title.startswith("Grown"))
