"""Personal data detection runs offline on a blank spaCy pipeline, with our UK recognizers."""

from __future__ import annotations

import socket
import threading

import pytest
import tldextract

from gateway.pii import engine, recognizers
from gateway.pii.engine import BlankSpacyNlpEngine, build_analyzer, detect, get_analyzer
from gateway.pii.recognizers import nhs_number_is_valid, nino_is_valid


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Make every attempt to open a connection fail loudly, and record it."""
    attempts: list[tuple] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access attempted during personal data detection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def found(text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in detect(text)]


def test_detection_builds_and_runs_without_any_network_call(no_network, monkeypatch):
    # A fresh suffix list extractor and a fresh analyzer, both created with the network refused.
    monkeypatch.setattr(recognizers, "OFFLINE_TLD_EXTRACT", recognizers.offline_tld_extract())
    monkeypatch.setattr(engine, "_analyzer", None)
    monkeypatch.setattr(engine, "_detector", None)
    text = "Email anna.shaw@example.co.uk or see https://www.example.org/help (from 192.0.2.4)."
    assert found(text) == [
        ("EMAIL_ADDRESS", "anna.shaw@example.co.uk"),
        ("URL", "https://www.example.org/help"),
        ("IP_ADDRESS", "192.0.2.4"),
    ]
    assert no_network == []


def test_analyzer_uses_a_blank_spacy_pipeline_and_is_built_once_per_process(monkeypatch):
    builds: list[object] = []
    monkeypatch.setattr(engine, "_analyzer", None)
    monkeypatch.setattr(engine, "build_analyzer", lambda: builds.append(object()) or build_analyzer())
    barrier = threading.Barrier(4)
    analyzers: list[object] = []

    def use() -> None:
        barrier.wait()
        analyzers.append(get_analyzer())

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1
    assert len({id(analyzer) for analyzer in analyzers}) == 1
    nlp_engine = analyzers[0].nlp_engine
    assert isinstance(nlp_engine, BlankSpacyNlpEngine)
    assert nlp_engine.nlp["en"].pipe_names == []  # a tokenizer only: no trained model was loaded


def test_nhs_number_needs_a_valid_modulus_11_check_digit():
    assert nhs_number_is_valid("9434765919")
    assert not nhs_number_is_valid("9434765918")  # wrong check digit
    assert not nhs_number_is_valid("1000000010")  # remainder 10: no NHS number has this stem
    assert not nhs_number_is_valid("0000000000")
    assert found("NHS 943 476 5919 and 943 476 5918") == [("NHS_NUMBER", "943 476 5919")]


def test_nino_follows_hmrc_prefix_and_suffix_rules():
    assert nino_is_valid("AB 12 34 56 C")
    assert nino_is_valid("ab123456d")
    for invalid in ("QQ123456C", "DA123456A", "AO123456A", "GB123456A", "NK123456A", "AB123456E"):
        assert not nino_is_valid(invalid), invalid
    assert found("NI JG 10 35 72 C, not GB 10 35 72 C") == [("UK_NINO", "JG 10 35 72 C")]


def test_uk_phone_numbers_in_reserved_fiction_ranges_are_found():
    text = "Call 07700 900123, +44 20 7946 0958 or 0161 496 0000; order 1234 5678."
    assert found(text) == [
        ("PHONE_NUMBER", "07700 900123"),
        ("PHONE_NUMBER", "+44 20 7946 0958"),
        ("PHONE_NUMBER", "0161 496 0000"),
    ]


def test_the_network_guard_catches_a_default_suffix_list_fetch(no_network, tmp_path):
    # Proves the guard above is not vacuous: tldextract's defaults do try to fetch the list.
    tldextract.TLDExtract(cache_dir=str(tmp_path))("someone@example.co.uk")
    assert no_network
