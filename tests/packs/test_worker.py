"""A pack rendered by a real Celery worker, read back with a PDF text extractor."""

from __future__ import annotations

import pytest
from django.utils import timezone

from controls.services import applicability_update
from packs.models import AuditPack
from packs.services import enqueue_render, pack_file_path, pack_request
from registers.services import ai_system_update
from tests.assessments.helpers import make_risk
from tests.factories import make_ai_system
from tests.packs.helpers import decide, make_pack, pdf_text
from tests.packs.worker import wait_for_pack

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_real_worker_renders_values_as_of_the_chosen_date(world, worker_settings):
    system = make_ai_system(world.acme, user=world.officer, name="Claims triage v1")
    risk = make_risk(world.acme, world.officer, title="Claims triage misses fraud patterns", ai_systems=[system])
    row = decide(world, "A.6.2.4", "included", "Verification required for every model release.", "implemented")
    decide(world, "A.10.4", "excluded", "No AI is supplied to customers.", "not_applicable")
    as_of = timezone.now()
    ai_system_update(system, user=world.officer, expected_version=system.version, name="Claims triage v2")
    applicability_update(row, user=world.officer, expected_version=row.version, justification="Changed later.")
    # The form's as-of is a whole day; here the moment between the two versions is exact.
    pack = make_pack(world, as_of=as_of)
    enqueue_render(pack.pk)
    wait_for_pack(pack, worker_settings)
    assert pack.status == AuditPack.Status.READY, pack.failure_reason
    text = pdf_text(pack_file_path(pack, "pdf").read_bytes())
    assert "Acme AIMS" in text
    assert "Claims triage v1" in text and "Claims triage v2" not in text
    assert "Verification required for every model release." in text and "Changed later." not in text
    assert "No AI is supplied to customers." in text and "Excluded" in text
    assert risk.reference in text and "Claims triage misses fraud patterns" in text
    assert pack.history.filter(history_user=world.auditor, history_change_reason="Pack ready").exists()


def test_pack_requested_through_the_service_is_rendered_after_commit(world, worker_settings):
    pack = pack_request(management_system=world.acme, user=world.leader, kind=AuditPack.Kind.STAGE1)
    wait_for_pack(pack, worker_settings)
    assert pack.status == AuditPack.Status.READY and pack.pages > 1 and len(pack.sha256) == 64
