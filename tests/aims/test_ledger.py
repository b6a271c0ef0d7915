"""Sign-off ledger: canonical digests, the hash chain, append-only storage and verification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aims import ledger
from aims.models import AppendOnlyError, SignOff
from controls import services
from controls.models import Applicability
from controls.signoffs import SOA
from tests.controls.helpers import decide_all, row_of

pytestmark = pytest.mark.django_db

HISTORY_TABLE = Applicability.history.model._meta.db_table


@pytest.fixture
def approved(world):
    """Acme's SoA, decided by the officer and approved once by the leader."""
    decide_all(world.acme, world.officer)
    return services.soa_approve(
        verification="password", management_system=world.acme, user=world.leader, statement="Approved.", confirmed=True
    )


def _run_verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_ledger", *args, stdout=out)
    return out.getvalue()


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _disable_trigger() -> None:
    """Tamper as a database superuser would: with triggers off for this transaction only."""
    if connection.vendor == "postgresql":
        _raw("SET LOCAL session_replication_role = replica", [])


# --- canonical JSON ----------------------------------------------------------------------


def test_canonical_json_is_independent_of_key_order_and_number_and_time_formats():
    aware = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    same_instant = aware.astimezone(timezone(timedelta(hours=2)))
    a = ledger.canonical_json({"b": Decimal("1.50"), "a": aware, "c": [1, "x"]})
    b = ledger.canonical_json({"c": [1, "x"], "a": same_instant, "b": Decimal("1.5")})
    assert a == b == b'{"a":"2026-03-01T12:00:00.000000Z","b":"1.5","c":[1,"x"]}'


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.decimals(allow_nan=False, allow_infinity=False)
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)  # a loaded machine draws slowly
@given(st.dictionaries(st.text(max_size=8), scalars, max_size=8))
def test_canonical_json_does_not_depend_on_insertion_order(data):
    reversed_order = dict(reversed(list(data.items())))
    assert ledger.canonical_json(data) == ledger.canonical_json(reversed_order)
    assert ledger.digest_of(data) == ledger.digest_of(reversed_order)


def test_same_signed_version_always_gives_the_same_digest(approved):
    keys = [tuple(k) for k in approved.versions]
    first = ledger.digest_of(ledger.signed_payload(approved, [ledger.load_versions(keys)[k] for k in keys]))
    again = ledger.digest_of(ledger.signed_payload(approved, [ledger.load_versions(keys)[k] for k in keys]))
    assert first == again == approved.digest
    assert len(approved.versions) == 38


@pytest.mark.parametrize(
    "field, value",
    [
        ("justification", "Another reason."),
        ("implementation_status", "implemented"),
        ("owner_id", None),
        ("last_reviewed", "2026-01-01"),
    ],
)
def test_any_field_change_gives_another_digest(approved, field, value):
    keys = [tuple(k) for k in approved.versions]
    data = ledger.load_versions(keys)
    before = ledger.digest_of(ledger.signed_payload(approved, [data[k] for k in keys]))
    changed = dict(data[keys[0]])
    changed[field] = value if changed.get(field) != value else "different"
    after = ledger.digest_of(ledger.signed_payload(approved, [changed, *[data[k] for k in keys[1:]]]))
    assert before != after


# --- the chain ---------------------------------------------------------------------------


def test_sign_offs_form_a_chain_per_management_system(world, approved):
    second = services.soa_approve(
        verification="password",
        management_system=world.acme,
        user=world.owner,
        statement="Re-approved.",
        confirmed=True,
    )
    assert approved.sequence == 1 and approved.previous_digest == ledger.GENESIS_DIGEST
    assert second.sequence == 2 and second.previous_digest == approved.digest
    assert second.signer_role == "owner" and approved.signer_role == "leadership"
    assert ledger.verify(world.acme) == {
        "ok": True, "checked": 2, "first_broken": None, "signed": 2, "unsigned": 0, "anchor": None,
    }  # fmt: skip


def test_edit_after_approval_shows_changed_since_and_reapproval_keeps_old_sign_off(world, approved):
    assert ledger.sign_off_status(SOA, world.acme).changed_since is False
    row = row_of(world.acme, "A.2.2")
    services.applicability_update(
        row, user=world.officer, expected_version=row.version, implementation_status="implemented"
    )
    status = ledger.sign_off_status(SOA, world.acme)
    assert status.changed_since is True
    assert [c.object_id for c in status.changed] == [row.pk]
    assert status.diff_url.endswith(f"?since={approved.pk}")
    again = services.soa_approve(
        verification="password", management_system=world.acme, user=world.leader, statement="Again.", confirmed=True
    )
    assert ledger.sign_off_status(SOA, world.acme).changed_since is False
    assert list(ledger.sign_offs_of(SOA, world.acme)) == [again, approved]


# --- append-only -------------------------------------------------------------------------


def test_sign_off_refuses_update_and_delete_in_the_application(approved):
    approved.statement = "Changed"
    with pytest.raises(AppendOnlyError):
        approved.save()
    with pytest.raises(AppendOnlyError):
        approved.delete()
    with pytest.raises(AppendOnlyError):
        SignOff.objects.filter(pk=approved.pk).update(statement="Changed")
    with pytest.raises(AppendOnlyError):
        SignOff.objects.filter(pk=approved.pk).delete()
    assert SignOff.objects.get(pk=approved.pk).statement == "Approved."


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_postgresql_trigger_refuses_update_and_delete_of_sign_offs(approved):
    for sql in ("UPDATE aims_signoff SET statement = 'forged' WHERE id = %s", "DELETE FROM aims_signoff WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _raw(sql, [approved.pk])
    assert SignOff.objects.get(pk=approved.pk).statement == "Approved."


# --- verification ------------------------------------------------------------------------


def test_verify_ledger_passes_on_an_untouched_ledger(world, approved):
    assert "OK: 1 sign-off(s) verified" in _run_verify()
    assert "OK: 1 sign-off(s) verified (management system" in _run_verify("--management-system", str(world.acme.pk))


def test_verify_ledger_names_a_sign_off_whose_history_row_was_edited_by_sql(approved):
    label, history_id = approved.versions[5]
    _raw(f"UPDATE {HISTORY_TABLE} SET justification = %s WHERE history_id = %s", ["forged", history_id])  # noqa: S608
    with pytest.raises(CommandError) as failure:
        _run_verify()
    message = str(failure.value)
    assert f"sign-off id {approved.pk}" in message and "digest mismatch" in message and "kind soa" in message
    assert ledger.verify()["first_broken"]["id"] == approved.pk


def test_verify_ledger_names_a_sign_off_that_was_edited_by_sql(approved):
    _disable_trigger()
    _raw("UPDATE aims_signoff SET statement = %s WHERE id = %s", ["I approve nothing.", approved.pk])
    with pytest.raises(CommandError, match=rf"sign-off id {approved.pk} .*digest mismatch"):
        _run_verify()


def test_verify_ledger_reports_a_missing_history_row(approved):
    _raw(f"DELETE FROM {HISTORY_TABLE} WHERE history_id = %s", [approved.versions[0][1]])  # noqa: S608
    result = ledger.verify()
    assert result["ok"] is False
    assert result["first_broken"]["reason"] == "missing history row"


def test_verify_ledger_reports_a_removed_sign_off_as_a_broken_chain_link(world, approved):
    second = services.soa_approve(
        verification="password", management_system=world.acme, user=world.leader, statement="Again.", confirmed=True
    )
    _disable_trigger()
    _raw("DELETE FROM aims_signoff WHERE id = %s", [approved.pk])
    with pytest.raises(CommandError, match=rf"sign-off id {second.pk} .*chain link mismatch"):
        _run_verify("--management-system", str(world.acme.pk))


def test_each_sign_off_is_verified_in_the_canonical_format_it_was_signed_in(world, monkeypatch):
    from django.db import connection

    from assessments.models import Risk
    from assessments.services import risk_accept
    from tests.assessments.helpers import make_risk

    old = make_risk(world.acme, world.officer, title="Signed before retirement existed", residual_likelihood=1,
                    residual_consequence=1)  # fmt: skip
    monkeypatch.setattr(ledger, "CANONICAL_FORMAT", 1)
    first = risk_accept(
        old, verification="password", user=world.leader, expected_version=old.version, statement="Old format."
    )
    monkeypatch.undo()
    new = make_risk(world.acme, world.officer, title="Signed now", residual_likelihood=1, residual_consequence=1)
    second = risk_accept(
        new, verification="password", user=world.leader, expected_version=new.version, statement="New format."
    )
    assert (first.canonical_format, second.canonical_format) == (1, ledger.CANONICAL_FORMAT)
    assert ledger.verify(world.acme)["ok"] is True

    # Later formats cover the retirement fields; format 1 never did.
    table = Risk.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET retired_reason = 'forged' WHERE history_id = %s", [first.versions[0][1]])  # noqa: S608
    assert ledger.verify(world.acme)["ok"] is True
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET retired_reason = 'forged' WHERE history_id = %s", [second.versions[0][1]])  # noqa: S608
    result = ledger.verify(world.acme)
    assert result["ok"] is False and result["first_broken"]["sequence"] == second.sequence
