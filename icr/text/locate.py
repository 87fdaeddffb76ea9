"""Where on the page each field was read: the box around the words its text came from.

The extractors work on lines of text; rather than thread word boxes through every one of
them, the box is found afterwards by matching each field's ``raw`` text (else its value)
against runs of the recognizer's words. A field whose text is not on the page (a static
template value, an arithmetic result) gets no box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from rapidfuzz import fuzz

from icr.types import Extraction, FieldValue, OcrResult, Word

MIN_SIMILARITY = 80.0
"""A run of words must be this alike (rapidfuzz ratio, 0..100) to the field's text."""

NAME_BONUS = 5.0
"""Preferred among equally good runs: one on a line that names the field ("TOTAL 12.59")."""


def _union(words: Sequence[Word]) -> tuple[int, int, int, int]:
    return (
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.left + w.width for w in words),
        max(w.top + w.height for w in words),
    )


def _squash(text: str) -> str:
    return " ".join(text.upper().split())


class WordIndex:
    """A document's words, indexed once for locating every field: each word's text as compared,
    the text of its line, and where words begin with each letter (a run is only tried from a word
    beginning as the value does, which keeps a 500-page document linear)."""

    def __init__(self, words: Sequence[Word]) -> None:
        self.words = [w for w in words if w.text.strip()]
        self.texts = [_squash(w.text) for w in self.words]
        lines: dict[tuple[int, int, int, int], str] = {}
        for w, text in zip(self.words, self.texts, strict=True):
            key = (w.page, w.block, w.paragraph, w.line)
            lines[key] = f"{lines.get(key, '')} {text}"
        self.line_of = [lines[(w.page, w.block, w.paragraph, w.line)] for w in self.words]
        self.starts: dict[str, list[int]] = {}
        for i, text in enumerate(self.texts):
            self.starts.setdefault(text[:1], []).append(i)


def locate(name: str, text: str, words: Sequence[Word] | WordIndex) -> tuple[int, tuple[int, int, int, int]] | None:
    """(page, box) of the run of ``words`` most like ``text``, or None when no run is alike enough."""
    index = words if isinstance(words, WordIndex) else WordIndex(words)
    target = _squash(text)
    if not target or not index.words:
        return None
    size = len(target.split())
    label = name.replace("_", " ").upper()
    later_wins = any(c.isdigit() for c in target)
    best: tuple[float, int] | None = None
    best_run: Sequence[Word] = ()
    for start in index.starts.get(target[:1], ()):
        for n in sorted({max(1, size - 1), size, size + 1}):
            if start + n > len(index.words):
                break
            run = index.words[start : start + n]
            if run[0].page != run[-1].page:
                break
            score = fuzz.ratio(target, " ".join(index.texts[start : start + n]), score_cutoff=MIN_SIMILARITY)
            if not score:
                continue
            if label in index.line_of[start]:
                score += NAME_BONUS
            # later runs win ties for amounts (the total is printed below the items), earlier ones otherwise
            order = start if later_wins else -start
            if best is None or (score, order) > best:
                best, best_run = (score, order), run
    if not best_run:
        return None
    return best_run[0].page, _union(best_run)


def locate_fields(extraction: Extraction, ocr: OcrResult) -> Extraction:
    """``extraction`` with each field's page and box filled in where its text is found in ``ocr``."""
    index = WordIndex(ocr.words)
    fields: dict[str, FieldValue] = {}
    for name, fv in extraction.fields.items():
        found = None
        if fv.box is None:
            for text in dict.fromkeys(t for t in (fv.raw, fv.value) if t):
                found = locate(name, text, index)
                if found is not None:
                    break
        fields[name] = replace(fv, page=found[0], box=found[1]) if found is not None else fv
    return replace(extraction, fields=fields)
