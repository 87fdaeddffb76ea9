"""Receipts laid side by side on one scan: the page's words cut at the gutters no word crosses.

A flatbed holds several receipts at once, and a scan of them is one page. Read whole, its rows
run across every receipt and the fields of one mix with another's. The words the recognizer
read keep their boxes, so the page is cut where a band of it, top to bottom, holds no word at
all: each side is read as a page of its own, and :func:`icr.pipeline.split_step` decides whether
they are receipts of their own. A receipt's own columns (names on the left, prices on the right)
are cut too, but neither side reads as a receipt alone, and the page stays whole.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import replace

from icr.ocr.adapter import gutter_groups, page_from_words
from icr.types import OcrPage, Word


def _inked(word: Word) -> bool:
    """A word with a letter or digit: a speck read as a point in a gutter does not bridge it."""
    return word.width > 0 and any(c.isalnum() for c in word.text)


def _extent(word: Word, across: bool) -> tuple[int, int]:
    return (word.top, word.top + word.height) if across else (word.left, word.left + word.width)


def column_spans(words: Sequence[Word], min_gap: float, across: bool = False) -> list[tuple[int, int]]:
    """The x spans (left, right) of the page's text, split where at least ``min_gap`` word heights
    (the median's) of the page's width hold no word from top to bottom; one span when none does.
    ``across``: the y spans (top, bottom), split where as many blank rows run the page's width."""
    inked = [w for w in words if _inked(w)]
    if not inked:
        return []
    gap = min_gap * statistics.median(w.height for w in inked)
    extents = [_extent(w, across) for w in inked]
    groups = gutter_groups(extents, gap)
    return [(min(extents[i][0] for i in g), max(extents[i][1] for i in g)) for g in groups]


def text_extent(words: Sequence[Word], across: bool = False) -> tuple[int, int]:
    """The span (left, right) of the words' text across the page (``across``: top, bottom); (0, 0)
    for none."""
    extents = [_extent(w, across) for w in words if _inked(w)]
    return (min(a for a, _ in extents), max(b for _, b in extents)) if extents else (0, 0)


def word_columns(page: OcrPage, min_gap: float, across: bool = False) -> list[list[Word]]:
    """The page's words by column (:func:`column_spans`), each word in the column its centre lies
    in (or nearest to), in the page's order; one column when the page has no gutter. ``across``: by
    bands of rows, top to bottom (receipts one above another)."""
    spans = column_spans(page.words, min_gap, across)
    if len(spans) < 2:
        return [list(page.words)]
    columns: list[list[Word]] = [[] for _ in spans]
    for w in page.words:
        start, end = _extent(w, across)
        centre = (start + end) / 2
        nearest = min(range(len(spans)), key=lambda i: max(spans[i][0] - centre, centre - spans[i][1], 0))
        columns[nearest].append(w)
    return columns


def joined(page: OcrPage, columns: Sequence[Sequence[Word]]) -> OcrPage:
    """A page of the page's size and number holding these columns' words, in the page's order."""
    keep = {id(w) for column in columns for w in column}
    return page_from_words([w for w in page.words if id(w) in keep], page.width, page.height, page.number)


def gutter_cuts(spans: Sequence[tuple[int, int]], width: int) -> list[int]:
    """Where a page ``width`` wide (or tall, for bands) is cut between its text's ``spans``
    (:func:`column_spans`): the middle of each gutter, with the page's edges; column ``k`` lies
    between cuts ``k`` and ``k + 1``."""
    return [0, *((end + start) // 2 for (_, end), (start, _) in itertools.pairwise(spans)), width]


def side_by_side(
    page: OcrPage, columns: Sequence[OcrPage], cuts: Sequence[int], across: bool = False, left: int = 0
) -> OcrPage:
    """A page of ``page``'s size and number holding ``columns``, each read alone from its cut of it
    (:func:`gutter_cuts`; ``across``: bands cut top to bottom, from ``left`` on: the bands of one
    column of the page), back in the page's coordinates; each column's rows are numbered apart from
    the others' so that no line joins two columns."""
    words = [
        replace(w, top=w.top + start, left=w.left + left, block=(k + 1) * 1000 + w.block)
        if across
        else replace(w, left=w.left + start, block=(k + 1) * 1000 + w.block)
        for k, (start, column) in enumerate(zip(cuts[:-1], columns, strict=True))
        for w in column.words
    ]
    return page_from_words(words, page.width, page.height, page.number)
