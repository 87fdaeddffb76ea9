"""Two readings of a page made one: the neural engine's words, each checked against Tesseract's.

Both engines give word boxes, so the readings are aligned by geometry: a neural word
is matched with the Tesseract words whose centres lie inside its box. Per word the
neural reading stands unless the other evidence is for Tesseract's: its token is a
well-formed amount or date (``recognizer.fusion.valid_tokens`` in config/icr.yaml)
where the neural one is not, and the two are alike enough to be one printed word
read two ways. Where the engines agree, the word's confidence is the higher of the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import regex
from rapidfuzz.distance import Levenshtein

from icr.ocr.adapter import page_from_words
from icr.stages import Recognizer
from icr.types import CorrectedPage, OcrPage, OcrResult, Word


@dataclass(frozen=True)
class FusionRules:
    valid_tokens: tuple[str, ...] = ()
    """Patterns (whole token, outer punctuation stripped) of a well-formed amount or date."""
    max_edits: int = 2
    """Two readings of one word differ in at most this many characters."""

    def valid(self, token: str) -> bool:
        core = token.strip(".,:;()")
        return any(regex.fullmatch(p, core) for p in self.valid_tokens)


def _inside(w: Word, box: Word) -> bool:
    cx, cy = w.left + w.width / 2, w.top + w.height / 2
    return box.left <= cx <= box.left + box.width and box.top <= cy <= box.top + box.height


def fuse_words(primary: Sequence[Word], second: Sequence[Word], rules: FusionRules) -> tuple[list[Word], int]:
    """``primary``'s words, each replaced by ``second``'s reading of the same place when the rules
    say so; also how many were replaced."""
    out: list[Word] = []
    taken = 0
    for w in primary:
        under = sorted((s for s in second if _inside(s, w)), key=lambda s: s.left)
        other = "".join(s.text for s in under)
        if not other:
            out.append(w)
        elif other == w.text:
            out.append(replace(w, confidence=max(w.confidence, min(s.confidence for s in under))))
        elif rules.valid(other) and not rules.valid(w.text) and Levenshtein.distance(other, w.text) <= rules.max_edits:
            out.append(replace(w, text=other, confidence=min(s.confidence for s in under)))
            taken += 1
        else:
            out.append(w)
    return out, taken


@dataclass
class FusionRecognizer:
    """The neural reading, each word checked against a Tesseract reading of the same page."""

    primary: Recognizer
    second: Recognizer
    rules: FusionRules = field(default_factory=FusionRules)
    name: str = "fusion"

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        first = self.primary.recognize(pages, language=language, psm=psm)
        other = self.second.recognize(pages, language=language, psm=psm)
        out: list[OcrPage] = []
        for read, check in zip(first.pages, other.pages, strict=True):
            words, _ = fuse_words(read.words, check.words, self.rules)
            out.append(page_from_words(words, read.width, read.height, read.number))
        return replace(first, pages=out, engine=self.name)

    def close(self) -> None:
        self.primary.close()
        self.second.close()
