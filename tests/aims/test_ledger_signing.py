"""Signed sign-offs and anchors: a chain rewritten, shortened or emptied in the database fails verification.

The attacker in these tests can write anything to the database (triggers switched off, as a
table owner or superuser could) but holds neither the signing key nor the file storage.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from aims import anchors, ledger, signing
from aims.models import LedgerCheck, SignOff
from aims.tasks import anchor_ledgers
from controls import services
from tests.controls.helpers import decide_all

pytestmark = pytest.mark.django_db
POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers and roles exist on PostgreSQL only")


def _raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _as_database_superuser() -> None:
    """Switch the triggers off for this transaction, as the tables' owner or a superuser could."""
    if connection.vendor == "postgresql":
        _raw("SET LOCAL session_replication_role = replica")


def _approve(world, statement: str = "Approved.") -> SignOff:
    return services.soa_approve(
        verification="password", management_system=world.acme, user=world.leader, statement=statement, confirmed=True
    )


@pytest.fixture
def chain(world):
    """Acme's SoA decided and approved three times: a chain of three signed sign-offs."""
    decide_all(world.acme, world.officer)
    return [_approve(world, f"Approval {n}.") for n in (1, 2, 3)]


def _recomputed_digest(signoff: SignOff) -> str:
    keys = [tuple(key) for key in signoff.versions]
    loaded = ledger.load_versions(keys)
    return ledger.digest_of(ledger.signed_payload(signoff, [loaded[key] for key in keys]))


def _rewrite(signoff: SignOff, *, statement: str, signature: str | None = None) -> str:
    """Rewrite a sign-off's statement and recompute its digest in place (no key: the signature stays)."""
    _as_database_superuser()
    signoff.statement = statement
    digest = _recomputed_digest(signoff)
    _raw(
        "UPDATE aims_signoff SET statement = %s, digest = %s, signature = %s WHERE id = %s",
        [statement, digest, signoff.signature if signature is None else signature, signoff.pk],
    )
    return digest


def _verify_output(*args: str) -> str:
    out = StringIO()
    call_command("verify_ledger", *args, stdout=out)
    return out.getvalue()


# --- the key ---------------------------------------------------------------------------------


def test_key_is_generated_once_into_the_key_file_and_reused(settings, tmp_path):
    settings.AIMS_SIGNING_KEY_FILE = tmp_path / "keys" / "signing_key.pem"
    first = signing.fingerprint()
    key_file = Path(settings.AIMS_SIGNING_KEY_FILE)
    assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    signing._cache.clear()
    assert signing.fingerprint() == first
    assert len(first.replace(" ", "")) == 64 and first.count(" ") == 15  # SHA-256 in groups of four
    settings.AIMS_SIGNING_KEY_FILE = tmp_path / "other.pem"
    assert signing.fingerprint() != first


def test_key_from_the_environment_wins_and_writes_no_file(settings, tmp_path):
    pem = signing.new_private_key_pem().decode()
    settings.AIMS_SIGNING_KEY = pem
    settings.AIMS_SIGNING_KEY_FILE = tmp_path / "unused.pem"
    signature = signing.sign(b"message")
    assert not Path(settings.AIMS_SIGNING_KEY_FILE).exists()
    assert signing.verify(b"message", signature) and not signing.verify(b"another message", signature)
    assert signing.key_source() == "the AIMS_SIGNING_KEY environment variable"
    settings.AIMS_SIGNING_KEY = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
    with pytest.raises(signing.SigningKeyError, match="not a readable"):
        signing.sign(b"message")


def test_signing_key_command_shows_the_fingerprint_and_prints_new_keys(settings, tmp_path):
    settings.AIMS_SIGNING_KEY_FILE = tmp_path / "k.pem"
    out = StringIO()
    call_command("signing_key", stdout=out)
    assert signing.fingerprint() in out.getvalue() and "BEGIN PUBLIC KEY" in out.getvalue()
    file_key = signing.fingerprint()
    out = StringIO()
    call_command("signing_key", "--new", stdout=out)
    assert out.getvalue().startswith("-----BEGIN PRIVATE KEY-----")
    assert Path(settings.AIMS_SIGNING_KEY_FILE).read_bytes() != out.getvalue().encode()  # nothing was changed
    settings.AIMS_SIGNING_KEY = out.getvalue()
    assert signing.fingerprint() != file_key


# --- signed sign-offs ------------------------------------------------------------------------------


def test_every_new_sign_off_carries_the_registers_signature_of_its_digest(world, chain):
    for signoff in chain:
        assert signing.verify_digest(signoff.digest, signoff.signature)
    assert not signing.verify_digest(chain[1].digest, chain[0].signature)
    result = ledger.verify(world.acme)
    assert result["ok"] and (result["signed"], result["unsigned"]) == (3, 0)
    assert "Signatures: 3 signed by the register's key" in _verify_output()


def test_a_rewritten_sign_off_with_recomputed_digests_fails_without_the_key(world, chain):
    _rewrite(chain[2], statement="I approve nothing.")
    result = ledger.verify(world.acme)
    assert result["first_broken"]["id"] == chain[2].pk
    assert result["first_broken"]["reason"] == "signature mismatch"
    with pytest.raises(CommandError, match=rf"sign-off id {chain[2].pk} .*signature mismatch"):
        _verify_output()


def test_a_rewritten_chain_signed_with_another_key_fails(world, chain, settings, tmp_path):
    forged_key = tmp_path / "attacker.pem"
    forged_key.write_bytes(signing.new_private_key_pem())
    register_key = settings.AIMS_SIGNING_KEY_FILE
    settings.AIMS_SIGNING_KEY_FILE = forged_key
    signoff = chain[2]
    signoff.statement = "Forged."
    forged_signature = signing.sign_digest(_recomputed_digest(signoff))
    settings.AIMS_SIGNING_KEY_FILE = register_key
    _rewrite(signoff, statement="Forged.", signature=forged_signature)
    assert ledger.verify(world.acme)["first_broken"]["reason"] == "signature mismatch"


def test_stripping_a_signature_after_signing_began_is_named(world, chain):
    _rewrite(chain[1], statement="Unsigned now.", signature="")
    broken = ledger.verify(world.acme)["first_broken"]
    assert (broken["id"], broken["reason"]) == (chain[1].pk, "unsigned")


def test_sign_offs_from_before_signing_existed_verify_as_unsigned(world):
    decide_all(world.acme, world.officer)
    old = _approve(world, "Before signing existed.")
    _as_database_superuser()
    _raw("UPDATE aims_signoff SET signature = '' WHERE id = %s", [old.pk])  # as the migration left it
    new = _approve(world, "Signed.")
    assert new.previous_digest == old.digest and new.signature
    result = ledger.verify(world.acme)
    assert result["ok"] and (result["signed"], result["unsigned"]) == (1, 1)
    assert "1 unsigned (before signing existed)" in _verify_output()


def test_a_rewritten_unsigned_sign_off_is_caught_by_the_anchor(world):
    decide_all(world.acme, world.officer)
    old = _approve(world, "Before signing existed.")
    _as_database_superuser()
    _raw("UPDATE aims_signoff SET signature = '' WHERE id = %s", [old.pk])
    assert anchors.anchor_chain(world.acme, reason="after upgrading").appended
    old.refresh_from_db()
    _rewrite(old, statement="Rewritten, digest recomputed.")
    broken = ledger.verify(world.acme)["first_broken"]
    assert (broken["reason"], broken["sequence"], broken["id"]) == ("chain rewritten", 1, old.pk)
    assert "anchors/" in broken["detail"]


# --- anchors --------------------------------------------------------------------------------------


def _anchor_lines(world) -> list[dict]:
    with default_storage.open(anchors.log_name(world.acme.pk), "rb") as handle:
        return [json.loads(line) for line in handle.read().decode().splitlines()]


def test_anchor_appends_the_signed_head_once_per_change(world, chain):
    first = anchors.anchor_chain(world.acme, reason="daily")
    assert first.appended and first.problem is None
    lines = _anchor_lines(world)
    assert len(lines) == 1
    line = lines[0]
    assert (line["ms"], line["sequence"], line["head_digest"], line["reason"]) == (
        world.acme.pk, 3, chain[2].digest, "daily",
    )  # fmt: skip
    assert line["key"] == signing.fingerprint_hex() and anchors.signature_valid(line)
    assert not anchors.anchor_chain(world.acme, reason="daily").appended  # the head did not move
    fourth = _approve(world, "Approval 4.")
    again = anchors.anchor_chain(world.acme, reason="daily")
    assert again.appended and again.anchor["sequence"] == 4 and again.anchor["head_digest"] == fourth.digest
    assert len(_anchor_lines(world)) == 2
    assert ledger.verify(world.acme)["anchor"]["line"] == 2


def test_an_empty_chain_is_not_anchored(world):
    result = anchors.anchor_chain(world.acme, reason="daily")
    assert (result.anchor, result.appended) == (None, False)
    assert not default_storage.exists(anchors.log_name(world.acme.pk))


def test_deleting_the_tail_is_reported_as_a_shortened_chain(world, chain):
    anchors.anchor_chain(world.acme, reason="daily")
    _as_database_superuser()
    _raw("DELETE FROM aims_signoff WHERE id = %s", [chain[2].pk])
    result = ledger.verify(world.acme)
    assert result["ok"] is False and result["checked"] == 2
    broken = result["first_broken"]
    assert (broken["reason"], broken["sequence"], broken["id"]) == ("chain shortened", 3, None)
    assert "ends at #2" in broken["detail"]
    with pytest.raises(CommandError, match=r"management system \d+ at #3: chain shortened"):
        _verify_output("--management-system", str(world.acme.pk))


def test_emptying_the_table_is_reported_as_a_shortened_chain(world, chain):
    anchors.anchor_chain(world.acme, reason="daily")
    _as_database_superuser()
    _raw("DELETE FROM aims_signoff")
    result = ledger.verify()
    assert result["first_broken"]["reason"] == "chain shortened" and result["checked"] == 0


def test_a_broken_chain_is_not_anchored(world, chain):
    anchors.anchor_chain(world.acme, reason="daily")
    _as_database_superuser()
    _raw("DELETE FROM aims_signoff WHERE id = %s", [chain[2].pk])
    result = anchors.anchor_chain(world.acme, reason="daily")
    assert not result.appended and result.problem["reason"] == "chain shortened"
    assert len(_anchor_lines(world)) == 1  # the shortened chain did not become the reference


def test_an_anchor_line_not_signed_by_the_register_is_named_and_a_cut_line_is_skipped(world, chain):
    anchors.anchor_chain(world.acme, reason="daily")
    name = anchors.log_name(world.acme.pk)
    path = Path(default_storage.path(name))
    good = _anchor_lines(world)[0]
    path.write_text(path.read_text() + '{"ms": 1, "seq')  # a write cut short
    assert ledger.verify(world.acme)["ok"] is True
    forged = {**good, "sequence": 2, "head_digest": chain[1].digest}
    path.write_text(path.read_text() + "\n" + json.dumps(forged) + "\n")
    broken = ledger.verify(world.acme)["first_broken"]
    assert broken["reason"] == "anchor signature mismatch" and "line 3" in broken["detail"]


def test_the_daily_task_anchors_every_chain_and_is_scheduled(world, chain, settings):
    from aims.celery import app

    assert anchor_ledgers() == {"anchored": [world.acme.pk], "unchanged": [world.northwind.pk], "broken": []}
    assert anchor_ledgers()["unchanged"] == [world.acme.pk, world.northwind.pk]
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "aims.anchor_ledgers")
    assert entry["schedule"].hour == {2}
    assert "aims.anchor_ledgers" in app.tasks


def test_anchor_ledger_command_and_verify_ledger_print_the_anchor(world, chain):
    out = StringIO()
    call_command("anchor_ledger", stdout=out)
    assert (
        f"Management system {world.acme.pk}: anchored sign-off #3 in anchors/{world.acme.pk}.jsonl." in out.getvalue()
    )
    text = _verify_output("--management-system", str(world.acme.pk))
    assert "Anchor: sign-off #3" in text and "the chain matches it" in text


def test_ledger_page_shows_the_signatures_the_anchor_and_the_key_fingerprint(world, chain, client_as):
    url = reverse("ledger:verify", args=[world.acme.pk])

    def checked_page() -> str:  # the page shows the latest background check
        ledger.check_run(LedgerCheck.objects.create(management_system=world.acme))
        return client_as("auditor").get(url).content.decode()

    html = checked_page()
    assert "No anchor yet." in html and signing.fingerprint() in html and html.count("Ed25519</span>") == 3
    anchors.anchor_chain(world.acme, reason="daily")
    html = checked_page()
    assert "Latest anchor: sign-off #3" in html and "the chain matches its anchors" in html
    _as_database_superuser()
    _raw("DELETE FROM aims_signoff WHERE id = %s", [chain[2].pk])
    html = checked_page()
    assert "Verification failed: chain shortened (anchored sign-off #3)." in html


# --- the database itself (PostgreSQL) ---------------------------------------------------------------


def _refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as failure, transaction.atomic():
        _raw(sql)
    return str(failure.value)


@POSTGRES
def test_truncate_is_refused_on_every_append_only_table(chain):
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
               WHERE NOT t.tgisinternal AND t.tgname ~ '(append_only|immutable)$'"""
        )
        append_only = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            """SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
               WHERE NOT t.tgisinternal AND t.tgname LIKE '%%refuse_truncate'"""
        )
        guarded = {row[0] for row in cursor.fetchall()}
    assert {"aims_signoff", "evidence_evidence", "evidence_evidencedownload", "packs_packdownload"} <= append_only
    assert append_only <= guarded  # a new append-only table without a TRUNCATE trigger fails here
    _raw("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred foreign-key checks of this test's inserts now
    for table in sorted(append_only):
        assert "append-only: TRUNCATE refused" in _refused(f"TRUNCATE {table} CASCADE")
    assert SignOff.objects.count() == 3


@POSTGRES
def test_the_application_role_of_the_readme_can_neither_truncate_nor_switch_triggers_off(chain):
    from aims.management.commands.postgres_roles import grants_sql

    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            pytest.skip("the test database user may not create roles")
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    _raw("CREATE ROLE aims_app_test NOLOGIN")  # rolled back with the test's transaction
    _raw(grants_sql(owner=owner, app="aims_app_test").split("\n", 1)[1])
    _raw("SET LOCAL ROLE aims_app_test")
    signoff = chain[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM aims_signoff")  # it reads and writes rows as the application does
        assert cursor.fetchone()[0] == 3
    assert "permission denied" in _refused("TRUNCATE aims_signoff")
    assert "must be owner" in _refused("ALTER TABLE aims_signoff DISABLE TRIGGER ALL")
    assert "permission denied" in _refused("SET session_replication_role = replica")
    assert "append-only" in _refused(f"DELETE FROM aims_signoff WHERE id = {signoff.pk}")
    assert "append-only" in _refused(f"UPDATE aims_signoff SET statement = 'x' WHERE id = {signoff.pk}")
    assert "must be owner" in _refused("DROP TRIGGER aims_signoff_append_only ON aims_signoff")


def test_postgres_roles_command_prints_both_roles_and_refuses_one_role_for_both():
    out = StringIO()
    call_command("postgres_roles", "--owner", "aims_owner", "--app", "aims_app", stdout=out)
    text = out.getvalue()
    assert "CREATE ROLE aims_owner" in text and "CREATE DATABASE aims OWNER aims_owner" in text
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO aims_app" in text
    assert "TRUNCATE" not in text.split("-- In the database")[1]
    with pytest.raises(CommandError):
        call_command("postgres_roles", "--owner", "aims", "--app", "aims")
    with pytest.raises(CommandError):
        call_command("postgres_roles", "--app", "x; DROP TABLE y")
