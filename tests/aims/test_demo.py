"""`manage.py load_demo`: realistic, idempotent demo data written through the services."""

from __future__ import annotations

import base64
import sys
import types
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from aims import access, demo, hooks
from aims.models import ManagementSystem, Membership, Role
from registers.models import AISystem, DatasetRecord, ModelRecord, Supplier

DEMO_USERS = ["owner", "officer", "leader", "contributor", "auditor", "outsider"]


@pytest.fixture
def no_extensions(monkeypatch):
    """Only the inventory's demo step: the people, the two management systems and their AI systems."""
    monkeypatch.setattr(hooks, "_DEMO_STEPS", {"registers.demo": hooks.DemoStep("registers.demo", 10)})


@pytest.fixture
def loaded(db, no_extensions):
    return demo.load()


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_demo_users_exist_only_after_load_demo(db, no_extensions):
    users = get_user_model().objects.filter(username__in=DEMO_USERS)
    assert not users.exists()

    call_command("load_demo", stdout=StringIO())

    assert sorted(users.values_list("username", flat=True)) == sorted(DEMO_USERS)


def test_load_demo_twice_changes_nothing(db):
    """The real extensions run too: the whole demo must be idempotent."""
    call_command("load_demo", stdout=StringIO())
    counts = _row_counts()
    passwords = dict(get_user_model().objects.values_list("username", "password"))
    versions = dict(AISystem.objects.values_list("reference", "version"))

    out = StringIO()
    call_command("load_demo", stdout=out)

    assert _row_counts() == counts
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords
    assert dict(AISystem.objects.values_list("reference", "version")) == versions
    assert "nothing to do" in out.getvalue()


def test_every_demo_user_logs_in_with_the_demo_password_and_the_code_demo_otp_prints(loaded, client):
    for username in DEMO_USERS:
        response = client.post(reverse("login"), {"username": username, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302 and response["Location"].startswith(reverse("account:login_code"))
        code = StringIO()
        call_command("demo_otp", username, stdout=code, stderr=StringIO())
        response = client.post(response["Location"], {"code": code.getvalue().strip()})
        assert response.status_code == 302 and response["Location"] == reverse("aims:home"), username
        assert client.get(reverse("aims:home")).status_code in (200, 302)
        assert client.get(reverse("account:home")).context["authenticator"] is not None
        client.post(reverse("logout"))


def test_demo_authenticators_hold_the_secret_shown_in_the_readme(loaded):
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    assert demo.DEMO_TOTP_SECRET in readme
    for username in DEMO_USERS:
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert device.key == base64.b32decode(demo.DEMO_TOTP_SECRET).hex()


def test_demo_otp_prints_codes_for_demo_users_only(loaded):
    real = get_user_model().objects.create_user("alice", password="x")
    TOTPDevice.objects.create(user=real, name="Phone", confirmed=True)
    for username in ("alice", "nobody"):
        with pytest.raises(CommandError, match="not a demo user"):
            call_command("demo_otp", username, stdout=StringIO())
    # A demo user whose authenticator was replaced by a real one is not printed either.
    TOTPDevice.objects.filter(user__username="leader").update(key=TOTPDevice().key)
    with pytest.raises(CommandError, match="not a demo user"):
        call_command("demo_otp", "leader", stdout=StringIO())


def test_demo_otp_never_prints_a_code_that_was_used_already(loaded):
    first = StringIO()
    call_command("demo_otp", "owner", stdout=first)
    device = TOTPDevice.objects.get(user__username="owner")
    assert device.verify_token(first.getvalue().strip())  # logging in or signing uses it
    with pytest.raises(CommandError, match="used already"):
        call_command("demo_otp", "owner", "--no-wait", stdout=StringIO())


def test_acme_has_one_member_per_role_and_auditor_access_expires(loaded):
    acme = loaded.acme
    roles = dict(Membership.objects.filter(management_system=acme).values_list("user__username", "role"))
    assert roles == {
        "owner": Role.OWNER,
        "officer": Role.OFFICER,
        "leader": Role.LEADERSHIP,
        "contributor": Role.CONTRIBUTOR,
        "auditor": Role.AUDITOR,
    }
    expires = Membership.objects.get(management_system=acme, user__username="auditor").expires_at
    assert timezone.now() + timedelta(days=29) < expires <= timezone.now() + timedelta(days=30)
    assert (
        Membership.objects.filter(management_system=acme)
        .exclude(user__username="auditor")
        .filter(expires_at__isnull=False)
        .count()
        == 0
    )


def test_outsider_owns_northwind_and_sees_nothing_of_acme(loaded):
    outsider = loaded.users["outsider"]
    assert access.role_of(outsider, loaded.northwind) == Role.OWNER
    assert access.role_of(outsider, loaded.acme) is None
    assert list(access.visible_management_systems(outsider)) == [loaded.northwind]
    assert AISystem.objects.filter(management_system=loaded.northwind).count() == 2
    assert not access.scope(outsider, AISystem.objects.filter(management_system=loaded.acme)).exists()


def test_acme_registers_are_realistic_and_varied(loaded):
    acme = loaded.acme
    systems = AISystem.objects.filter(management_system=acme)
    assert ManagementSystem.objects.get(pk=acme.pk).scope_statement.startswith("The AI management system covers")
    assert 5 <= systems.count() <= 6
    assert systems.values("lifecycle_stage").distinct().count() >= 4
    assert systems.values("eu_ai_act_risk_class").distinct().count() >= 3
    assert systems.values("human_oversight").distinct().count() >= 2
    assert systems.filter(lifecycle_stage=AISystem.LifecycleStage.RETIRED, in_scope=False).exists()
    assert ModelRecord.objects.filter(management_system=acme, model_type=ModelRecord.ModelType.LLM).exists()
    assert (
        DatasetRecord.objects.filter(management_system=acme)
        .exclude(personal_data_categories="")
        .exclude(provenance="")
        .count()
        >= 3
    )
    assert Supplier.objects.filter(management_system=acme).values("due_diligence_status").distinct().count() >= 3
    assert all(s.model_records.exists() for s in systems)


def test_contributor_owns_systems_and_may_edit_only_those(loaded):
    contributor = loaded.users["contributor"]
    owned = AISystem.objects.filter(management_system=loaded.acme, owner=contributor)
    others = AISystem.objects.filter(management_system=loaded.acme).exclude(owner=contributor)
    assert owned.count() >= 2
    assert all(access.can(contributor, access.Action.EDIT, system) for system in owned)
    assert not any(access.can(contributor, access.Action.EDIT, system) for system in others)


def test_history_shows_later_edits_by_real_users_with_reasons(loaded):
    triage = AISystem.objects.get(management_system=loaded.acme, name="Patient message triage")
    rows = list(triage.history.order_by("history_id"))
    assert [r.history_user.username for r in rows] == ["officer", "officer", "contributor"]
    assert all(r.history_change_reason for r in rows)
    assert rows[1].lifecycle_stage == AISystem.LifecycleStage.OPERATION
    assert triage.version == 3
    edited = AISystem.history.filter(management_system_id=loaded.acme.pk, history_type="~")
    assert edited.values("id").distinct().count() >= 3
    assert not AISystem.history.filter(history_user__isnull=True).exists()


def test_load_demo_prints_url_password_and_logins(db, no_extensions):
    out = StringIO()
    call_command("load_demo", url="http://127.0.0.1:8765/", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8765/" in text
    assert demo.DEMO_PASSWORD in text
    assert demo.DEMO_TOTP_SECRET in text and "demo_otp" in text
    for username in DEMO_USERS:
        assert username in text


def test_demo_steps_run_in_order_with_acme_and_its_members(db, monkeypatch):
    calls = []
    for name in ("demo_step_second", "demo_step_first"):
        step = types.ModuleType(name)
        step.load = lambda loaded, name=name: calls.append((name, loaded))
        monkeypatch.setitem(sys.modules, name, step)
    monkeypatch.setattr(hooks, "_DEMO_STEPS", {})
    hooks.register_demo_step("demo_step_second", order=20)
    hooks.register_demo_step("demo_step_first", order=10)

    result = demo.load()

    assert [name for name, _ in calls] == ["demo_step_first", "demo_step_second"]
    assert result.steps == {"demo_step_first": "loaded", "demo_step_second": "loaded"}
    loaded = calls[0][1]
    assert loaded.acme == result.acme and loaded.northwind == result.northwind
    assert {key: user.username for key, user in loaded.acme_users.items()} == {
        "owner": "owner",
        "officer": "officer",
        "leader": "leader",
        "contributor": "contributor",
        "auditor": "auditor",
    }


def test_demo_step_with_a_broken_import_is_not_silently_skipped(db, monkeypatch, tmp_path):
    (tmp_path / "broken_demo_extension.py").write_text("import a_dependency_that_is_missing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(hooks, "_DEMO_STEPS", {})
    hooks.register_demo_step("broken_demo_extension", order=10)

    with pytest.raises(ModuleNotFoundError, match="a_dependency_that_is_missing"):
        demo.load()


def test_readme_shows_the_demo_password_and_every_login():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    assert f"`{demo.DEMO_PASSWORD}`" in readme
    for username in DEMO_USERS:
        assert f"| `{username}` |" in readme
