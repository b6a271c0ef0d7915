"""Measure detection against the labelled synthetic samples: recall and precision per entity type."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from gateway.pii.engine import ENTITIES, detect

SAMPLES_PATH = Path(__file__).resolve().parents[1] / "data" / "pii_samples.yaml"


@dataclass(frozen=True)
class Score:
    """Counts and rates for one entity type."""

    entity_type: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def recall(self) -> float:
        """Return the share of labelled spans found (1.0 when there are none)."""
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else 1.0

    @property
    def precision(self) -> float:
        """Return the share of found spans that were labelled (1.0 when nothing was found)."""
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0


def load_samples(path: Path = SAMPLES_PATH) -> list[dict]:
    """Return the labelled samples."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def labelled_spans(sample: dict) -> set[tuple[str, int, int]]:
    """Return (type, start, end) for every occurrence of every labelled value in a sample."""
    text, spans = sample["text"], set()
    for span in sample["spans"]:
        start = text.find(span["value"])
        if start < 0:
            raise ValueError(f"Labelled value not in its sample: {span['value']!r}")
        while start >= 0:
            spans.add((span["type"], start, start + len(span["value"])))
            start = text.find(span["value"], start + 1)
    return spans


def evaluate(samples: list[dict]) -> dict[str, Score]:
    """Return a score per entity type; a span counts only with the exact type and boundaries."""
    counts: Counter[tuple[str, str]] = Counter()
    for sample in samples:
        expected = labelled_spans(sample)
        found = {(f.entity_type, f.start, f.end) for f in detect(sample["text"])}
        counts.update(("tp", entity) for entity, _, _ in expected & found)
        counts.update(("fp", entity) for entity, _, _ in found - expected)
        counts.update(("fn", entity) for entity, _, _ in expected - found)
    return {
        entity: Score(entity, counts["tp", entity], counts["fp", entity], counts["fn", entity]) for entity in ENTITIES
    }


def misses(samples: list[dict]) -> list[str]:
    """Return a line per wrong or missed span, to see what to fix."""
    lines = []
    for sample in samples:
        text, expected = sample["text"], labelled_spans(sample)
        found = {(f.entity_type, f.start, f.end) for f in detect(text)}
        lines += [f"false positive {e}: {text[s:t]!r} in {text!r}" for e, s, t in sorted(found - expected)]
        lines += [f"missed {e}: {text[s:t]!r} in {text!r}" for e, s, t in sorted(expected - found)]
    return lines
