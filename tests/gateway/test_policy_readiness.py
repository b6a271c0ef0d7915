"""The readiness check of the gateway policy: systems with keys and no approved policy, then approved."""

from __future__ import annotations

import pytest
from django.utils import timezone

from aims.readiness import ReadinessContext, readiness_checks
from gateway.keys import services as key_services
from gateway.policy.readiness import CHECK_ID
from tests.factories import make_ai_system
from tests.gateway.keys_helpers import make_key
from tests.gateway.policy_draft_helpers import approved, submitted

pytestmark = pytest.mark.django_db


def findings(ms):
    check = next(c for c in readiness_checks() if c.id == CHECK_ID)
    assert (check.clause, check.group) == ("A.9.2", "A.9")
    return check.check(ReadinessContext(management_system=ms, now=timezone.now()))


def test_systems_with_keys_and_no_approved_policy_fail_until_one_is_approved(world):
    assert findings(world.acme) == []  # no key: nothing calls the gateway
    system = make_ai_system(world.acme, user=world.officer, name="Triage")
    key, _plaintext = make_key(system, world.officer)
    failing = findings(world.acme)
    assert [f.message for f in failing] == [
        f"{system.reference} Triage holds gateway keys but no gateway policy is approved: the gateway refuses their "
        "calls. Draft the policy and have it approved."
    ]
    assert failing[0].fix_url == f"/ms/{world.acme.pk}/gateway/policy/"
    version = submitted(world.acme, world.officer)
    assert findings(world.acme), "a version awaiting approval is not in force"
    from gateway.policy import services

    services.policy_approve(version, user=world.leader, statement="Approved.", verification="recovery code")
    assert findings(world.acme) == []


def test_a_revoked_key_does_not_count(world):
    system = make_ai_system(world.acme, user=world.officer)
    key, _plaintext = make_key(system, world.officer)
    key_services.key_revoke(key, user=world.officer, reason="Leaked")
    assert findings(world.acme) == []


def test_another_management_systems_policy_does_not_count(world):
    make_key(make_ai_system(world.acme, user=world.officer), world.officer)
    approved(world.acme, world.officer, world.leader)
    assert findings(world.acme) == []
    make_key(make_ai_system(world.northwind, user=world.outsider), world.outsider)
    assert findings(world.northwind)
