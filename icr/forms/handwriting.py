"""Handwritten answers on a form without a zonal template: the lines the page engine read with
low confidence are read again by the handwriting recognizer, and its reading replaces theirs when
it is sure of it and surer than the page engine was (thresholds chosen on funsd-dev's even half:
benchmarks/README.md, "Forms"). Lines are not first sorted into handwritten and printed: the
recognizer reads print as well, and most of the lines it mends are print the page engine missed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from icr.types import CropReading, Image, OcrPage, Word


@dataclass(frozen=True)
class HandwritingOptions:
    """``forms.handwriting`` in ``config/icr.yaml``."""

    below: float = 0.5
    """A line whose words the page engine read with a mean confidence under this is read again
    (0: never)."""
    min_confidence: float = 0.9
    """The handwriting recognizer's reading replaces the line's when it is this sure ..."""
    lead: float = 0.1
    """... and surer than the page engine by this much."""
    pad: float = 0.15
    """The line's crop reaches this share of its height beyond its words' box."""


def reread_lines(
    page: OcrPage, image: Image, read: Callable[[Image, str | None], CropReading | None], options: HandwritingOptions
) -> OcrPage:
    """``page`` with its low-confidence lines replaced by what ``read`` made of their crops where it
    is sure: each word where and as surely as the engine placed and read it (else the line shared
    out by letters, at the line's confidence), recording the engine."""
    if options.below <= 0:
        return page
    replaced: dict[tuple[int, int, int], list[Word]] = {}
    for line in page.lines():
        words, confidence = line.words, line.confidence
        key = (words[0].block, words[0].paragraph, words[0].line)
        if confidence >= options.below:
            continue
        left, top = min(w.left for w in words), min(w.top for w in words)
        right, bottom = max(w.left + w.width for w in words), max(w.top + w.height for w in words)
        pad = max(2, round(options.pad * (bottom - top)))
        x0 = max(0, left - pad)
        crop = image[max(0, top - pad) : bottom + pad, x0 : right + pad]
        if crop.size == 0:
            continue
        reading = read(np.ascontiguousarray(crop), None)
        if reading is None:
            continue
        text, sure = " ".join(reading.text.split()), reading.confidence
        if text and sure >= options.min_confidence and sure >= confidence + options.lead:
            if reading.words:
                width = crop.shape[1]
                replaced[key] = [
                    replace(words[0], text=t, left=x0 + round(a * width), top=top,
                            width=max(1, round((b - a) * width)), height=bottom - top,
                            confidence=round(c, 4), engine=reading.engine)
                    for t, c, a, b in reading.words
                ]  # fmt: skip
            else:
                replaced[key] = _spread(text, words[0], (left, top, right, bottom), sure, reading.engine)
    if not replaced:
        return page
    words_out: list[Word] = []
    done: set[tuple[int, int, int]] = set()
    for w in page.words:
        key = (w.block, w.paragraph, w.line)
        if key not in replaced:
            words_out.append(w)
        elif key not in done:
            words_out.extend(replaced[key])
            done.add(key)
    out = replace(page, words=words_out)
    return replace(out, text="\n".join(line.text for line in out.lines()))


def _spread(text: str, first: Word, box: tuple[int, int, int, int], confidence: float, engine: str) -> list[Word]:
    """The words of ``text`` along ``box``, each as wide as its share of the letters."""
    left, top, right, bottom = box
    parts = text.split(" ")
    letters = sum(len(p) for p in parts) + len(parts) - 1
    per_letter = (right - left) / max(1, letters)
    out, x = [], float(left)
    for part in parts:
        width = max(1, round(per_letter * len(part)))
        out.append(
            replace(first, text=part, left=round(x), top=top, width=width, height=bottom - top,
                    confidence=round(confidence, 4), engine=engine)
        )  # fmt: skip
        x += (len(part) + 1) * per_letter
    return out

