"""Turn Tesseract's TSV columns into :class:`~icr.types.Word` objects and page text."""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from icr.types import OcrPage, Word

READ_MAX = 0.9999
"""A recognizer's confidence at most: 1.0 is typed text's (a PDF's text layer, a transcript), whose
words the text corrector leaves as printed."""


def words_from_tsv(data: Mapping[str, Sequence[Any]], page: int = 1) -> list[Word]:
    """Words (level 5 rows with text) with confidences scaled to 0..1."""
    words: list[Word] = []
    for i, text in enumerate(data.get("text", [])):
        if int(data["level"][i]) != 5:
            continue
        text = str(text).strip()
        if not text:
            continue
        # whole percents, as the CLI's TSV reaches us through pytesseract, whichever engine read it
        conf = float(int(float(data["conf"][i])))
        words.append(
            Word(
                text=text,
                left=int(data["left"][i]),
                top=int(data["top"][i]),
                width=int(data["width"][i]),
                height=int(data["height"][i]),
                confidence=max(0.0, min(READ_MAX, conf / 100.0)),
                block=int(data["block_num"][i]),
                paragraph=int(data["par_num"][i]),
                line=int(data["line_num"][i]),
                page=page,
            )
        )
    return words


def page_text(words: Sequence[Word]) -> str:
    """Plain text: one line per Tesseract line, a blank line between blocks."""
    out: list[str] = []
    last_block: tuple[int, int] | None = None
    last_line: tuple[int, int, int] | None = None
    for w in words:
        line_key = (w.block, w.paragraph, w.line)
        if line_key != last_line:
            if last_line is not None:
                out.append("\n")
                if (w.block, w.paragraph) != last_block:
                    out.append("\n")
            last_line = line_key
            last_block = (w.block, w.paragraph)
        elif out:
            out.append(" ")
        out.append(w.text)
    return "".join(out)


def page_from_words(words: list[Word], width: int, height: int, number: int = 1) -> OcrPage:
    return OcrPage(text=page_text(words), words=words, width=width, height=height, number=number)


# -- line engines (the neural recognizer): detected lines into Tesseract-shaped words ------------


class LineWord(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def box(self) -> Sequence[tuple[float, float]] | None: ...


class DetectedLine(Protocol):
    """A text line as a line engine gives it: a quadrilateral, its text, score and (maybe) words."""

    @property
    def box(self) -> Sequence[tuple[float, float]]: ...
    @property
    def text(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def words(self) -> Sequence[LineWord]: ...


def _rect(quad: Sequence[tuple[float, float]]) -> tuple[int, int, int, int]:
    xs = [p[0] for p in quad]
    ys = [p[1] for p in quad]
    left, top = round(min(xs)), round(min(ys))
    return left, top, max(1, round(max(xs)) - left), max(1, round(max(ys)) - top)


def gutter_groups(extents: Sequence[tuple[float, float]], gap: float) -> list[list[int]]:
    """Indices of ``extents`` (left, right) grouped into columns, left to right: a column ends where
    a band at least ``gap`` wide holds none of them from top to bottom (receipts side by side, or a
    receipt's names apart from its prices)."""
    groups: list[list[int]] = []
    right = 0.0
    for i in sorted(range(len(extents)), key=lambda k: extents[k][0]):
        left, end = extents[i]
        if not groups or left - right >= gap:
            groups.append([])
            right = end
        groups[-1].append(i)
        right = max(right, end)
    return groups


def rows(boxes: Sequence[tuple[int, int, int, int]], overlap: float = 0.5) -> list[list[int]]:
    """Indices of ``boxes`` (left, top, width, height) grouped into visual rows, top to bottom, each
    left to right: a box joins the row it shares the most height with, when that is at least
    ``overlap`` of the lower of the two (a detector reads a receipt's "TOTAL ... 12.50" as two lines)."""
    spans: list[list[float]] = []  # per row: top, bottom (running median-ish: the first box's)
    members: list[list[int]] = []
    for i in sorted(range(len(boxes)), key=lambda k: boxes[k][1] + boxes[k][3] / 2):
        _, top, _, height = boxes[i]
        best, best_share = -1, overlap
        for r, (rtop, rbottom) in enumerate(spans):
            shared = min(top + height, rbottom) - max(top, rtop)
            share = shared / max(1.0, min(height, rbottom - rtop))
            if share >= best_share and not any(_stacked(boxes[k], boxes[i]) for k in members[r]):
                best, best_share = r, share
        if best < 0:
            spans.append([top, top + height])
            members.append([i])
        else:
            members[best].append(i)
    order = sorted(range(len(members)), key=lambda r: spans[r][0])
    return [sorted(members[r], key=lambda k: boxes[k][0]) for r in order]


STACKED = 0.5
"""Two boxes sharing more than this share of the narrower one's width stand one over the other: no
row holds both (a curled line's taller box reaching into the row above)."""


def _stacked(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    if max(a[3], b[3]) > 2 * min(a[3], b[3]):
        return False  # a logo's or a stamp's box over small print: rows decide by height as before
    shared = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    return shared > STACKED * min(a[2], b[2])


def split_line(line: DetectedLine) -> list[tuple[str, float, tuple[int, int, int, int]]]:
    """A detected line's words with boxes: the engine's own split when it matches the line's text,
    else the line's box shared out by character position."""
    tokens = line.text.split()
    own = [w for w in line.words if w.text.strip()]
    if own and [w.text.strip() for w in own] == tokens and all(w.box for w in own):
        return [(w.text.strip(), w.confidence, _rect(w.box or ())) for w in own]
    return apportion(line.text, _rect(line.box), line.confidence)


def apportion(
    text: str, box: tuple[int, int, int, int], confidence: float
) -> list[tuple[str, float, tuple[int, int, int, int]]]:
    """The words of ``text`` read off ``box`` (left, top, width, height), each given the share of
    the box its characters take (a line recognizer reads no word boxes)."""
    left, top, width, height = box
    n = max(1, len(text))
    out: list[tuple[str, float, tuple[int, int, int, int]]] = []
    start = 0
    for token in text.split():
        start = text.index(token, start)
        end = start + len(token)
        x0, x1 = left + width * start / n, left + width * end / n
        out.append((token, confidence, (round(x0), top, max(1, round(x1 - x0)), height)))
        start = end
    return out


def _edges(quad: Sequence[tuple[float, float]]) -> tuple[float, float, float, float, float]:
    """A detected line's centre (x, y), its height, width and slope (dy/dx along its text),
    from its quadrilateral (clockwise from the top-left corner)."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad[:4]
    left_x, left_y = (x0 + x3) / 2, (y0 + y3) / 2
    right_x, right_y = (x1 + x2) / 2, (y1 + y2) / 2
    height = (abs(y3 - y0) + abs(y2 - y1)) / 2
    width = max(1.0, right_x - left_x)
    return (left_x + right_x) / 2, (left_y + right_y) / 2, max(1.0, height), width, (right_y - left_y) / width


SIDE_GAP = 2.0
"""Lines parted by a band this many line heights wide, top to bottom, may lie on different papers."""

OWN_TILT = 0.02
"""A column of lines whose tilt differs from the page's by more than this (dy/dx; about 1.1 degrees)
is levelled by its own: a receipt laid askew beside straight ones on a flatbed."""


def level_boxes(quads: Sequence[Sequence[tuple[float, float]]]) -> list[tuple[int, int, int, int]]:
    """The lines' boxes with the page's tilt taken out, for grouping into rows: on a photo taken at a
    slant, a row's label and its amount far to the right sit at different heights, and an upright
    box around a tilted line spans two rows. The tilt is the median slope of the long lines; a
    column of the page (:func:`paper_columns`) tilted otherwise is levelled about its own middle
    by its own."""
    geometry = [_edges(q) for q in quads if len(q) >= 4]
    if len(geometry) != len(quads):
        return [_rect(q) for q in quads]
    slopes = [g[4] for g in geometry if g[3] >= 4 * g[2]]
    tilt = statistics.median(slopes) if slopes else 0.0
    tilts, origins = [tilt] * len(geometry), [0.0] * len(geometry)
    for members in paper_columns(geometry):
        long = [geometry[i] for i in members if geometry[i][3] >= 4 * geometry[i][2]]
        own = statistics.median(g[4] for g in long) if long else tilt
        trend = _tilt_trend(long)
        if trend is None and abs(own - tilt) <= OWN_TILT:
            continue  # levelled by the page's tilt
        middle = statistics.median(geometry[i][0] for i in members)
        for i in members:
            tilts[i], origins[i] = (trend(geometry[i][1]) if trend is not None else own), middle
    out = []
    for (cx, cy, height, width, _), t, x0 in zip(geometry, tilts, origins, strict=True):
        level_y = cy - t * (cx - x0)
        out.append((round(cx - width / 2), round(level_y - height / 2), max(1, round(width)), max(1, round(height))))
    return out


TREND_LINES = 6
"""Long lines a column needs before its tilt may change from top to bottom."""

TREND_SAMPLE = 60
"""Long lines at most the trend is fitted through."""

TREND_MIN = 0.02
"""How much the tilt must change down a column (dy/dx, about 1.1 degrees) before it is followed."""


def _tilt_trend(long_lines: Sequence[tuple[float, float, float, float, float]]) -> Callable[[float], float] | None:
    """The tilt at each height of a column whose tilt changes down the page — a receipt photographed
    curled or at a slant, its top rising to the right and its foot falling — as a straight line
    through the long lines' slopes against their heights (Theil-Sen: the median of the pairs'
    gradients), kept within the slopes seen; None where the tilt barely changes."""
    if len(long_lines) < TREND_LINES:
        return None
    # pairs grow with the square of the lines: a long page's trend from an even sample of them
    step = max(1, len(long_lines) // TREND_SAMPLE)
    sample = sorted(long_lines, key=lambda g: g[1])[::step]
    ys = [g[1] for g in sample]
    slopes = [g[4] for g in sample]
    apart = 2 * statistics.median(g[2] for g in long_lines)
    gradients = [
        (slopes[j] - slopes[i]) / (ys[j] - ys[i])
        for i in range(len(ys))
        for j in range(i + 1, len(ys))
        if abs(ys[j] - ys[i]) >= apart
    ]
    if not gradients:
        return None
    b = statistics.median(gradients)
    if abs(b) * (max(ys) - min(ys)) < TREND_MIN:
        return None
    a = statistics.median(s - b * y for s, y in zip(slopes, ys, strict=True))
    lo, hi = min(slopes) - TREND_MIN / 2, max(slopes) + TREND_MIN / 2
    return lambda y: min(hi, max(lo, a + b * y))


def paper_columns(geometry: Sequence[tuple[float, float, float, float, float]]) -> list[list[int]]:
    """Indices of the lines (:func:`_edges`) by column: parted where a band :data:`SIDE_GAP` line
    heights (the median's) wide holds none from top to bottom, a column without a long line (a
    receipt's prices) joined to its neighbour on the left (or right). Several columns with long
    lines are receipts side by side, or the columns of one page."""
    if len(geometry) < 2:
        return [list(range(len(geometry)))]
    gap = SIDE_GAP * statistics.median(g[2] for g in geometry)
    columns = gutter_groups([(cx - width / 2, cx + width / 2) for cx, _, _, width, _ in geometry], gap)

    def has_long(column: list[int]) -> bool:
        return any(geometry[i][3] >= 4 * geometry[i][2] for i in column)

    joined: list[list[int]] = []
    for column in columns:
        if joined and not (has_long(column) and has_long(joined[-1])):
            joined[-1].extend(column)
        else:
            joined.append(list(column))
    return joined


CHAIN_GAP = 1.5
"""A line starting at most this many line heights after another ends (or overlapping it by a third
of that) carries it on when the two meet at the same height: one printed line the detector cut."""

CHAIN_RISE = 0.35
"""How far apart in line heights the two ends may stand where they meet."""


def chained(
    quads: Sequence[Sequence[tuple[float, float]]], boxes: Sequence[tuple[int, int, int, int]]
) -> list[tuple[int, int, int, int]]:
    """The levelled ``boxes`` (:func:`level_boxes`) with each line that carries on another moved to
    that line's height: a curled receipt's line comes out of the detector as pieces at different
    slopes ("HOLLYWOOD CAFE &" level, "SPORTS, BAR" rising), whose middles lie rows apart although
    they meet end to end."""
    out = list(boxes)
    if len(quads) < 2 or any(len(q) < 4 for q in quads):
        return out
    ends = []
    for q in quads:
        cx, cy, height, width, slope = _edges(q)
        half = width / 2
        ends.append((cx - half, cy - slope * half, cx + half, cy + slope * half, height))
    by_right = sorted(range(len(quads)), key=lambda k: ends[k][2])
    rights = [ends[k][2] for k in by_right]
    for b in sorted(range(len(quads)), key=lambda k: ends[k][0]):
        bx, by, _, _, bh = ends[b]
        best, best_gap = -1, math.inf
        # only lines ending near where this one starts (no line is more than 1.5 times as tall)
        lo = bisect.bisect_left(rights, bx - 1.5 * CHAIN_GAP * bh)
        hi = bisect.bisect_right(rights, bx + CHAIN_GAP / 3 * 1.5 * bh)
        for a in by_right[lo:hi]:
            _, _, ax, ay, ah = ends[a]
            h = min(ah, bh)
            gap = bx - ax
            if a == b or max(ah, bh) > 1.5 * h or not -CHAIN_GAP / 3 * h <= gap <= CHAIN_GAP * h:
                continue
            if abs(ay - by) <= CHAIN_RISE * h and abs(gap) < best_gap:
                best, best_gap = a, abs(gap)
        if best >= 0:
            left, _, width, height = out[b]
            _, atop, _, aheight = out[best]
            out[b] = (left, round(atop + aheight / 2 - height / 2), width, height)
    return out


def words_from_lines(lines: Sequence[DetectedLine], page: int = 1) -> list[Word]:
    """Words of a line engine's lines, numbered as Tesseract's psm 6 numbers them: one block and
    paragraph, a line number per visual row (so the extractors see label and amount together)."""
    words: list[Word] = []
    quads = [line.box for line in lines]
    for n, row in enumerate(rows(chained(quads, level_boxes(quads))), start=1):
        for i in row:
            for text, confidence, (left, top, width, height) in split_line(lines[i]):
                conf = max(0.0, min(READ_MAX, confidence))
                words.append(Word(text, left, top, width, height, conf, block=1, paragraph=1, line=n, page=page))
    return words


def segments(words: Sequence[Word], gap: float) -> list[list[Word]]:
    """Tesseract's lines cut where two neighbouring words stand more than ``gap`` line heights apart
    (a receipt's label and its amount): each piece is short enough for a line recognizer to read."""
    lines: dict[tuple[int, int, int, int], list[Word]] = {}
    for w in words:
        if w.text.strip():
            lines.setdefault((w.page, w.block, w.paragraph, w.line), []).append(w)
    out: list[list[Word]] = []
    for line in lines.values():
        line.sort(key=lambda w: w.left)
        height = statistics.median(w.height for w in line)
        piece = [line[0]]
        for w in line[1:]:
            previous = piece[-1]
            if w.left - (previous.left + previous.width) > gap * height:
                out.append(piece)
                piece = []
            piece.append(w)
        out.append(piece)
    return out


def box_of(words: Sequence[Word]) -> tuple[int, int, int, int]:
    """The rectangle (left, top, width, height) around ``words``."""
    left = min(w.left for w in words)
    top = min(w.top for w in words)
    right = max(w.left + w.width for w in words)
    bottom = max(w.top + w.height for w in words)
    return left, top, right - left, bottom - top


def reread_words(piece: Sequence[Word], text: str, confidence: float) -> list[Word]:
    """A piece of a Tesseract line read again as ``text``: its words, boxes shared out by character
    position over the piece, numbered as the piece's line."""
    first = piece[0]
    conf = max(0.0, min(READ_MAX, confidence))
    return [
        Word(token, left, top, width, height, conf, first.block, first.paragraph, first.line, first.page)
        for token, _, (left, top, width, height) in apportion(text, box_of(piece), conf)
    ]


def repair_slips(token: str, slips: Mapping[str, str]) -> str:
    """``token`` with its digits or signs read for letters put back (``slips``: character -> letter,
    from config) when every other character is a letter or punctuation and two at least are letters
    ("0CT", "SmokeBo×BBQ"). The letter takes the case of the letter before it (after it, first in
    the word): "Ta×" is "Tax", "BO×ES" "BOXES"."""
    letters = sum(c.isalpha() for c in token)
    if letters < 2 or not any(c in slips for c in token):
        return token
    if any(c.isdigit() and c not in slips for c in token):
        return token
    out: list[str] = []
    for i, c in enumerate(token):
        letter = slips.get(c)
        if letter is None:
            out.append(c)
            continue
        near = next((x for x in reversed(token[:i]) if x.isalpha()), None)
        near = near or next((x for x in token[i + 1 :] if x.isalpha()), None)
        out.append(letter.lower() if near is not None and near.islower() else letter.upper())
    return "".join(out)
