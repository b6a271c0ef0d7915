"""``detect`` runs the recognizers through ``Detector``: the same results as Presidio's ``AnalyzerEngine.analyze``.

Compared on every labelled sample and on generated texts that put values next to context words,
stop words and punctuation (the context-word boost), with values that validate, fail to validate
or leave the score as the pattern set it (UK phone numbers, lower-case IBANs).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from presidio_analyzer import PatternRecognizer

from gateway.pii.engine import ENTITIES, Finding, detect, get_analyzer, get_detector, resolve_overlaps, trimmed_end
from gateway.pii.quality import load_samples
from gateway.pii.recognizers import OfflineEmailRecognizer

FRAGMENTS = [
    # values: valid, invalid, and ones whose score only context changes
    "943 476 5919", "943 476 5918", "9434765919", "07700 900123", "+44 (0)161 496 0000", "0161 496 0123",
    "+1 202 555 0143", "+33 1 23 45 67 89", "sam.patel@example.co.uk", "a@b", "x@y.invalidtld", "@", "a.b@c.org.uk",
    "GB29 NWBK 6016 1331 9268 19", "gb29 nwbk 6016 1331 9268 19", "DE89370400440532013000", "4111 1111 1111 1111",
    "4111 1111 1111 1112", "192.0.2.4", "2001:db8::1", "999.1.1.1", "https://www.example.org/help.", "www.nhs.uk",
    "JG 10 35 72 C", "QQ 12 34 56 C", "jg103572c",
    # context words, stop words, punctuation, separators
    "phone", "call", "ring", "tel:", "mobile", "contact", "NHS", "nhs number", "patient", "iban", "bank", "email",
    "e-mail", "national insurance", "NI number", "insurance", "ip", "server", "card", "credit", "the", "on", "me",
    "back", "is", "my", "and", "please", "don't", "(", ")", ":", ";", ",", ".", "-", "'", '"', "«", "»", "\n", "\t",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", "", "  ", ", ", "\n", ":", "/"]


def reference(text: str) -> list[tuple[str, int, int, float]]:
    """What Presidio's analyzer itself finds."""
    results = get_analyzer().analyze(text=text, language="en", entities=list(ENTITIES))
    return sorted((r.entity_type, r.start, r.end, r.score) for r in results)


def fast(text: str) -> list[tuple[str, int, int, float]]:
    return sorted((r.entity_type, r.start, r.end, r.score) for r in get_detector().analyze(text))


def reference_findings(text: str) -> list[Finding]:
    """``detect`` as it was on the analyzer."""
    results = get_analyzer().analyze(text=text, language="en", entities=list(ENTITIES))
    return resolve_overlaps(
        [Finding(r.entity_type, r.start, trimmed_end(text, r.start, r.end), r.score) for r in results]
    )


def email_on_whole_text(text: str) -> list[tuple[int, int, float]]:
    """The e-mail pattern run over the whole text, as Presidio's recognizer does."""
    results = PatternRecognizer.analyze(OfflineEmailRecognizer(), text, ["EMAIL_ADDRESS"])
    return sorted((r.start, r.end, r.score) for r in results)


def email_on_runs(text: str) -> list[tuple[int, int, float]]:
    return sorted((r.start, r.end, r.score) for r in OfflineEmailRecognizer().analyze(text, ["EMAIL_ADDRESS"]))


def test_every_labelled_sample_gives_the_analyzers_results_and_findings():
    samples = load_samples()
    assert len(samples) >= 60
    boosted = 0
    for sample in samples:
        text = sample["text"]
        assert fast(text) == reference(text), text
        assert detect(text) == reference_findings(text), text
        assert email_on_runs(text) == email_on_whole_text(text), text
        boosted += any(0 < score < 1 for *_, score in reference(text))
    assert boosted  # some samples have matches whose score depends on context words


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(SEPARATORS)), min_size=1, max_size=30))
def test_generated_texts_give_the_analyzers_results(pieces):
    text = "".join(fragment + separator for fragment, separator in pieces)
    assert fast(text) == reference(text)
    assert email_on_runs(text) == email_on_whole_text(text)


def test_the_context_boost_changes_a_score_as_the_analyzer_does():
    for text in ("Please call me back on 07700 900123 today.", "Contact: 07700 900123", "Lunch 07700 900123"):
        assert fast(text) == reference(text)
    assert fast("phone me on 07700 900123")[0][3] > fast("Lunch 07700 900123")[0][3]


def test_lower_casing_a_lower_cased_text_changes_nothing():
    # What the detector's context artifacts rely on: a lemma (lower-cased text) is its own lower case.
    assert all((lower := chr(code).lower()).lower() == lower for code in range(0x110000))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(SEPARATORS)), min_size=1, max_size=30))
def test_context_artifacts_answer_as_the_full_ones_for_every_lemma(pieces):
    text = "".join(fragment + separator for fragment, separator in pieces)
    engine = get_analyzer().nlp_engine
    full, lazy = engine.process_text(text, "en"), engine.context_artifacts(text)
    assert lazy.tokens_indices == full.tokens_indices
    assert [lazy.lemmas[i] for i in range(len(lazy.lemmas))] == list(full.lemmas)
    assert [lemma.lower() in lazy.keywords for lemma in full.lemmas] == [
        lemma.lower() in full.keywords for lemma in full.lemmas
    ]
