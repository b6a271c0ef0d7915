"""One Presidio analyzer per process, running offline: pattern recognizers on a blank spaCy pipeline.

``detect`` runs the analyzer's recognizers through ``Detector``, which gives what
``AnalyzerEngine.analyze`` gives for them (same results, same context-word boost, same threshold
and de-duplication) at a fraction of the cost per call: the analyzer tokenises every text and
deep-copies every result to boost scores by context words, while most texts the gateway sees
have no match whose score context can change (``tests/gateway/test_pii_fast_path.py`` compares
the two on the labelled samples and on generated texts).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import spacy
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer, LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, SlimSpacyNlpEngine
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, IbanRecognizer
from spacy.attrs import IDX, LOWER
from spacy.tokens import Doc

from gateway.pii.recognizers import (
    IpAddressRecognizer,
    NhsNumberRecognizer,
    OfflineEmailRecognizer,
    PhoneNumberRecognizer,
    UkNinoRecognizer,
    WebAddressRecognizer,
)

ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "URL",
    "NHS_NUMBER",
    "UK_NINO",
)
# Pattern matches without a validating checksum or context score below this and are dropped.
SCORE_THRESHOLD = 0.4
TRAILING_PUNCTUATION = ".,;:!?)'\""
# Words whose keyword parts are remembered (then forgotten all at once, so memory stays bounded).
KEYWORD_CACHE_SIZE = 50_000


class PiiDetectionError(Exception):
    """Detection failed: the gateway must refuse the call rather than let personal data through."""


@dataclass(frozen=True)
class Finding:
    """One detected span of personal data."""

    entity_type: str
    start: int
    end: int
    score: float


class BlankSpacyNlpEngine(SlimSpacyNlpEngine):
    """Tokenise with ``spacy.blank("en")``: no model is loaded or downloaded, no named entities."""

    def __init__(self) -> None:
        super().__init__(models=[{"lang_code": "en", "model_name": "blank"}], auto_download=False)
        self._keywords: dict[str, tuple[str, ...]] = {}

    def load(self) -> None:
        """Create the blank English pipeline (a tokenizer and nothing else)."""
        nlp = spacy.blank("en")
        # The special cases ("don't" -> "do", "n't"; "a.m.") cost fifty times the rest of tokenising a
        # long prompt, and context words ("NHS", "email") never need them.
        nlp.tokenizer.rules = {}
        self.nlp = {"en": nlp}

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        """Use lower-cased tokens as lemmas so context words ("NHS", "email") still raise scores.

        The offsets and lower-cased forms come out of the document as one array (no Token object per
        token), and each word's keyword parts are worked out once per process: the same keywords as
        Presidio's ``NlpArtifacts.set_keywords``, without looking every token up in the vocabulary again.
        """
        columns = doc.to_array([IDX, LOWER]).tolist() if len(doc) else []
        strings = doc.vocab.strings
        lemmas = [strings[lower] for _, lower in columns]
        artifacts = NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[idx for idx, _ in columns],
            lemmas=lemmas,
            nlp_engine=None,  # no keywords computed here: they are set below
            language=language,
            scores=[],
        )
        artifacts.nlp_engine = self
        # Presidio looks each context word up in this list once per finding: a set keeps it linear.
        artifacts.keywords = frozenset(part for lemma in lemmas for part in self._keyword_parts(lemma, language))
        return artifacts

    def context_artifacts(self, text: str) -> NlpArtifacts:
        """``process_text``'s artifacts for the context enhancer, looking at only the tokens it asks about.

        The enhancer asks for the lemmas just before a match, and whether each is a keyword. Without a
        ":" in the text, a lemma's keyword parts are the lemma itself or nothing (``_keyword_parts``),
        and a lemma is lower-cased text, which lower-casing again leaves as it is: so a lemma is a
        keyword exactly when it is among its own parts, and neither the lemmas nor the keywords of
        every token of a long prompt need working out. With a ":" (one lemma's parts can then be
        another lemma), the artifacts of ``process_text``.
        """
        doc = self.nlp["en"](text)
        if ":" in text:
            return self._doc_to_nlp_artifact(doc, "en")
        artifacts = NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=doc.to_array(IDX).tolist() if len(doc) else [],
            lemmas=_Lemmas(doc),
            nlp_engine=None,
            language="en",
            scores=[],
        )
        artifacts.nlp_engine = self
        artifacts.keywords = _OwnKeywords(self)
        return artifacts

    def _keyword_parts(self, word: str, language: str) -> tuple[str, ...]:
        """The keywords one lemma contributes (``NlpArtifacts.set_keywords``' rule), remembered per word."""
        parts = self._keywords.get(word)
        if parts is None:
            keep = (
                not self.is_stopword(word, language)
                and not self.is_punct(word, language)
                and word not in {"-PRON-", "be"}
            )
            parts = tuple(word.lower().split(":")) if keep else ()
            if len(self._keywords) >= KEYWORD_CACHE_SIZE:
                self._keywords.clear()
            self._keywords[word] = parts
        return parts


class _Lemmas(Sequence[str]):
    """A document's lemmas (its tokens lower-cased), each worked out when asked for."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc

    def __len__(self) -> int:
        return len(self.doc)

    def __getitem__(self, index: int) -> str:  # the enhancer reads one lemma at a time
        return self.doc[index].lower_


class _OwnKeywords:
    """The keywords of a text without ":", asked about its own lemmas: a lemma is one if it is its own part."""

    def __init__(self, engine: BlankSpacyNlpEngine) -> None:
        self.engine = engine

    def __contains__(self, lemma: str) -> bool:
        return lemma in self.engine._keyword_parts(lemma, "en")


class TokenSearchContextEnhancer(LemmaContextAwareEnhancer):
    """Presidio's context enhancer, finding a match's token by bisection instead of a scan from the start.

    The stock scan walks the whole document for every finding, which makes a long prompt quadratic.
    """

    @staticmethod
    def _find_index_of_match_token(word: str, start: int, tokens: Doc, tokens_indices: list[int]) -> int:
        index = bisect_right(tokens_indices, start) - 1
        if index < 0:
            return 0
        token = tokens[index]
        if start < token.idx + len(token.text) or index + 1 >= len(tokens_indices):
            return index
        return index + 1

    def boost(self, text: str, result: RecognizerResult, context: list[str], artifacts: NlpArtifacts) -> None:
        """Raise one result's score in place if a context word of its recognizer is near it.

        The body of ``LemmaContextAwareEnhancer.enhance_using_context``'s loop for one result (no
        request-level context words), on the result itself rather than on a deep copy of them all.
        """
        surrounding = self._extract_surrounding_words(
            nlp_artifacts=artifacts, word=text[result.start : result.end], start=result.start
        )
        if self._find_supportive_word_in_context(surrounding, context, self.context_matching_mode) != "":
            result.score += self.context_similarity_factor
            result.score = max(result.score, self.min_score_with_context_similarity)
            result.score = min(result.score, ContextAwareEnhancer.MAX_SCORE)


class Detector:
    """``AnalyzerEngine.analyze(text, "en", ENTITIES)`` for the gateway's own analyzer, without its overhead per call.

    The same recognizers run on the text; a result is boosted by context words as the analyzer's
    enhancer does, but only a result that a boost can change is looked at (a recognizer with
    context words, a score below the maximum: a validated match already has the maximum, which a
    boost leaves as it is), and the text is tokenised only when there is one. Then, as the
    analyzer does, results below their recognizer's threshold are dropped and duplicates and
    contained results removed (Presidio's ``remove_duplicates``).
    """

    def __init__(self, analyzer: AnalyzerEngine) -> None:
        self.nlp_engine = analyzer.nlp_engine
        self.enhancer = analyzer.context_aware_enhancer
        self.entities = list(ENTITIES)
        self.recognizers = analyzer.registry.get_recognizers(language="en", entities=self.entities)
        self.default_threshold = analyzer.default_score_threshold
        for recognizer in self.recognizers:
            if not recognizer.is_loaded:  # as the analyzer loads them before their first use
                recognizer.load()
                recognizer.is_loaded = True
        self.thresholds = {recognizer.id: recognizer.score_thresholds for recognizer in self.recognizers}

    def threshold(self, recognizer_id: str, entity_type: str) -> float:
        """The lowest score kept: the recognizer's for the entity type, its default, else the analyzer's."""
        thresholds = self.thresholds[recognizer_id]
        for name in (entity_type, "default"):
            if thresholds.get(name) is not None:
                return thresholds[name]
        return self.default_threshold

    def analyze(self, text: str) -> list[RecognizerResult]:
        """The results ``AnalyzerEngine.analyze`` gives for the text (the order aside: callers sort them)."""
        results: list[RecognizerResult] = []
        artifacts: NlpArtifacts | None = None
        for recognizer in self.recognizers:
            for result in recognizer.analyze(text=text, entities=self.entities, nlp_artifacts=None) or ():
                if (
                    recognizer.context
                    and result.score < ContextAwareEnhancer.MAX_SCORE
                    and not result.recognition_metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY)
                ):
                    if artifacts is None:
                        artifacts = self.nlp_engine.context_artifacts(text)
                    self.enhancer.boost(text, result, recognizer.context, artifacts)
                if result.score >= self.threshold(recognizer.id, result.entity_type):
                    results.append(result)
        return EntityRecognizer.remove_duplicates(results)


def recognizers() -> list[EntityRecognizer]:
    """Return the recognizers the gateway runs, one per entity type."""
    return [
        OfflineEmailRecognizer(),
        PhoneNumberRecognizer(),
        CreditCardRecognizer(),
        IbanRecognizer(),
        IpAddressRecognizer(),
        WebAddressRecognizer(),
        NhsNumberRecognizer(),
        UkNinoRecognizer(),
    ]


def build_analyzer() -> AnalyzerEngine:
    """Build an analyzer with only our recognizers on the blank pipeline."""
    registry = RecognizerRegistry(recognizers=recognizers(), supported_languages=["en"])
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=BlankSpacyNlpEngine(),
        supported_languages=["en"],
        default_score_threshold=SCORE_THRESHOLD,
        context_aware_enhancer=TokenSearchContextEnhancer(),
    )


_analyzer: AnalyzerEngine | None = None
_detector: Detector | None = None
_lock = threading.Lock()


def get_analyzer() -> AnalyzerEngine:
    """Return the process's analyzer, building it on first use."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                _analyzer = build_analyzer()
    return _analyzer


def get_detector() -> Detector:
    """Return the process's detector on the process's analyzer, building both on first use."""
    global _detector
    if _detector is None:
        analyzer = get_analyzer()
        with _lock:
            if _detector is None:
                _detector = Detector(analyzer)
    return _detector


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Keep the strongest of overlapping findings (then the longest), in text order."""
    kept: list[Finding] = []  # in text order, never overlapping
    starts: list[int] = []
    for finding in sorted(findings, key=lambda f: (-f.score, -(f.end - f.start), f.start)):
        index = bisect_right(starts, finding.start)
        before_ends = index == 0 or kept[index - 1].end <= finding.start
        after_starts = index == len(kept) or finding.end <= kept[index].start
        if before_ends and after_starts:
            kept.insert(index, finding)
            starts.insert(index, finding.start)
    return kept


def trimmed_end(text: str, start: int, end: int) -> int:
    """Return the end of a span without the sentence punctuation URL patterns swallow."""
    while end > start + 1 and text[end - 1] in TRAILING_PUNCTUATION:
        end -= 1
    return end


def detect(text: str) -> list[Finding]:
    """Return the personal data found in a text, non-overlapping; raise PiiDetectionError on any failure."""
    if not text:
        return []
    try:
        results = get_detector().analyze(text)
        findings = [Finding(r.entity_type, r.start, trimmed_end(text, r.start, r.end), r.score) for r in results]
        return resolve_overlaps(findings)
    except Exception as exc:
        raise PiiDetectionError("Personal data detection failed") from exc
