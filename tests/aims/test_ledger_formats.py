"""Canonical formats of sign-offs: format 7 hashes each signed version once; older formats still verify."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.utils import timezone

from aims import ledger, signing
from aims.models import LedgerCheck, SignOff
from controls import services
from controls.models import Applicability
from tests.controls.helpers import decide_all
from tests.kit import assert_constant_queries

pytestmark = pytest.mark.django_db
HISTORY_TABLE = Applicability.history.model._meta.db_table


def _approve(world, statement: str = "Approved.") -> SignOff:
    return services.soa_approve(
        verification="password", management_system=world.acme, user=world.leader, statement=statement, confirmed=True
    )


def _in_format(monkeypatch, canonical_format: int) -> None:
    """Sign as the code did when ``canonical_format`` was the current format."""
    monkeypatch.setattr(ledger, "CANONICAL_FORMAT", canonical_format)


def _as_database_superuser() -> None:
    """Switch the append-only triggers off for this transaction, as the tables' owner could (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")


def _recomputed(signoff: SignOff) -> str:
    keys = [tuple(key) for key in signoff.versions]
    loaded = ledger.load_versions(keys)
    return ledger.digest_of(ledger.signed_payload(signoff, [loaded[key] for key in keys]))


def test_new_sign_offs_are_format_7_and_their_payload_lists_each_versions_hash(world):
    decide_all(world.acme, world.officer)
    signoff = _approve(world)
    assert signoff.canonical_format == ledger.CANONICAL_FORMAT == 7
    keys = [tuple(key) for key in signoff.versions]
    loaded = ledger.load_versions(keys)
    payload = ledger.signed_payload(signoff, [loaded[key] for key in keys])
    assert [(v["model"], v["history_id"]) for v in payload["versions"]] == keys
    assert [v["sha256"] for v in payload["versions"]] == [
        hashlib.sha256(ledger.canonical_json(loaded[key])).hexdigest() for key in keys
    ]
    assert ledger.digest_of(payload) == signoff.digest
    export = ledger.chain_export(world.acme, timezone.now())["signoffs"][0]
    assert export["versions"] == [loaded[key] for key in keys]
    assert export["payload"]["versions"][0]["sha256"] == ledger.version_digest(export["versions"][0])


def test_old_format_sign_offs_made_by_the_old_code_path_still_verify_beside_new_ones(world, monkeypatch):
    decide_all(world.acme, world.officer)
    _in_format(monkeypatch, 6)
    old = _approve(world, "Old.")
    monkeypatch.undo()
    new = _approve(world, "New.")
    assert (old.canonical_format, new.canonical_format) == (6, 7)
    assert "sha256" not in str(ledger.chain_export(world.acme, timezone.now())["signoffs"][0]["payload"]["versions"])
    result = ledger.verify(world.acme)
    assert (result["ok"], result["checked"], result["signed"]) == (True, 2, 2)


@pytest.mark.parametrize("canonical_format", [6, 7])
def test_tampering_with_a_signed_history_row_is_detected_in_both_formats(world, monkeypatch, canonical_format):
    decide_all(world.acme, world.officer)
    _in_format(monkeypatch, canonical_format)
    first, second = _approve(world, "First."), _approve(world, "Second.")
    assert second.canonical_format == canonical_format
    _as_database_superuser()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {HISTORY_TABLE} SET justification = %s WHERE history_id = %s",  # noqa: S608
            ["Forged.", second.versions[5][1]],
        )
    broken = ledger.verify(world.acme)["first_broken"]
    signed_by_both = second.versions[5] in first.versions
    assert (broken["id"], broken["reason"]) == ((first if signed_by_both else second).pk, "digest mismatch")


@pytest.mark.parametrize("canonical_format", [1, 2, 3, 4, 5, 6, 7])
def test_the_fast_digest_is_the_payloads_digest_in_every_format(world, canonical_format):
    """Verification recomputes digests from plain rows: the same bytes as ``digest_of(signed_payload(...))``."""
    decide_all(world.acme, world.officer)
    signoff = _approve(world, 'A "quoted" statement, naïve ✓, % and \\ too.')
    signoff.canonical_format = canonical_format
    row = list(SignOff.objects.filter(pk=signoff.pk).values_list(*ledger._COLUMNS).get())
    row[ledger._COLUMNS.index("canonical_format")] = canonical_format
    keys = [tuple(key) for key in signoff.versions]
    assert ledger._row_digest(tuple(row), keys, ledger._SignedVersions(keys)) == _recomputed(signoff)


def test_verification_reads_a_constant_number_of_queries_whatever_the_number_of_sign_offs(world):
    decide_all(world.acme, world.officer)
    _approve(world)

    def grow():
        for n in range(3):
            _approve(world, f"Again {n}.")

    assert_constant_queries(lambda: ledger.verify(world.acme), grow)
    assert ledger.verify(world.acme)["checked"] == 4


def test_verification_streams_in_chunks_across_sign_offs(world, monkeypatch):
    decide_all(world.acme, world.officer)
    signoffs = [_approve(world, f"Approval {n}.") for n in range(3)]
    check = ledger.check_chains(world.acme, chunk_size=2)
    assert (check.broken, check.checked) == (None, 3)
    _as_database_superuser()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE aims_signoff SET statement = %s WHERE id = %s", ["Forged.", signoffs[2].pk])
    check = ledger.check_chains(world.acme, chunk_size=2)
    assert (check.broken.signoff.pk, check.broken.reason, check.checked) == (signoffs[2].pk, "digest mismatch", 3)


def _checked(world) -> LedgerCheck:
    return ledger.check_run(LedgerCheck.objects.create(management_system=world.acme))


@pytest.fixture
def ed25519_checks(monkeypatch):
    """The digests whose signature verification ran."""
    checked = []
    real = signing.verify_digest

    def counting(digest, signature):
        checked.append(digest)
        return real(digest, signature)

    monkeypatch.setattr(signing, "verify_digest", counting)
    return checked


def test_a_check_remembers_the_signatures_it_verified_and_the_next_verifies_only_new_ones(world, ed25519_checks):
    decide_all(world.acme, world.officer)
    signoffs = [_approve(world, f"Approval {n}.") for n in range(3)]
    first = _checked(world)
    assert (first.ok, first.signatures_through, len(first.signatures_mac)) == (True, 3, 64)
    assert ed25519_checks == [s.digest for s in signoffs]
    ed25519_checks.clear()
    newest = _approve(world, "Approval 3.")
    result = ledger.verify(world.acme)
    assert (result["ok"], result["checked"], result["signed"]) == (True, 4, 4)
    assert ed25519_checks == [newest.digest]  # the three remembered ones are not verified again


@pytest.mark.parametrize("forge_memo", [False, True])
def test_a_rewritten_signature_is_found_although_a_check_remembered_it(world, ed25519_checks, forge_memo):
    decide_all(world.acme, world.officer)
    signoffs = [_approve(world, f"Approval {n}.") for n in range(3)]
    check = _checked(world)
    _as_database_superuser()
    with connection.cursor() as cursor:  # another valid-looking signature: the register's, of another digest
        cursor.execute("UPDATE aims_signoff SET signature = %s WHERE id = %s", [signoffs[0].signature, signoffs[1].pk])
    if forge_memo:  # whoever writes to the database cannot compute the MAC without the key
        check.signatures_mac = "0" * 64
        check.save()
    broken = ledger.verify(world.acme)["first_broken"]
    assert (broken["id"], broken["reason"]) == (signoffs[1].pk, "signature mismatch")


def test_an_earlier_bad_signature_is_named_before_a_later_digest_mismatch(world):
    decide_all(world.acme, world.officer)
    signoffs = [_approve(world, f"Approval {n}.") for n in range(3)]
    _checked(world)
    _as_database_superuser()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE aims_signoff SET signature = %s WHERE id = %s", [signoffs[2].signature, signoffs[0].pk])
        cursor.execute("UPDATE aims_signoff SET statement = %s WHERE id = %s", ["Forged.", signoffs[1].pk])
    broken = ledger.verify(world.acme)["first_broken"]
    assert (broken["id"], broken["reason"]) == (signoffs[0].pk, "signature mismatch")
