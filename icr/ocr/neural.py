"""The neural recognizer (PP-OCRv6 through rapidocr): the same :class:`~icr.types.OcrResult` as Tesseract.

Install with ``pip install 'icr[neural]'``. The engine is loaded once per worker
(:func:`icr.ocr.rapidocr_api.shared_api`); its detected lines become words through
:func:`icr.ocr.adapter.words_from_lines`, numbered as Tesseract numbers its lines.
``language`` and ``psm`` are accepted and ignored: the one multilingual Latin model
reads every page, and its detector finds the lines whatever the layout.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from icr.imaging.steps.scale import text_height
from icr.imaging.steps.util import u8
from icr.ocr.adapter import (
    box_of,
    gutter_groups,
    page_from_words,
    repair_slips,
    reread_words,
    segments,
    words_from_lines,
)
from icr.ocr.rapidocr_api import Declined, Quad, RapidOcrApi, RawLine, RawWord, shared_api
from icr.ocr.recognizer import text_layer_page
from icr.ocr.spacing import Spacing, respace, splittable
from icr.stages import Recognizer
from icr.types import CorrectedPage, Image, OcrPage, OcrResult, Word


@dataclass
class RapidOcrRecognizer:
    """Detection and recognition by the neural engine, one page at a time."""

    language: str = "eng"
    slips: dict[str, str] = field(default_factory=dict)
    """Digits the engine reads for letters inside words (``recognizer.letter_slips``)."""
    text_score: float = 0.5
    """Lines read with a lower score are left out."""
    det_side: int = 960
    """The page's longer side for detection, in pixels."""
    rec_width: int = 96
    """The narrowest a line is padded to for recognition, in pixels (at the model's 48 px height)."""
    small_text: float = 0.0
    """A page smaller than ``det_side`` whose letters are shorter than this (px) is enlarged towards
    it, at most to ``det_side``, before it is read (0: never)."""
    alphabet: str = ""
    """The characters the engine may read ("": every one its model knows)."""
    suspects: tuple[str, ...] = ()
    """Patterns of a token misread in a way a second look at its line can put right (the whole token)."""
    reread_pad: float = 0.3
    """The margin, in line heights, a suspect line's crop is read again with."""
    spacing: Spacing | None = None
    """Spaces the engine left out are put back where the line's crop shows a gap (None: never)."""
    det_model: str = "float"
    """The detector's weights: float (the wheel's) or int8 (icr's 8-bit copy of them)."""
    tile_aspect: float = 0.0
    """A page more than this many times taller than it is wide is read in overlapping pieces of that
    shape, each scaled to ``det_side`` on its own (0: always whole)."""
    other_scripts: OtherScripts | None = None
    """How a page in a script ``alphabet`` leaves out is told and read (None: never)."""
    zoom: float = 0.0
    """A page whose text fills so little of it that the detector would see that text at least this
    many times larger alone is read again cut to its text (0: never; see :func:`text_block`)."""
    retry_side: int = 0
    """A page larger than ``det_side`` that reads under ``retry_below`` characters is read again with
    its detector at this size (0: never): print that small on a large photo reaches the detector too
    small to be found at all."""
    retry_below: float = 20.0
    """The characters (weighed by confidence, :func:`read_weight`) a reading holds under which it is retried."""
    column_gap: float = 0.0
    """A page whose detected lines stand in columns parted by bands at least this many line heights wide,
    top to bottom (receipts side by side on a flatbed), is read column by column when the detector
    would see each column at least ``column_zoom`` times larger alone (0: never)."""
    column_zoom: float = 1.2
    """See ``column_gap``."""
    block_growth: int = 0
    """How many times a text block whose reading reaches its edge is widened and read again (0: never):
    the lines the detector found on the whole page may be only part of its text."""
    name: str = "rapidocr"
    _api: RapidOcrApi | None = field(default=None, init=False, repr=False)
    _seen: list[int] = field(default_factory=lambda: [0, 0], init=False, repr=False)
    """The page's detected lines so far and those of them read unsurely (``other_scripts.unsure_line``)."""

    @property
    def api(self) -> RapidOcrApi:
        if self._api is None:
            self._api = shared_api(self.text_score, self.det_side, self.rec_width, self.alphabet, self.det_model)
        return self._api

    @property
    def every_character(self) -> RapidOcrApi:
        """The engine with every character its model knows (loaded the first time a page needs it)."""
        return shared_api(self.text_score, self.det_side, self.rec_width, "", self.det_model)

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        out: list[OcrPage] = []
        for page in pages:
            if page.text_layer is not None and page.text_layer.strip():
                out.append(text_layer_page(page))
                continue
            self._seen[:] = [0, 0]
            words = [
                replace(w, text=repair_slips(w.text, self.slips))
                for w in words_from_lines(self._read(page.image), page.number)
            ]
            h, w = page.image.shape[:2]
            read = page_from_words(words, w, h, page.number)
            out.append(replace(read, lines_seen=self._seen[0], unread=self._seen[1]))
        return OcrResult(pages=out, engine=self.name, language=language or self.language)

    def _read(self, image: Image) -> list[RawLine]:
        """The engine's lines, in ``image``'s coordinates, read enlarged when its text is small, or cut
        to its text when that fills a small part of a large page."""
        want = wanted_scale(image, self.small_text, self.det_side)
        factor = min(want, self.det_side / max(image.shape[:2]))  # at most to the detector's size
        if factor < MIN_ENLARGEMENT:
            lines = self._retried(image, self._whole_or_block(image, most=want))
        else:
            # what the page's size leaves of the enlargement its print wants, its text block may have
            read = self._whole_or_block(enlarged(image, factor), most=want / factor)
            lines = [scaled(line, 1.0 / factor) for line in read]
        if self.spacing is not None:
            grey = image if image.ndim == 2 else u8(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
            lines = [self._respace(grey, line) for line in lines]
        return self._reread(image, lines) if self.suspects else lines

    def _detect(self, image: Image, declined: Declined | None = None) -> list[RawLine]:
        """The engine's lines of ``image``, a long strip read piece by piece (:func:`tiles`): the
        detector scales a whole page to ``det_side``, and a receipt six times longer than wide would
        reach it with letters a few pixels tall. ``declined``: see :meth:`_page_lines` (a page read
        in pieces is read whole)."""
        h, w = image.shape[:2]
        # only down a tall page: a cut across a wide one would go through its lines
        spans = tiles(h, w, self.tile_aspect)
        if len(spans) == 1:
            return self._page_lines(image, declined)
        lines: list[RawLine] = []
        for start, end, keep_from, keep_to in spans:
            for line in self._page_lines(np.ascontiguousarray(image[start:end])):
                centre = sum(y for _, y in line.box) / len(line.box) + start
                if keep_from <= centre < keep_to:  # a line cut by the piece's edge is whole in its neighbour
                    lines.append(scaled(line, 1.0, 0.0, float(start)))
        return lines

    def _whole_or_block(self, image: Image, split: bool = True, most: float = 1.0) -> list[RawLine]:
        """The page's lines, or the lines of the block of the page its text stands in, read alone: a
        receipt photographed on a table, or scanned small on a large page, reaches the detector shrunk
        with the whole page, and its small print goes undetected. The block is told from the lines the
        detector found on the whole page, before they are recognized, so that a page read again costs
        one more detection and not two recognitions. The detector also finds specks and edges that
        read as nothing, so the lines at the block's edges are read first, and those that read as
        nothing left out of it, until the lines it stands on read. Should the block's reading find
        fewer than half as many lines as the page's detector did, the page is read whole after all,
        and the reading that reads more of it (characters weighed by confidence) is kept. With
        ``split``, the page or its block is read column by column where its lines stand in columns
        (:meth:`_by_columns`). ``most``: how much more the page's print could be enlarged and gain (1.0:
        no more; the block is then read larger only by what the detector would have shrunk it)."""
        found: list[tuple[tuple[int, int, int, int], int]] = []
        columns: list[tuple[int, int]] = []
        # a block that can be enlarged is worth reading for any gain an enlargement is worth
        gain = min(self.zoom, MIN_ENLARGEMENT) if most > 1.0 else self.zoom

        def block_found(boxes: list[Quad], kept: Callable[[Sequence[int]], list[bool]]) -> bool:
            keep, unread = list(range(len(boxes))), set(range(len(boxes)))
            block = None
            while self.zoom > 0:
                block = text_block(image, [boxes[i] for i in keep], self.det_side, gain, self.tile_aspect, most)
                edge = [i for i in outermost([boxes[i] for i in keep], keep) if i in unread]
                if block is None or not edge:
                    break
                unread.difference_update(edge)
                nothing = {i for i, ok in zip(edge, kept(edge), strict=True) if not ok}
                keep = [i for i in keep if i not in nothing]
            if block is not None:
                found.append((block, len(keep)))
                return True
            if split:
                columns.extend(self._columns(image, boxes))
            return bool(columns)

        gated = self.zoom > 0 or (split and self.column_gap > 0)
        lines = self._detect(image, block_found if gated else None)
        if columns:
            return self._in_columns(image, columns, most)
        if not found:
            return lines
        block, page_lines = found[0]
        again = self._block_lines(image, block, split, most)
        for _ in range(self.block_growth):
            wider = grown_block(image, block, [line.box for line in again])
            if wider is None:
                break
            more = self._block_lines(image, wider, split, most)
            if read_weight(more) <= read_weight(again):
                break
            block, again = wider, more
        if 2 * len(again) >= page_lines:
            return again
        whole = self._detect(image)
        return again if read_weight(again) >= read_weight(whole) else whole

    def _block_lines(self, image: Image, block: tuple[int, int, int, int], split: bool, most: float) -> list[RawLine]:
        """The lines of ``block`` (x0, y0, x1, y1) of ``image`` read alone, enlarged as far as ``most``
        and the detector's size allow, in ``image``'s coordinates."""
        x0, y0, x1, y1 = block
        crop = np.ascontiguousarray(image[y0:y1, x0:x1])
        grow = min(most, self.det_side / block_side(x1 - x0, y1 - y0, self.tile_aspect))
        grow = grow if grow >= MIN_ENLARGEMENT else 1.0
        if grow > 1.0:
            crop = enlarged(crop, grow)
        read = self._split(crop, most / grow) if split else self._detect(crop)
        return [scaled(line, 1.0 / grow, x0, y0) for line in read]

    def _columns(self, image: Image, boxes: Sequence[Quad]) -> list[tuple[int, int]]:
        return text_columns(image, boxes, self.det_side, self.column_zoom, self.tile_aspect, self.column_gap)

    def _split(self, image: Image, most: float = 1.0) -> list[RawLine]:
        """``image``'s lines, read column by column where they stand in columns (:meth:`_by_columns`)."""
        if self.column_gap <= 0:
            return self._detect(image)
        columns: list[tuple[int, int]] = []

        def split(boxes: list[Quad], kept: Callable[[Sequence[int]], list[bool]]) -> bool:
            columns.extend(self._columns(image, boxes))
            return bool(columns)

        lines = self._detect(image, split)
        return self._in_columns(image, columns, most) if columns else lines

    def _in_columns(self, image: Image, columns: Sequence[tuple[int, int]], most: float = 1.0) -> list[RawLine]:
        """``image``'s lines read column by column (:meth:`_by_columns`), or read whole when every cut
        between them went through text."""
        by_column = self._by_columns(image, columns, most)
        return by_column if by_column is not None else self._detect(image)

    def _by_columns(self, image: Image, columns: Sequence[tuple[int, int]], most: float = 1.0) -> list[RawLine] | None:
        """The lines of each column of ``image`` (its x spans, :func:`text_columns`), each read as a page
        of its own (its own text block): receipts laid side by side on a flatbed reach the detector
        shrunk with the whole row of them. Where a line read reaches a cut between two columns, the
        cut went through text the detector had missed on the whole page: the two are read again as
        one. None when no cut is left."""
        w = image.shape[1]
        spans = list(columns)
        read: dict[tuple[int, int], list[RawLine]] = {}
        while len(spans) > 1:
            crossed: set[int] = set()  # the cuts (after the column of that index) a line reaches
            for k, (a, b) in enumerate(spans):
                if (a, b) not in read:
                    read[a, b] = self._whole_or_block(np.ascontiguousarray(image[:, a:b]), False, most)
                for line in read[a, b]:
                    xs = [x for x, _ in line.box]
                    if a > 0 and min(xs) <= CUT_MARGIN:
                        crossed.add(k - 1)
                    if b < w and max(xs) >= b - a - CUT_MARGIN:
                        crossed.add(k)
            if not crossed:
                return [scaled(line, 1.0, a, 0.0) for a, b in spans for line in read[a, b]]
            merged = [spans[0]]
            for k in range(1, len(spans)):
                if k - 1 in crossed:
                    merged[-1] = (merged[-1][0], spans[k][1])
                else:
                    merged.append(spans[k])
            spans = merged
        return None

    def _retried(self, image: Image, lines: list[RawLine]) -> list[RawLine]:
        """``lines``, or, when they read next to nothing of a page larger than the detector's size, the
        page read with the detector at ``retry_side`` if that reads more."""
        if self.retry_side <= self.det_side or max(image.shape[:2]) <= self.det_side:
            return lines
        if read_weight(lines) >= self.retry_below:
            return lines
        larger = shared_api(self.text_score, self.retry_side, self.rec_width, self.alphabet, self.det_model)
        again = larger.read(image)
        return again if read_weight(again) > read_weight(lines) else lines

    def _page_lines(self, image: Image, declined: Declined | None = None) -> list[RawLine]:
        """The engine's lines of ``image``; on a page in a script ``alphabet`` leaves out (Chinese,
        Japanese), its lines in that script read with every character the model knows. None are
        read (``[]``) when ``declined``, shown the boxes of the lines found, says so."""
        lines = self.api.read(image) if declined is None else self.api.read_unless(image, declined)
        if lines is None:
            return []
        rule = self.other_scripts
        if rule is None or not self.alphabet:
            return lines
        seen = self.api.seen
        unsure = [(crop, text) for crop, text, score in seen if rule.unsure_line(crop, text, score)]
        self._seen[0] += len(seen)
        self._seen[1] += len(unsure)
        if len(unsure) < rule.agree or len(unsure) < rule.share * len(seen):
            return lines
        # the widest unsure lines hold the most letters to tell a script by
        probes = sorted(unsure, key=lambda seen_line: -seen_line[0].shape[1])[: rule.probes]
        wider = self.every_character
        readings = wider.read_lines([crop for crop, _ in probes])
        known = frozenset(self.alphabet)
        other = sum(
            1 for text, score in readings if score >= rule.sure and foreign(normal(text), known) >= rule.letters
        )
        if other < min(rule.agree, len(probes)):
            return lines
        self._seen[1] -= len(unsure)  # read in the script the model knows (Chinese, Japanese)
        return merged(lines, [normalized(line) for line in wider.read(image)], known, rule.keep)

    def _respace(self, grey: Image, line: RawLine) -> RawLine:
        """``line`` with the spaces its crop shows and the engine left out (its words cut to match)."""
        if not line.columns or self.spacing is None or not splittable(line.text, self.spacing.digits > 0):
            return line
        crop = line_crop(grey, line.box)
        text = respace(line.text, [c * crop.shape[1] for c in line.columns], crop, self.spacing)
        if text == line.text:
            return line
        return RawLine(line.box, text, line.confidence, pieces(line.words, text), line.columns)

    def _reread(self, image: Image, lines: list[RawLine]) -> list[RawLine]:
        """Each line holding a suspect token read again from its crop with a wider margin; the second
        reading is kept when it has the same digits and the engine is surer of it ("110-00" read
        again as "110.00": the decimal point was read as a hyphen at low confidence)."""
        suspect = [re.compile(p) for p in self.suspects]
        picked = [
            i
            for i, line in enumerate(lines)
            if any(p.fullmatch(t.strip("()[]*:")) for t in line.text.split() for p in suspect)
        ]
        if not picked:
            return lines
        crops = [padded(line_crop(image, lines[i].box), self.reread_pad) for i in picked]
        out = list(lines)
        for i, (text, score) in zip(picked, self.api.read_lines(crops), strict=True):
            line = lines[i]
            if score > line.confidence and digits(text) == digits(line.text) and text.strip():
                out[i] = RawLine(line.box, text, score)
        return out

    def close(self) -> None:
        self._api = None  # the shared engine stays loaded for the worker's next recognizer


@dataclass(frozen=True)
class OtherScripts:
    """``recognizer.other_scripts``: when a page is taken to be in a script ``alphabet`` leaves out.

    The engine reads every page held to ``alphabet`` first; a line in another script then reads as
    nothing, as a few stray marks read unsurely (under ``unsure``), or as the few characters of it that
    are Latin ("30" of "北京市东城区前门大街30号": fewer than ``under`` characters per line height of
    its crop). A page where at least ``share`` of the detected lines (and ``agree`` of them) read so
    has its ``probes`` widest such lines read again with every character the model knows; when
    ``agree`` of them read at least ``sure`` with ``letters`` letters or more outside ``alphabet``,
    the page is read again so, and each of its lines holding such letters at least ``keep`` surely
    takes that reading (a rule of stars reads as a row of kanji, unsurely)."""

    share: float = 0.05
    unsure: float = 0.9
    under: float = 0.5
    probes: int = 2
    agree: int = 1
    sure: float = 0.9
    letters: int = 3
    keep: float = 0.7

    def unsure_line(self, crop: Image, text: str, score: float) -> bool:
        height, width = crop.shape[:2]
        read = len(text) - text.count(" ")
        return not read or score < self.unsure or read < self.under * width / max(1, height)


def normal(text: str) -> str:
    """``text`` in Unicode's compatibility form: full-width signs and digits (``￥１００``) as receipts'
    own (``¥100``)."""
    return unicodedata.normalize("NFKC", text)


def foreign(text: str, known: frozenset[str]) -> int:
    """How many of ``text``'s letters are not among ``known``."""
    return sum(1 for c in text if c.isalpha() and c not in known)


def normalized(line: RawLine) -> RawLine:
    """``line`` with its text and words in :func:`normal` form (its characters' places only while
    they still match its characters: "㈱" becomes three)."""
    text = normal(line.text)
    words = tuple(RawWord(normal(w.text), w.confidence, w.box) for w in line.words)
    return RawLine(line.box, text, line.confidence, words, line.columns if len(text) == len(line.text) else ())


def merged(
    lines: Sequence[RawLine], wider: Sequence[RawLine], known: frozenset[str], keep: float = 0.0
) -> list[RawLine]:
    """A page's lines read held to ``known`` characters (``lines``) and read with every character
    (``wider``; the same detector, so the same boxes): a line whose wider reading holds letters outside
    ``known`` and is at least ``keep`` sure takes it, every other line keeps its own."""

    def key(box: Quad) -> tuple[int, ...]:
        return tuple(round(v) for point in box for v in point)

    own = {key(line.box): line for line in lines}
    out: list[RawLine] = []
    for line in wider:
        if line.confidence >= keep and foreign(line.text, known):
            own.pop(key(line.box), None)
            out.append(line)
    out.extend(own.values())
    return out


def alphabet(ranges: Sequence[str]) -> str:
    """The characters of ``ranges``, each a hex code point or two joined by a hyphen ("0020-007E")."""
    out: list[str] = []
    for item in ranges:
        first, _, last = str(item).partition("-")
        out.extend(chr(c) for c in range(int(first, 16), int(last or first, 16) + 1))
    return "".join(out)


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def line_crop(image: Image, box: Quad) -> Image:
    """A detected line cut out of ``image`` and straightened, as the engine cuts it for reading."""
    points = np.asarray(box, dtype=np.float32)[:4]
    width = round(max(np.linalg.norm(points[0] - points[1]), np.linalg.norm(points[2] - points[3])))
    height = round(max(np.linalg.norm(points[0] - points[3]), np.linalg.norm(points[1] - points[2])))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(points, target)
    return u8(
        cv2.warpPerspective(
            image, matrix, (max(1, width), max(1, height)), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
        )
    )


def padded(crop: Image, pad: float) -> Image:
    """``crop`` with a margin of ``pad`` times its height on every side, its edge pixels repeated."""
    m = round(pad * crop.shape[0])
    return u8(cv2.copyMakeBorder(crop, m, m, m, m, cv2.BORDER_REPLICATE)) if m else crop


TILE_OVERLAP = 0.1
"""Neighbouring pieces of a long page share this share of a piece's length (more than a line's height)."""


def tiles(length: int, width: int, aspect: float) -> list[tuple[int, int, int, int]]:
    """How a page ``length`` tall and ``width`` wide is read in pieces at most ``aspect`` times longer
    than wide, overlapping by :data:`TILE_OVERLAP`: (start, end, keep from, keep to) along its length,
    a line kept from the piece whose share (up to the middle of each overlap) holds its centre. One
    piece when the page is not that long (or ``aspect`` is 0)."""
    piece = round(aspect * width)
    if aspect <= 0 or length <= piece:
        return [(0, length, 0, length)]
    overlap = round(TILE_OVERLAP * piece)
    count = -(-(length - overlap) // (piece - overlap))
    starts = [round(i * (length - piece) / (count - 1)) for i in range(count)]
    spans = []
    for i, start in enumerate(starts):
        keep_from = 0 if i == 0 else (start + starts[i - 1] + piece) // 2
        keep_to = length if i == count - 1 else (starts[i + 1] + start + piece) // 2
        spans.append((start, start + piece, keep_from, keep_to))
    return spans


ZOOM_MARGIN = 2.0
"""The margin a page's text block is cut with, in its lines' median height."""


def block_margin(boxes: Sequence[Quad]) -> float:
    """The margin a block is drawn with round ``boxes``: :data:`ZOOM_MARGIN` times their median height."""
    heights = sorted(abs(box[3][1] - box[0][1]) for box in boxes)
    return ZOOM_MARGIN * heights[len(heights) // 2]


def text_block(
    image: Image, boxes: Sequence[Quad], det_side: int, zoom: float, tile_aspect: float = 0.0, most: float = 1.0
) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1) around every line's box of ``boxes`` with a margin, when the detector would
    see it at least ``zoom`` times larger than the whole page (it scales the longer side of what it
    reads to ``det_side``, of each piece for a long block; and what is read may be enlarged up to
    ``most`` times, small print on a small page); else None. A page read in tiles is left alone: its
    pieces are scaled on their own."""
    if zoom <= 0 or not boxes:
        return None
    h, w = image.shape[:2]
    if len(tiles(h, w, tile_aspect)) > 1:
        return None
    xs = [x for box in boxes for x, _ in box]
    ys = [y for box in boxes for _, y in box]
    pad = block_margin(boxes)
    x0, y0 = max(0, int(min(xs) - pad)), max(0, int(min(ys) - pad))
    x1, y1 = min(w, int(max(xs) + pad) + 1), min(h, int(max(ys) + pad) + 1)
    page = min(most, det_side / max(h, w))
    block = min(most, det_side / block_side(x1 - x0, y1 - y0, tile_aspect))
    return (x0, y0, x1, y1) if block >= zoom * page else None


def grown_block(
    image: Image, block: tuple[int, int, int, int], boxes: Sequence[Quad]
) -> tuple[int, int, int, int] | None:
    """``block`` widened where ``boxes`` (the lines its reading found) reach within half the margin
    :func:`text_block` gives them of one of its sides short of the page's edge: text goes on past it
    that the detector missed on the whole page, maybe far (a block drawn round the few lines found on
    a large photo), so that side moves out past them by half the block's extent, or by the margin
    when that is more; None when no line reaches a side."""
    if not boxes:
        return None
    h, w = image.shape[:2]
    pad = block_margin(boxes)
    x0, y0, x1, y1 = block
    left, top = min(x for box in boxes for x, _ in box), min(y for box in boxes for _, y in box)
    right, bottom = max(x for box in boxes for x, _ in box), max(y for box in boxes for _, y in box)
    near = pad / 2
    across, down = max(pad, (x1 - x0) / 2), max(pad, (y1 - y0) / 2)
    wider = (
        max(0, int(left - across)) if x0 > 0 and left - x0 < near else x0,
        max(0, int(top - down)) if y0 > 0 and top - y0 < near else y0,
        min(w, int(right + across) + 1) if x1 < w and x1 - right < near else x1,
        min(h, int(bottom + down) + 1) if y1 < h and y1 - bottom < near else y1,
    )
    return wider if wider != block else None


def block_side(width: int, height: int, tile_aspect: float) -> int:
    """The longer side the detector scales of a block this size: a block far longer than wide is
    read in pieces (:func:`tiles`), each scaled on its own."""
    piece = max(end - start for start, end, _, _ in tiles(height, width, tile_aspect))
    return max(width, piece)


CUT_MARGIN = 2.0
"""A line read within this many pixels of a cut between columns was cut through."""


def text_columns(
    image: Image, boxes: Sequence[Quad], det_side: int, zoom: float, tile_aspect: float, gap: float
) -> list[tuple[int, int]]:
    """The x spans (left, right) of the page's columns of text: its lines' boxes parted where a band at
    least ``gap`` line heights (the median's) wide holds none from top to bottom, the page cut in the
    middle of each such band (text the detector missed on the whole page stays in its column); []
    when there is one column, or when the detector would not see every column, the page's height
    tall, at least ``zoom`` times larger alone than within the page (it scales the longer side of what
    it reads to ``det_side``, of each piece for a long column)."""
    if gap <= 0 or len(boxes) < 2:
        return []
    h, w = image.shape[:2]
    rects = [(min(x for x, _ in b), max(x for x, _ in b), max(y for _, y in b) - min(y for _, y in b)) for b in boxes]
    height = sorted(r[2] for r in rects)[len(rects) // 2]
    if height <= 0:
        return []
    groups = gutter_groups([(r[0], r[1]) for r in rects], gap * height)
    if len(groups) < 2:
        return []
    spans = [(min(rects[i][0] for i in g), max(rects[i][1] for i in g)) for g in groups]
    cuts = [0, *(round((a[1] + b[0]) / 2) for a, b in itertools.pairwise(spans)), w]
    page = min(1.0, det_side / max(h, w))
    out = list(itertools.pairwise(cuts))
    for a, b in out:
        piece = max(end - start for start, end, _, _ in tiles(h, b - a, tile_aspect))
        if min(1.0, det_side / max(b - a, piece)) < zoom * page:
            return []
    return out


def outermost(boxes: Sequence[Quad], ids: Sequence[int]) -> list[int]:
    """The ids (``ids[i]`` names ``boxes[i]``) of the boxes that reach furthest left, up, right and
    down: the ones a block around them all stands on."""
    if not boxes:
        return []
    reach = [
        min(range(len(boxes)), key=lambda i: min(x for x, _ in boxes[i])),
        min(range(len(boxes)), key=lambda i: min(y for _, y in boxes[i])),
        max(range(len(boxes)), key=lambda i: max(x for x, _ in boxes[i])),
        max(range(len(boxes)), key=lambda i: max(y for _, y in boxes[i])),
    ]
    return [ids[i] for i in dict.fromkeys(reach)]


def read_weight(lines: Sequence[RawLine]) -> float:
    """How much of a page ``lines`` read: their characters, each weighed by its line's confidence."""
    return sum(len(line.text.replace(" ", "")) * line.confidence for line in lines)


MIN_ENLARGEMENT = 1.2
"""Enlarging a page by less than this is not worth a second look at its size: it is read as it is."""


def wanted_scale(image: Image, small_text: float, det_side: int) -> float:
    """How much ``image``'s print would have to be enlarged to be ``small_text`` px tall (1.0: not at all).

    The detector sees a page no larger than ``det_side`` at its own size, so on a small photo
    (a few hundred pixels) small print stays a few pixels tall for it and for the recognizer's line
    crops, and whole lines go unread; a larger page is reduced for the detector anyway and read as
    it is. Only pages smaller than ``det_side`` are measured (cheap at that size)."""
    if small_text <= 0 or max(image.shape[:2]) >= det_side:
        return 1.0
    height = text_height(image)
    return small_text / height if 0 < height < small_text else 1.0


def enlarged(image: Image, factor: float) -> Image:
    return u8(cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC))


def pieces(words: Sequence[RawWord], text: str) -> tuple[RawWord, ...]:
    """``words`` cut where ``text`` (their text with spaces put in) has new spaces: each piece gets
    the share of its word's box its characters take, and the word's confidence (``()`` when the
    words are not ``text``'s)."""
    tokens = text.split()
    if not words or "".join(w.text.strip() for w in words) != "".join(tokens):
        return ()
    out: list[RawWord] = []
    k = 0
    for word in words:
        size, taken, parts = len(word.text.strip()), 0, []
        while taken < size and k < len(tokens):
            parts.append(tokens[k])
            taken += len(tokens[k])
            k += 1
        if taken != size or word.box is None or len(word.box) < 4:
            return ()
        top_left, top_right, bottom_right, bottom_left = word.box[:4]
        start = 0
        for part in parts:
            f0, f1 = start / size, (start + len(part)) / size
            start += len(part)
            quad = (
                _along(top_left, top_right, f0),
                _along(top_left, top_right, f1),
                _along(bottom_left, bottom_right, f1),
                _along(bottom_left, bottom_right, f0),
            )
            out.append(RawWord(part, word.confidence, quad))
    return tuple(out)


def _along(a: tuple[float, float], b: tuple[float, float], f: float) -> tuple[float, float]:
    return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f


def scaled(line: RawLine, factor: float, dx: float = 0.0, dy: float = 0.0) -> RawLine:
    """``line`` with its box and its words' boxes scaled by ``factor``, then moved by ``dx``, ``dy``."""

    def quad(points: Quad) -> Quad:
        return tuple((x * factor + dx, y * factor + dy) for x, y in points)

    words = tuple(RawWord(w.text, w.confidence, None if w.box is None else quad(w.box)) for w in line.words)
    return RawLine(quad(line.box), line.text, line.confidence, words, line.columns)


def crop(image: Image, box: tuple[int, int, int, int], pad_x: float, pad_y: float) -> Image:
    """``box`` (left, top, width, height) cut out of ``image`` with a margin, clipped to the page."""
    left, top, width, height = box
    h, w = image.shape[:2]
    x0, y0 = max(0, round(left - pad_x)), max(0, round(top - pad_y))
    x1, y1 = min(w, round(left + width + pad_x)), min(h, round(top + height + pad_y))
    return image[y0:y1, x0:x1]


@dataclass
class HybridRecognizer:
    """Tesseract finds the lines (its layout and line numbers stay); the neural recognizer reads them,
    each line cut where its words stand more than ``gap`` line heights apart."""

    layout: Recognizer
    gap: float = 1.2
    name: str = "hybrid"
    _api: RapidOcrApi | None = field(default=None, init=False, repr=False)

    @property
    def api(self) -> RapidOcrApi:
        if self._api is None:
            self._api = shared_api()
        return self._api

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        first = self.layout.recognize(pages, language=language, psm=psm)
        out: list[OcrPage] = []
        for page, read in zip(pages, first.pages, strict=True):
            if page.text_layer is not None and page.text_layer.strip():
                out.append(read)
                continue
            pieces = segments(read.words, self.gap)
            crops = []
            for piece in pieces:
                box = box_of(piece)
                crops.append(crop(page.image, box, 0.3 * box[3], 0.2 * box[3]))
            words: list[Word] = []
            for piece, (text, confidence) in zip(pieces, self.api.read_lines(crops), strict=True):
                words.extend(reread_words(piece, text, confidence))
            out.append(page_from_words(words, read.width, read.height, page.number))
        return replace(first, pages=out, engine=self.name)

    def close(self) -> None:
        self.layout.close()
        self._api = None
