"""A pack's ledger.json is written a batch of sign-offs at a time, with exactly the bytes of the whole chain dumped at once."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.utils import timezone

from aims import ledger
from controls import services
from packs import render
from tests.controls.helpers import decide_all

pytestmark = pytest.mark.django_db


def _chain(world, count: int) -> None:
    decide_all(world.acme, world.officer)
    for number in range(count):
        services.soa_approve(
            verification="password", management_system=world.acme, user=world.leader,
            statement=f"Approved {number}.", confirmed=True,
        )  # fmt: skip


@pytest.mark.parametrize("batch_size", [1, 2, 500])
def test_the_streamed_chain_is_byte_for_byte_the_chain_dumped_whole(world, batch_size, django_assert_max_num_queries):
    _chain(world, 5)
    until = timezone.now()
    whole = render._json_bytes(ledger.chain_export(world.acme, until))
    assert len(json.loads(whole)["signoffs"]) == 5
    export = ledger.chain_export_stream(world.acme, until, batch_size=batch_size)
    # A batch of sign-offs a query, and the versions they signed a query per model and batch.
    with django_assert_max_num_queries(4 * (5 // batch_size + 1)):
        streamed = b"".join(render.json_chunks(export, "signoffs"))
    assert streamed == whole


def test_a_chain_without_sign_offs_streams_as_an_empty_list(world):
    until = timezone.now()
    streamed = b"".join(render.json_chunks(ledger.chain_export_stream(world.acme, until), "signoffs"))
    assert streamed == render._json_bytes(ledger.chain_export(world.acme, until))
    assert json.loads(streamed)["signoffs"] == [] and json.loads(streamed)["head"] is None


def test_a_sign_off_after_the_export_began_is_not_in_it(world):
    _chain(world, 2)
    export = ledger.chain_export_stream(world.acme, timezone.now(), batch_size=1)
    _chain(world, 1)  # signed after the head was read (and after "until"): not exported
    entries = json.loads(b"".join(render.json_chunks(export, "signoffs")))["signoffs"]
    assert [entry["sequence"] for entry in entries] == [1, 2] and export["head"]["sequence"] == 2


@pytest.mark.parametrize(
    "items",
    [[], [{}], [[]], ['é ✓ \n " \\ \x00'], [{"b": [1, {"c": None}], "a": "x\ny"}, 2.5, True, [[], {}]]],
)
def test_json_chunks_write_what_json_dumps_writes(items):
    value = {"z": 1, "items": iter(items), "a": {"nested": ["é"]}}
    expected = render._json_bytes({**value, "items": items})
    assert b"".join(render.json_chunks(value, "items")) == expected


def test_the_bundle_digests_the_ledger_file_it_wrote(world):
    _chain(world, 3)
    export = ledger.chain_export_stream(world.acme, timezone.now(), batch_size=2)
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        written = render._add_chunks(archive, "ledger.json", render.json_chunks(export, "signoffs"), "sign-off chain")
    content = zipfile.ZipFile(target).read("ledger.json")
    assert written == {
        "path": "ledger.json", "sha256": hashlib.sha256(content).hexdigest(), "size": len(content),
        "role": "sign-off chain",
    }  # fmt: skip
    assert [entry["sequence"] for entry in json.loads(content)["signoffs"]] == [1, 2, 3]
