"""The fast paths of verification (issue 15) give the canonical bytes exactly, and still name every tampering.

Chains: a column with one value in a chunk is folded into the chunk's template, integers and text
needing no escaping are filled in as the database returns them, datetimes are read as text in one
form. Sign-offs: the payload head is a per-format template, rows are read without Django's
converters (the time as text). Each fast path is compared with the generic encoder on arbitrary
values, and each tampering is still found through it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from aims import chain, ledger
from aims.models import SignOff
from controls import services
from gateway import ledger as gateway_ledger
from tests.controls.helpers import decide_all
from tests.gateway.helpers import append_calls, raw, two_ai_systems

EVENTS = gateway_ledger.EVENTS
texts = st.text(max_size=12)


def _rendered(slot, n: int) -> list[str]:
    """What a column's slot puts into each of ``n`` rows' text."""
    fragment, values = slot
    if values is None:
        return [fragment % ()] * n
    return [fragment % (value,) for value in values]


def _no_converter(value):
    raise AssertionError(f"needed Django's converter for {value!r}")


_no_converter.naive_is_utc = True


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(texts, st.sampled_from(["call", 'a"b', "50%", "naïve", "\\", ""])), min_size=1, max_size=6))
def test_text_columns_fold_constants_and_fill_unescaped_text_exactly(values):
    values = tuple(values)
    assert _rendered(chain._encode_str_column(values, _no_converter), len(values)) == list(map(chain._generic, values))


def test_text_needing_escapes_is_not_filled_as_it_is():
    for text in ['a"b', "a\\b", "a\nb", "\x00", "é"]:
        assert not chain._needs_no_escape(text)
    assert chain._needs_no_escape("policy@3 50% ok")


@given(st.lists(st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63)), min_size=1, max_size=6))
def test_integer_columns_with_nulls_encode_exactly(values):
    values = tuple(values)
    assert _rendered(chain._encode_int_column(values, _no_converter), len(values)) == list(map(chain._generic, values))


instants = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(st.lists(instants, min_size=1, max_size=6), st.sampled_from(["text", "aware"]))
def test_datetime_columns_encode_exactly_as_text_and_as_aware_values(values, form):
    """SQLite's text (no fraction when the microsecond is 0) and PostgreSQL's aware UTC values, any year."""
    raw_values = tuple(str(v.replace(tzinfo=None)) if form == "text" else v for v in values)

    def convert(value):
        return chain._parse_time_text(value, None, connection) if form == "text" else value  # naive: UTC

    convert.naive_is_utc = True
    rendered = _rendered(chain._encode_datetime_column(raw_values, convert), len(values))
    assert rendered == [chain._generic(v) for v in values]


@given(st.lists(st.text(alphabet="0123456789- :.T\n", max_size=27), min_size=1, max_size=4))
def test_datetime_texts_of_any_shape_take_the_fast_path_only_when_each_reads_as_before(values):
    fast = chain._sqlite_time_texts(tuple(values))
    if fast is not None:
        assert [f'"{text}Z"' for text in fast] == [chain._datetime_text(v) for v in values]


@pytest.mark.django_db
@pytest.mark.parametrize("year", [999, 1000, 2026, 9999])
def test_events_of_any_year_verify_through_the_text_form(year):
    ai_system, _ = two_ai_systems()
    for microsecond in (0, 5):
        gateway_ledger.event_append(
            ai_system=ai_system, type="call", occurred_at=datetime(year, 3, 4, 5, 6, 7, microsecond, tzinfo=UTC)
        )
    result = gateway_ledger.verify()
    assert (result.ok, result.checked) == (True, 2), result.first_broken


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("occurred_at", datetime(2026, 1, 1, tzinfo=UTC) + timedelta(microseconds=1)),
        ("decision", 'a "quoted" decision'),  # needs escaping: not filled as it is
        ("decision", "redact"),  # a value the other rows of the chunk have: the column is constant
        ("tokens_in", None),
        ("entity_counts", '{"PERSON": 1}'),
        ("key_id", "abc"),  # SQLite stores text in an integer column
    ],
)
def test_every_changed_column_is_still_named_through_the_fast_paths(column, value):
    ai_system, _ = two_ai_systems()
    for n in range(4):
        gateway_ledger.event_append(
            ai_system=ai_system, type="call", decision="redact", tokens_in=n, entity_counts={"PERSON": 2}
        )
    target = gateway_ledger.GatewayEvent.objects.get(ai_system=ai_system, sequence=3)
    if column == "decision" and value == "redact":
        gateway_ledger.event_append(ai_system=ai_system, type="call", decision="allow")
        target = gateway_ledger.GatewayEvent.objects.get(ai_system=ai_system, sequence=5)
    if value == "abc" and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL keeps integer columns integers")
    raw(f"UPDATE gateway_gatewayevent SET {column} = %s WHERE id = %s", [value, target.pk])  # noqa: S608
    result = gateway_ledger.verify(chunk_size=10)
    broken = result.first_broken
    assert (broken.pk, broken.reason) == (target.pk, "digest mismatch")


@pytest.mark.django_db
def test_an_event_time_outside_the_text_forms_years_is_a_mismatch_not_a_crash():
    if connection.vendor != "postgresql":
        pytest.skip("BC timestamps and infinity exist on PostgreSQL only")
    ai_system, _ = two_ai_systems()
    events = append_calls(ai_system, 3)
    raw("UPDATE gateway_gatewayevent SET occurred_at = '0044-03-15 00:00:00+00 BC' WHERE id = %s", [events[0].pk])
    raw("UPDATE gateway_gatewayevent SET occurred_at = 'infinity' WHERE id = %s", [events[1].pk])
    broken = gateway_ledger.verify().first_broken
    assert (broken.pk, broken.reason) == (events[0].pk, "digest mismatch")


# --- sign-offs ----------------------------------------------------------------------------


def _approve(world, statement: str = "Approved.") -> SignOff:
    return services.soa_approve(
        verification="password", management_system=world.acme, user=world.leader, statement=statement, confirmed=True
    )


@pytest.mark.parametrize("canonical_format", [1, 2, 3, 5, 6, 7])
@pytest.mark.django_db
def test_the_head_template_gives_the_payloads_bytes_from_plain_rows(world, canonical_format):
    """Rows as verification reads them (time as text, versions as JSON text) give ``digest_of(signed_payload)``."""
    decide_all(world.acme, world.officer)
    signoff = _approve(world, 'A "quoted" %s statement, naïve ✓, 100% and \\ too.')
    signoff.canonical_format = canonical_format
    (row,) = next(iter(ledger._plain_rows(world.acme, 10)))
    row = list(row)
    row[ledger._COLUMNS.index("canonical_format")] = canonical_format
    assert isinstance(row[ledger._COLUMNS.index("signed_at")], str)
    keys = [tuple(key) for key in signoff.versions]
    loaded = ledger.load_versions(keys)
    expected = ledger.digest_of(ledger.signed_payload(signoff, [loaded[key] for key in keys]))
    assert ledger._row_digest(tuple(row), keys, ledger._SignedVersions(keys)) == expected


@pytest.mark.django_db
def test_a_sign_off_time_in_another_text_form_is_read_back_and_still_verifies(world):
    decide_all(world.acme, world.officer)
    signoff = _approve(world)
    row = list(SignOff.objects.filter(pk=signoff.pk).values_list(*ledger._COLUMNS).get())
    row[ledger._COLUMNS.index("signed_at")] = "not a time the fast path reads"
    keys = [tuple(key) for key in signoff.versions]
    assert ledger._row_digest(tuple(row), keys, ledger._SignedVersions(keys)) == signoff.digest


@pytest.mark.django_db
@pytest.mark.parametrize("column", ["statement", "signed_at", "signer_title", "kind"])
def test_every_changed_sign_off_column_is_still_named_through_the_head_template(world, column):
    decide_all(world.acme, world.officer)
    signoffs = [_approve(world, f"Approval {n}.") for n in range(3)]
    value = {"signed_at": signoffs[1].signed_at + timedelta(microseconds=1)}.get(column, 'Forged %s "x".')
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE aims_signoff SET {column} = %s WHERE id = %s", [value, signoffs[1].pk])  # noqa: S608
    broken = ledger.verify(world.acme)["first_broken"]
    assert (broken["id"], broken["reason"]) == (signoffs[1].pk, "digest mismatch")
