"""The reporting rules file: its regimes, the deadlines they give, the overdue flag, and malformed files."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from improvement.incidents import rules, services
from improvement.incidents.rules import RulesFileError, load_rules, parse_rules
from improvement.models import Incident, ReportingObligation
from tests.factories import make_ai_system
from tests.improvement.incidents.conftest import high_risk_system, make_incident

EU = "eu-ai-act-art-73"
GDPR = "gdpr-art-33"


def test_the_project_rules_file_holds_the_eu_ai_act_and_gdpr_regimes():
    regimes = {regime.key: regime for regime in load_rules(rules.RULES_FILE)}
    assert set(regimes) >= {EU, GDPR}
    assert "Article 73" in regimes[EU].legal_reference and "Article 33" in regimes[GDPR].legal_reference
    assert regimes[EU].within.delta == timedelta(days=15)
    assert regimes[GDPR].within.delta == timedelta(hours=72)


def obligations(incident):
    return {o.regime: o for o in ReportingObligation.objects.filter(incident=incident)}


def test_a_possibly_serious_incident_of_a_high_risk_system_is_due_in_15_days_from_detection(world):
    detected = timezone.now() - timedelta(days=1)
    system = high_risk_system(world.acme, world.officer)
    incident = make_incident(
        world.acme, world.officer, ai_systems=[system], possibly_serious=True, detected_at=detected
    )
    [eu] = obligations(incident).values()
    assert eu.regime == EU
    assert eu.deadline == detected + timedelta(days=15)
    assert "15 days from awareness" in eu.deadline_basis and "Article 73" in eu.deadline_basis
    assert not eu.is_overdue


@pytest.mark.parametrize(
    "flags,days",
    [
        ({"death_possible": True}, 10),
        ({"widespread_infringement": True}, 2),
        ({"critical_infrastructure_disruption": True}, 2),
        ({"death_possible": True, "critical_infrastructure_disruption": True}, 2),  # the shortest wins
    ],
)
def test_stricter_eu_ai_act_deadlines_replace_the_15_days(world, flags, days):
    detected = timezone.now() - timedelta(hours=1)
    system = high_risk_system(world.acme, world.officer)
    incident = make_incident(
        world.acme, world.officer, ai_systems=[system], possibly_serious=True, detected_at=detected, **flags
    )
    assert obligations(incident)[EU].deadline == detected + timedelta(days=days)


def test_no_eu_ai_act_obligation_unless_possibly_serious_and_a_system_is_high_risk(world):
    limited = make_ai_system(world.acme, user=world.officer, eu_ai_act_risk_class="limited")
    high = high_risk_system(world.acme, world.officer)
    assert obligations(make_incident(world.acme, world.officer, ai_systems=[limited], possibly_serious=True)) == {}
    assert obligations(make_incident(world.acme, world.officer, ai_systems=[high], possibly_serious=False)) == {}
    assert obligations(make_incident(world.acme, world.officer, possibly_serious=True)) == {}
    both = make_incident(world.acme, world.officer, ai_systems=[limited, high], possibly_serious=True)
    assert set(obligations(both)) == {EU}  # one high-risk system among them is enough


def test_a_personal_data_breach_must_be_notified_within_72_hours(world):
    detected = timezone.now() - timedelta(hours=80)
    incident = make_incident(
        world.acme, world.officer, incident_type="privacy", personal_data_breach=True, detected_at=detected
    )
    gdpr = obligations(incident)[GDPR]
    assert gdpr.deadline == detected + timedelta(hours=72)
    assert gdpr.authority.startswith("Lead supervisory authority")
    assert "72 hours from awareness" in gdpr.deadline_basis
    assert gdpr.is_overdue  # 80 hours have passed


def test_obligations_follow_the_incident_when_it_changes(world):
    incident = make_incident(world.acme, world.officer)
    assert obligations(incident) == {}
    incident = services.incident_update(
        incident, user=world.officer, expected_version=1, personal_data_breach=True, reason="Breach confirmed"
    )
    gdpr = obligations(incident)[GDPR]
    earlier = incident.detected_at - timedelta(hours=10)
    incident = services.incident_update(incident, user=world.officer, expected_version=2, detected_at=earlier)
    assert obligations(incident)[GDPR].deadline == earlier + timedelta(hours=72)  # moved with the detection
    incident = services.incident_update(incident, user=world.officer, expected_version=3, personal_data_breach=False)
    assert obligations(incident) == {}  # no longer applies: removed, its history says why
    removed = ReportingObligation.history.filter(id=gdpr.pk, history_type="-").get()
    assert removed.history_user == world.officer and removed.history_change_reason.startswith("No longer applies")


def test_a_settled_obligation_stays_when_the_incident_no_longer_falls_under_the_regime(world):
    incident = make_incident(world.acme, world.officer, personal_data_breach=True)
    gdpr = obligations(incident)[GDPR]
    services.obligation_settle(gdpr, user=world.officer, expected_version=1, waived_reason="No risk to people.")
    incident.refresh_from_db()
    services.incident_update(incident, user=world.officer, expected_version=1, personal_data_breach=False)
    assert obligations(incident)[GDPR].waived_reason == "No risk to people."


def test_the_overdue_flag_shows_in_the_list_the_page_and_the_filter(world, client_as):
    detected = timezone.now() - timedelta(days=4)
    late = make_incident(world.acme, world.officer, title="Late", personal_data_breach=True, detected_at=detected)
    make_incident(world.acme, world.officer, title="On time", personal_data_breach=True)
    client = client_as("auditor")
    listing = client.get(f"/ms/{world.acme.pk}/improvement/incidents/", {"overdue": "yes"})
    assert [i.reference for i in listing.context["page_obj"].object_list] == [late.reference]
    assert "Overdue: 1" in listing.content.decode()
    page = client.get(f"/ms/{world.acme.pk}/improvement/incidents/{late.pk}/").content.decode()
    assert "Reporting overdue" in page
    overview = client.get(f"/ms/{world.acme.pk}/").content.decode()
    assert "1 reporting obligation overdue" in overview and late.reference in overview


# --- malformed files -------------------------------------------------------------------------------

GOOD = {
    "key": "x",
    "title": "X",
    "legal_reference": "Art. 1",
    "when": {"possibly_serious": True},
    "within": {"days": 1},
}


@pytest.mark.parametrize(
    "change,message",
    [
        ({"when": {"posibly_serious": True}}, "unknown condition 'posibly_serious'"),
        ({"when": {"severity": ["catastrophic"]}}, "'severity' cannot be ['catastrophic']"),
        ({"when": {"ai_system.eu_ai_act_risk_class": "hihg"}}, "'ai_system.eu_ai_act_risk_class' cannot be"),
        ({"when": {"possibly_serious": "yes"}}, "'possibly_serious' is true or false"),
        ({"within": {"weeks": 2}}, "expected days and/or hours"),
        ({"within": {"days": -1}}, "days must be a whole number of zero or more"),
        ({"within": {"hours": 0}}, "later than the moment of awareness"),
        ({"legal_reference": ""}, "'legal_reference' must be a non-empty text"),
        ({"deadline": 3}, "unknown entries ['deadline']"),
        (
            {"shorter_when": [{"label": "x", "when": {"death_possible": True}}]},
            "expected exactly label, when and within",
        ),
    ],
)
def test_a_malformed_regime_is_refused_with_where_and_what(change, message):
    regime = {**GOOD, **change}
    with pytest.raises(RulesFileError) as refused:
        parse_rules({"regimes": [regime]}, source="rules.yaml")
    assert "rules.yaml: regime 1 (x)" in str(refused.value)
    assert message in str(refused.value)


def test_a_missing_entry_a_duplicate_key_and_no_regimes_are_refused():
    with pytest.raises(RulesFileError, match="'within' is missing"):
        parse_rules({"regimes": [{k: v for k, v in GOOD.items() if k != "within"}]})
    with pytest.raises(RulesFileError, match="the key 'x' is used by an earlier regime"):
        parse_rules({"regimes": [GOOD, GOOD]})
    with pytest.raises(RulesFileError, match="non-empty list under 'regimes'"):
        parse_rules({"regime": []})


def test_a_file_that_is_not_yaml_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("regimes: [\n  - key: x\n    title: 'unclosed\n")
    with pytest.raises(RulesFileError, match=f"{path}: not valid YAML"):
        load_rules(path)


def test_a_malformed_rules_file_in_use_stops_the_check_and_refuses_to_save(world, tmp_path, settings):
    path = tmp_path / "rules.yaml"
    path.write_text("regimes:\n  - key: broken\n    title: Broken\n")
    settings.AIMS_REPORTING_RULES = str(path)
    with pytest.raises(SystemCheckError, match="improvement.E001"):
        call_command("check")
    with pytest.raises(RulesFileError, match="'legal_reference' is missing"):
        make_incident(world.acme, world.officer, personal_data_breach=True)
    assert not Incident.objects.exists()  # nothing saved


def test_a_regime_added_to_the_file_applies_without_a_code_change(world, tmp_path, settings):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "regimes:\n"
        "  - key: sector-notice\n"
        "    title: Sector regulator notice\n"
        "    legal_reference: Sector rule 12\n"
        "    when: {incident_type: [safety, security], severity: [critical]}\n"
        "    within: {days: 1, hours: 12}\n"
    )
    settings.AIMS_REPORTING_RULES = str(path)
    detected = timezone.now() - timedelta(hours=1)
    incident = make_incident(
        world.acme, world.officer, incident_type="safety", severity="critical", detected_at=detected
    )
    notice = obligations(incident)["sector-notice"]
    assert notice.deadline == detected + timedelta(days=1, hours=12)
    assert notice.deadline_basis.startswith("1 day 12 hours from awareness")
