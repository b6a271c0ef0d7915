"""The Annex A catalog: loaded by migration from the project's data file, exactly 38 controls in 9 areas."""

import importlib

import pytest
from django.apps import apps

from aims.models import ManagementSystem
from controls.models import Applicability, Control, ControlArea, Framework
from controls.services import DEFAULT_FRAMEWORK
from tests.factories import UserFactory, make_management_system

pytestmark = pytest.mark.django_db

# Table A.1 of ISO/IEC 42001:2023, by control area (the reference the catalog must match).
EXPECTED = {
    "A.2": ["A.2.2", "A.2.3", "A.2.4"],
    "A.3": ["A.3.2", "A.3.3"],
    "A.4": ["A.4.2", "A.4.3", "A.4.4", "A.4.5", "A.4.6"],
    "A.5": ["A.5.2", "A.5.3", "A.5.4", "A.5.5"],
    "A.6": ["A.6.1.2", "A.6.1.3", "A.6.2.2", "A.6.2.3", "A.6.2.4", "A.6.2.5", "A.6.2.6", "A.6.2.7", "A.6.2.8"],
    "A.7": ["A.7.2", "A.7.3", "A.7.4", "A.7.5", "A.7.6"],
    "A.8": ["A.8.2", "A.8.3", "A.8.4", "A.8.5"],
    "A.9": ["A.9.2", "A.9.3", "A.9.4"],
    "A.10": ["A.10.2", "A.10.3", "A.10.4"],
}


def test_catalog_holds_exactly_the_38_annex_a_controls_each_in_its_area():
    framework = Framework.objects.get(key=DEFAULT_FRAMEWORK)
    got: dict[str, list[str]] = {}
    for control in Control.objects.filter(framework=framework).select_related("area").order_by("position"):
        got.setdefault(control.area.key, []).append(control.key)
    assert got == EXPECTED
    assert sum(len(v) for v in got.values()) == 38
    assert ControlArea.objects.filter(framework=framework).count() == 9


def test_a6_controls_sit_under_their_two_objectives():
    objectives = dict(Control.objects.filter(key__startswith="A.6.").values_list("key", "objective__key"))
    assert objectives["A.6.1.2"] == "A.6.1"
    assert objectives["A.6.2.8"] == "A.6.2"
    assert not Control.objects.filter(framework__key="iso42001-2023-annex-a", objective__isnull=True).exists()


def test_every_management_system_created_by_the_service_has_38_soa_rows():
    owner = UserFactory()
    first = make_management_system(owner=owner, name="First")
    later = make_management_system(owner=owner, name="Later")
    for ms in (first, later):
        rows = Applicability.objects.filter(management_system=ms)
        assert rows.count() == 38
        assert set(rows.values_list("control__key", flat=True)) == {k for keys in EXPECTED.values() for k in keys}
        assert Applicability.history.filter(management_system_id=ms.pk, history_type="+").count() == 38
    row = Applicability.objects.get(management_system=later, control__key="A.6.2.8")
    assert row.reference == "SOA-A.6.2.8"
    assert row.history.get().history_user == owner


def test_data_migration_gives_existing_management_systems_their_rows():
    # A management system written before the SoA existed (no service, no rows).
    legacy = ManagementSystem.objects.create(organisation="Legacy", name="Old AIMS")
    assert not Applicability.objects.filter(management_system=legacy).exists()
    migration = importlib.import_module("controls.migrations.0003_soa_rows_for_existing_management_systems")
    migration.create_rows(apps, None)
    migration.create_rows(apps, None)  # idempotent
    assert Applicability.objects.filter(management_system=legacy).count() == 38
    assert Applicability.history.filter(management_system_id=legacy.pk).count() == 38
