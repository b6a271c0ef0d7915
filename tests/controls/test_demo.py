"""The demo SoA: decided, justified, partly implemented; approved by the leader once the risks exist, then changed once."""

import pytest

from aims import ledger
from aims.demo import Demo
from aims.models import SignOff
from controls import demo
from controls.models import Applicability
from controls.signoffs import SOA

pytestmark = pytest.mark.django_db


def test_demo_soa_is_approved_and_then_changed_once_and_loading_again_changes_nothing(world):
    loaded = Demo(acme=world.acme, northwind=world.northwind, users=world.users)
    demo.load(loaded)
    rows = Applicability.objects.filter(management_system=world.acme)
    assert all(r.is_decided and r.is_justified for r in rows)
    statuses = set(rows.values_list("implementation_status", flat=True))
    assert {"implemented", "partial", "planned"} <= statuses
    assert not SignOff.objects.exists()  # approved only after the risks exist (the assessments demo step)
    demo.approve_soa(loaded)
    signoff = SignOff.objects.get(management_system=world.acme)
    assert signoff.signer == world.leader
    status = ledger.sign_off_status(SOA, world.acme)
    assert status.changed_since and [c.object_id for c in status.changed] == [rows.get(control__key="A.7.4").pk]
    history_rows = Applicability.history.count()
    demo.load(loaded)
    demo.approve_soa(loaded)
    assert SignOff.objects.count() == 1 and Applicability.history.count() == history_rows
    assert ledger.verify(world.acme)["ok"] is True
