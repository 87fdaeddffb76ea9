"""Character error rate and word accuracy of the handwriting reader on labelled crops."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein

from icr.htr.reader import HandwritingReader


@dataclass(frozen=True)
class Score:
    cer: float  # edit distance / reference characters, summed over crops
    word_accuracy: float  # share of crops read exactly
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {"cer": round(self.cer, 4), "word_accuracy": round(self.word_accuracy, 4), "n": self.n}


def score(predictions: Sequence[str], references: Sequence[str]) -> Score:
    """CER and exact-match rate of ``predictions`` against ``references`` (spaces trimmed)."""
    if len(predictions) != len(references):
        raise ValueError("as many predictions as references")
    errors = sum(Levenshtein.distance(p.strip(), r.strip()) for p, r in zip(predictions, references, strict=True))
    chars = sum(len(r.strip()) for r in references)
    exact = sum(p.strip() == r.strip() for p, r in zip(predictions, references, strict=True))
    n = len(references)
    return Score(errors / chars if chars else 0.0, exact / n if n else 0.0, n)


def evaluate(
    reader: HandwritingReader, pairs: Sequence[tuple[np.ndarray, str]], grammar: str | None = None, trim: bool = False
) -> Score:
    readings = reader.read([image for image, _ in pairs], grammar, trim=trim)
    return score([r.text for r in readings], [text for _, text in pairs])
