"""The readiness statement in packs: a snapshot as of the pack's date, and the daily snapshot task."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from aims.pack_sections import PackData, sections_for
from packs.gather import gather_pack
from packs.services import pack_request
from reviews.models import ReadinessSnapshot
from reviews.readiness import pack as readiness_pack
from reviews.readiness.services import snapshot_digest
from reviews.readiness.tasks import readiness_snapshots
from tests.packs.helpers import make_pack
from tests.reviews.readiness_helpers import live_system


def gathered(pack) -> PackData:
    data = PackData(pack=pack, management_system=pack.management_system, sections=[], generated_at=timezone.now())
    readiness_pack.gather_readiness(data)
    return data


def rendered(data: PackData) -> str:
    return render_to_string("reviews/readiness/pack/section_readiness.html", {"data": data, "pack": data.pack})


def test_section_is_in_stage1_and_full_packs_just_before_the_sign_off_chain(world):
    for kind in ("stage1", "full"):
        keys = [s.key for s in sections_for(kind)]
        assert keys.index("readiness") == keys.index("signoffs") - 1
    assert "readiness" not in [s.key for s in sections_for("stage2")]


def requested(world, **kwargs):
    """A pack requested as the page does (its rendering not queued)."""
    with mock.patch("packs.services.pack_enqueue"):
        return pack_request(management_system=world.acme, user=world.officer, **{"kind": "stage1", **kwargs})


def test_requesting_a_pack_as_of_now_evaluates_and_keeps_a_snapshot_of_that_moment(world):
    pack = requested(world)
    snapshot = ReadinessSnapshot.objects.get(management_system=world.acme)
    assert snapshot.taken_at == pack.as_of and snapshot.source == "pack" and snapshot.ready is False
    data = gathered(pack)
    assert data.readiness_snapshot == snapshot
    assert snapshot.sha256 == snapshot_digest(world.acme.pk, snapshot.taken_at, snapshot.results)
    text = rendered(data)
    assert "This is a self-assessment" in text and "Not ready for Stage 1" in text and "scope-approved" in text


def test_a_past_pack_shows_the_snapshot_of_its_date_or_says_there_was_none(world):
    past = make_pack(world, as_of=timezone.now() - timedelta(days=3))
    assert "No self-assessment was recorded by" in rendered(gathered(past))
    readiness_snapshots()
    older = ReadinessSnapshot.objects.get(management_system=world.acme)
    older.taken_at = timezone.now() - timedelta(days=4)
    older.save(update_fields=["taken_at"])
    readiness_snapshots()  # today's: after the pack's date, not shown
    data = gathered(past)
    assert data.readiness_snapshot == older
    assert ReadinessSnapshot.objects.filter(management_system=world.acme).count() == 2


def test_daily_task_snapshots_every_management_system_and_is_scheduled(world):
    assert readiness_snapshots() == 2
    assert ReadinessSnapshot.objects.filter(source="daily").count() == 2
    assert any(e["task"] == "reviews.readiness_snapshots" for e in settings.CELERY_BEAT_SCHEDULE.values())


def test_whole_pack_gathers_with_the_readiness_section(world):
    data = gather_pack(requested(world))
    assert data.readiness_snapshot is not None and data.readiness_rows


def test_registers_changing_after_the_request_do_not_change_the_statement(world):
    pack = requested(world)
    before = rendered(gathered(pack))
    system = live_system(world)  # changed after the pack's moment: evaluating now would name it
    after = rendered(gathered(pack))
    assert system.reference not in after and after == before
    assert ReadinessSnapshot.objects.count() == 1


def test_a_pack_requested_for_an_earlier_day_takes_no_snapshot(world):
    world.acme.created_at = timezone.now() - timedelta(days=10)
    world.acme.save(update_fields=["created_at"])
    requested(world, as_of_date=timezone.localdate() - timedelta(days=2))
    assert not ReadinessSnapshot.objects.exists()
