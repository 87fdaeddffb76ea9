"""Words -> text segments: the pieces of a form a person reads as one (a label, an answer, a title).

Words are grouped into rows by their vertical overlap, a row is cut where the gap between two
words is wide for their letter height or where a word ends in a colon, and pieces on
consecutive rows that line up (same left edge or overlapping, close, same letter height) are
joined into one segment (a paragraph answer, a label over two lines).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import regex

from icr.types import Box, Word, words_box


@dataclass(frozen=True)
class SegmentOptions:
    """Geometry of segmentation, in letter heights (``config/icr.yaml``, ``forms.segments``)."""

    min_confidence: float = 0.3
    """Words read with less confidence and no letter or digit are specks, not text."""
    gap: float = 1.3
    """Two words further apart than this many letter heights are two segments."""
    height_change: float = 2.2
    """A word this many times taller or shorter than the one before starts a segment (a word of small
    letters only, "name", is about half as tall as one with ascenders and descenders, "Employee")."""
    initial_gap: float = 0.0
    """After an initial or a short abbreviation ("R.P.", "Dr.") a name goes on across this many letter
    heights (typed text leaves a wide space after a full stop); 0: as any word."""
    row_overlap: float = 0.5
    """Words sharing this share of the smaller height are on one row."""
    join_gap: float = 0.0
    """Rows of a paragraph are at most this many letter heights apart (0: rows are no paragraph, even touching)."""
    join_height: float = 0.3
    """... and their letter heights differ by at most this share."""
    join_indent: float = 2.5
    """... and their left edges by at most this many letter heights (or they overlap)."""
    note_gap: float = 0.0
    """A note in brackets alone under a label ("Committed to Date:" / "(Current Year)") joins it when at most
    this many letter heights under it; 0: as any row."""
    continue_gap: float = 0.0
    """A row that goes on from the one above (that one ends in a comma, a hyphen, "&" or one of
    ``continue_words``, or this one starts with a small letter) joins it when at most this many letter heights
    under it; 0: as any row."""
    continue_words: tuple[str, ...] = ()
    """Words a line that goes on ends in ("and", "of"; ``forms.segments.continue_words``)."""
    gap_contrast: float = 0.0
    """A piece of three words or more is cut at its widest gap when that is this many times the others'
    median and only a label's words (letters, no digit) stand before it: a label and the answer typed after
    it ("Date Ordered   Unknown"; not an answer after a colon); 0: never."""
    gap_floor: float = 0.6
    """... and at least this many letter heights wide."""


class AnswerRule(StrEnum):
    """The rule that found an answer (:func:`icr.forms.keyvalue.label_segments`)."""

    NONE = ""
    COLON_ROW = "colon_row"
    """After a question with a colon on its row."""
    LABEL_VALUE = "label_value"
    """A value (digits) after a label on its row."""
    TWO_ON_ROW = "two_on_row"
    """The other of two segments standing apart on a row, the first a label."""
    ALIGNED_ROW = "aligned_row"
    """As ``TWO_ON_ROW``, label and answer starting where those of a surer pair on another row start (a form's
    column of labels beside its column of answers)."""
    CASE_ROW = "case_row"
    """As ``TWO_ON_ROW``, written in another case than its label ("Size" / "FULL PAGE"), or a name with
    initials ("Written by" / "W. E. Routh")."""
    NAME_LIST = "name_list"
    """A name in a block of names under or after a colon ("cc:")."""
    UNDER_QUESTION = "under_question"
    """Under a question with a colon."""
    COLUMN = "column"
    """A column of values under its heading."""
    TABLE = "table"
    """A table's cell."""
    TICKED = "ticked"
    """A tick mark by one of the choices after a colon ("REGION: FULL X PARTIAL"): it answers that choice."""
    RAISED = "raised"
    """Typed after a label a little above its line, the answer's middle over the label's top ("Brand & Style" /
    "CARLTON 100's FMSP"): it answers the label (its ``row_head``)."""


@dataclass
class Segment:
    """A run of words read as one piece of text."""

    words: list[Word]
    page: int = 1
    rows: int = 1
    label: str = "other"
    """header, question, answer or other."""
    rule: AnswerRule = AnswerRule.NONE
    """For an answer: the rule that found it (``forms.links.rule_confidence`` weighs each)."""
    score: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    row_head: Segment | None = None
    """For a table's cell: the heading its row starts with, when that asks (``forms.links.table_rows``); for an
    answer typed a little above its label's line, that label (``forms.links.raised_answers``)."""
    note: bool = False
    """A note in brackets under it was joined to it ("Total" / "(205)"; ``forms.segments.note_gap``)."""
    colon: bool = False
    """... and its label, above the note, ends in a colon: it asks as the label did."""

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> Box:
        return words_box(self.words)

    @property
    def height(self) -> float:
        """The median height of its words (a letter height, with ascenders)."""
        return float(statistics.median(w.height for w in self.words))

    @property
    def ends_with_colon(self) -> bool:
        return self.colon or self.text.rstrip().endswith(":")


def _is_text(word: Word, options: SegmentOptions) -> bool:
    text = word.text.strip()
    if not text:
        return False
    if regex.search(r"[\p{L}\p{N}]", text):
        return True
    return word.confidence >= options.min_confidence and text in {":", "$", "%", "#", "&", "/", "-"}


def rows_of(words: Sequence[Word], options: SegmentOptions) -> list[list[Word]]:
    """Words grouped into rows (top to bottom, each left to right) by vertical overlap."""
    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.top + w.height / 2, w.left)):
        centre = w.top + w.height / 2
        best = None
        for row in rows[-6:]:
            top = statistics.median(x.top for x in row)
            bottom = statistics.median(x.top + x.height for x in row)
            overlap = min(bottom, w.top + w.height) - max(top, w.top)
            if overlap >= options.row_overlap * min(bottom - top, w.height) and top <= centre <= bottom:
                best = row
        if best is None:
            rows.append([w])
        else:
            best.append(w)
    for row in rows:
        row.sort(key=lambda w: w.left)
    return rows


def _cut_row(row: list[Word], options: SegmentOptions) -> list[list[Word]]:
    pieces: list[list[Word]] = [[row[0]]]
    for prev, w in itertools.pairwise(row):
        height = max(1.0, statistics.median([prev.height, w.height, *(x.height for x in pieces[-1])]))
        gap = w.left - (prev.left + prev.width)
        allowed = options.gap
        if options.initial_gap and _INITIAL.match(prev.text) and w.text[:1].isupper():
            allowed = max(allowed, options.initial_gap)
        if (
            gap > allowed * height
            or prev.text.endswith(":")
            or max(w.height, prev.height) > options.height_change * min(w.height, prev.height)
        ):
            pieces.append([w])
        else:
            pieces[-1].append(w)
    return pieces


def _cut_widest(piece: list[Word], options: SegmentOptions) -> list[list[Word]]:
    """``piece`` cut at its widest gap when that stands out from the others (``gap_contrast``) and a label's
    words (letters, no digit) stand before it."""
    if options.gap_contrast <= 0 or len(piece) < 3:
        return [piece]
    height = max(1.0, statistics.median(w.height for w in piece))
    gaps = [b.left - (a.left + a.width) for a, b in itertools.pairwise(piece)]
    i = max(range(len(gaps)), key=gaps.__getitem__)
    others = max(statistics.median(g for k, g in enumerate(gaps) if k != i), 1.0)
    if gaps[i] < options.gap_floor * height or gaps[i] < options.gap_contrast * others:
        return [piece]
    head = " ".join(w.text for w in piece[: i + 1])
    if _DIGITS.search(head) or sum(c.isalpha() for c in head) < 2:
        return [piece]
    return [piece[: i + 1], piece[i + 1 :]]


_DIGITS = regex.compile(r"\p{N}")


_INITIAL = regex.compile(r"^(?:\p{Lu}\.){1,3}$|^\p{Lu}\p{Ll}{0,2}\.$")
"""An initial or initials ("R.P.") or a short abbreviation with its full stop ("Dr.", "Mrs.")."""


def _trimmed(word: Word) -> Word:
    """A word whose box runs far past its letters (an underline read with it) cut to its letters' width."""
    letters = max(len(word.text), 1)
    widest = int(letters * word.height * 0.9) + 2
    if word.width > widest and word.width > 2 * word.height:
        return replace(word, width=widest)
    return word


def segments_of(words: Sequence[Word], options: SegmentOptions | None = None, page: int = 1) -> list[Segment]:
    """The segments of one page, in reading order (top to bottom, left to right)."""
    options = options or SegmentOptions()
    kept = [_trimmed(w) for w in words if _is_text(w, options)]
    pieces: list[Segment] = []
    for row in rows_of(kept, options):
        prev: list[Word] = []
        for piece in _cut_row(row, options):
            after = bool(prev) and prev[-1].text.endswith(":")  # an answer's gaps are its own, not a label's
            pieces.extend(Segment(part, page) for part in ([piece] if after else _cut_widest(piece, options)))
            prev = piece
    return _join_rows(pieces, options)


def _joinable(upper: Segment, lower: Segment, options: SegmentOptions) -> bool:
    ux0, uy0, ux1, uy1 = upper.box
    lx0, ly0, lx1, _ly1 = lower.box
    h = max(upper.height, lower.height, 1.0)
    reach = options.join_gap
    if options.continue_gap > reach and _goes_on(upper, lower, options):
        reach = options.continue_gap
    note = _joins_note(upper, lower, options)
    if note:
        reach = max(reach, options.note_gap)
    if reach <= 0:
        return False  # rows are no paragraph (join_gap 0), not even touching ones
    if ly0 - uy1 > reach * h or ly0 <= uy0 + 0.5 * upper.height / max(upper.rows, 1):
        return False
    if abs(upper.height - lower.height) > options.join_height * h:
        return False
    if upper.ends_with_colon and not note:
        return False
    aligned = abs(ux0 - lx0) <= options.join_indent * h
    return aligned and min(ux1, lx1) - max(ux0, lx0) > 0


_NOTE = regex.compile(r"^\([^()]{2,40}\)?$")
"""A note in brackets ("(Current Year)", "(7=Stronger)"; OCR may drop the closing one)."""

_GOES_ON = regex.compile(r"[,&-]$")
"""The end of a line that goes on: a comma, a hyphen, an ampersand (or one of ``continue_words``)."""


def _joins_note(upper: Segment, lower: Segment, options: SegmentOptions) -> bool:
    """``lower`` is a note in brackets alone on its line, under a one-line ``upper`` (``note_gap``)."""
    return options.note_gap > 0 and upper.rows == 1 and _NOTE.match(lower.text.strip()) is not None


def _goes_on(upper: Segment, lower: Segment, options: SegmentOptions) -> bool:
    """``lower`` carries on ``upper``'s text: a sentence or list broken over two lines."""
    if sum(c.isalpha() for c in upper.text) < 3:
        return False  # a value goes on over no line
    end = upper.text.rstrip()
    last = end.split()[-1] if end else ""
    first = lower.text.lstrip("\"'(")[:1]
    return bool(_GOES_ON.search(end)) or last in options.continue_words or (first.islower() and first.isalpha())


def _join_rows(pieces: list[Segment], options: SegmentOptions) -> list[Segment]:
    pieces.sort(key=lambda s: (s.box[1], s.box[0]))
    out: list[Segment] = []
    for piece in pieces:
        target = None
        for seg in reversed(out[-40:]):
            if _joinable(seg, piece, options) and not _blocked(seg, piece, out):
                target = seg
                break
        if target is None:
            out.append(piece)
        else:
            if _joins_note(target, piece, options):
                target.colon = target.ends_with_colon
                target.note = True
            target.words.extend(piece.words)
            target.rows += 1
    out.sort(key=lambda s: (s.box[1], s.box[0]))
    return out


def _blocked(upper: Segment, lower: Segment, segments: list[Segment]) -> bool:
    """Another segment lies between the two (they are not one paragraph)."""
    ux0, _, ux1, uy1 = upper.box
    lx0, ly0, lx1, _ = lower.box
    for seg in segments:
        if seg is upper:
            continue
        x0, y0, x1, y1 = seg.box
        if y0 >= uy1 - 1 and y1 <= ly0 + 1 and min(x1, max(ux1, lx1)) > max(x0, min(ux0, lx0)):
            return True
    return False
