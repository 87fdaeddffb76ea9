"""Spaces a line recognizer left out, put back where the page shows a gap.

PP-OCRv6 reads "TEL : 07-386" as "TEL:07-386" and "2018 (SUN)" as "2018(SUN)": beside marks it
drops spaces the page prints. Its characters come with the columns it read them at (rough, but in
order); where two neighbouring characters with no space between them stand either side of a blank
run of the line's crop as wide as a space, a space goes between them. Only where the two are of
different kinds (letter, digit, mark): splitting a word, a number or a row of stars is the
recognizer's call, a mark between two digits or two letters belongs to their number or word ("41.50",
"1/9", "D'SARA"), a comma or a closing bracket stays with what it follows and a currency sign or an
opening bracket with what follows it. Two digits are split only where, besides the blank run, the
recognizer stepped from one to the other much further than between the line's other digits
("2023.05.1214:02" is a date and a time): a till prints digits at one pitch and an empty cell
between two doubles the step, while faint digits alone read as blank paper.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from icr.types import Image

MIN_HEIGHT = 8
"""A line crop shorter than this (px) shows no gaps worth measuring."""


@dataclass(frozen=True)
class Spacing:
    gap: float = 0.35
    """A blank run at least this many ink heights wide is a space ..."""
    relative: float = 0.6
    """... and at least this share of the median gap at the spaces the recognizer read in the line."""
    digits: float = 0.0
    """Between two digits a space goes where, besides the blank run, the step between their centres is
    at least this many of the line's digit pitches (the median such step); 0: never split two digits."""


MIN_PITCHES = 3
"""Steps between neighbouring digits a line needs for its digit pitch to be measured."""


def blank_runs(crop: Image) -> tuple[list[tuple[float, int]], int]:
    """The blank column runs between the ink of a grey line crop (centre x, width) and the height
    the ink spans (its rows holding more than a sliver of ink)."""
    h, w = crop.shape[:2]
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    rows = np.flatnonzero(ink.sum(axis=1) > 0.02 * w)
    height = int(rows[-1] - rows[0] + 1) if len(rows) else h
    # the band's edges hold the neighbouring lines' descenders and ascenders
    cols = np.flatnonzero(ink[int(h * 0.1) : int(h * 0.9)].any(axis=0))
    if len(cols) < 2:
        return [], height
    steps = np.diff(cols)
    return [(float(cols[i] + steps[i] / 2), int(steps[i] - 1)) for i in np.flatnonzero(steps > 1)], height


def _kind(c: str) -> str:
    return "letter" if c.isalpha() else "digit" if c.isdigit() else "mark"


CLOSING = ",.;!?)]}%"
"""Marks that stay with what stands before them ("33,", "(M)")."""
OPENING = "([{#"
"""Marks that stay with what follows them ("#90024"; currency signs too: "$11.00")."""


def _may_split(text: str, i: int) -> bool:
    """Whether a space may go before ``text[i]`` (whose neighbour ``text[i - 1]`` is no space)."""
    a, b = text[i - 1], text[i]
    if _kind(a) == _kind(b) or b in CLOSING or a in OPENING or unicodedata.category(a) == "Sc":
        return False
    if a in ".," and b.isdigit():  # a decimal mark: ".17", "1,200"
        return False
    before = text[i - 2] if i >= 2 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    # a mark between two digits or two letters belongs to their number or word ("16:57", "1/9",
    # "D'SARA", "H/GRASS")
    if _kind(a) == "mark":
        return _kind(before) != _kind(b)
    if _kind(b) == "mark":
        return _kind(after) != _kind(a)
    return True


def splittable(text: str, digits: bool = False) -> bool:
    """Whether ``text`` has a place a space may go (most lines have none: no crop needs measuring);
    ``digits``: between two digits too."""
    return any(
        not text[i - 1].isspace()
        and not text[i].isspace()
        and (_may_split(text, i) or (digits and _two_digits(text, i)))
        for i in range(1, len(text))
    )


def _two_digits(text: str, i: int) -> bool:
    return text[i - 1].isdigit() and text[i].isdigit()


def digit_pitch(text: str, at: Sequence[int], centres: Sequence[float]) -> float:
    """The median step between the centres of neighbouring digits (0 with fewer than :data:`MIN_PITCHES`)."""
    steps = [
        centres[k] - centres[k - 1] for k in range(1, len(at)) if at[k] - at[k - 1] == 1 and _two_digits(text, at[k])
    ]
    return float(statistics.median(steps)) if len(steps) >= MIN_PITCHES else 0.0


def respace(text: str, centres: Sequence[float], crop: Image, spacing: Spacing) -> str:
    """``text`` with spaces where its crop shows them; ``centres``: the x (in ``crop``) of each of its
    characters that is not a space, in order. Unchanged when they do not match."""
    at = [i for i, c in enumerate(text) if not c.isspace()]
    if len(at) != len(centres) or len(at) < 2 or crop.ndim != 2 or crop.shape[0] < MIN_HEIGHT:
        return text
    runs, height = blank_runs(crop)
    if not runs:
        return text
    widths = np.array([w for _, w in runs], dtype=float) / max(1, height)
    middles = np.array([x for x, _ in runs])
    pitch = digit_pitch(text, at, centres) if spacing.digits > 0 else 0.0
    read, missing = [], []
    for k in range(1, len(at)):
        between = widths[(middles >= centres[k - 1]) & (middles <= centres[k])]
        widest = float(between.max()) if len(between) else 0.0
        if at[k] - at[k - 1] > 1:
            read.append(widest)
        elif widest >= spacing.gap and (
            _may_split(text, at[k])
            or (pitch > 0 and _two_digits(text, at[k]) and centres[k] - centres[k - 1] >= spacing.digits * pitch)
        ):
            missing.append((at[k], widest))
    if read:
        floor = spacing.relative * statistics.median(read)
        missing = [(i, w) for i, w in missing if w >= floor]
    if not missing:
        return text
    cut = {i for i, _ in missing}
    return "".join((" " + c if i in cut else c) for i, c in enumerate(text))
