"""Zonal templates: a fixed-layout form's fields read where the template says they are.

A template's ``layout`` (YAML, validated when the template loads)::

    layout:
      page_size: [1700, 2200]          # the reference page the boxes are measured on (px)
      date_order: month_first          # optional: how the date zones are written (default day_first)
      anchors:                         # printed texts that place the page: at least two
        - {text: "LEAVE REQUEST FORM", box: [560, 120, 1140, 175]}
        - {text: "Employee number", box: [120, 380, 420, 420]}
      zones:                           # where each field is: a box on the reference page
        employee: {box: [450, 300, 1200, 350], kind: text}
        days: {box: [450, 460, 700, 510], kind: number}
        approved: {box: [120, 900, 160, 940], kind: checkbox}
        signed: {box: [900, 1500, 1500, 1620], kind: signature}

The scan is registered to the reference page by its anchors (found by their words, alike at
rapidfuzz ratio 80): a shift, a uniform scale and a small rotation fitted to the anchors' corners,
so a skewed, shrunk or shifted copy still finds its zones. A zone of kind text, number, date,
amount or handwriting takes the words read inside it; a handwriting zone, and a text, number,
amount or date zone marked ``handwritten: true``, is read by the handwriting recognizer when one is
given and sure enough, else by the page's engine (each value records which engine read it), with the
field grammar the zone names (``grammar: date``; a handwritten number, amount or date zone reads
with the grammar named as its kind, ``config/htr.yaml``); checkbox and signature zones are decided
by their ink.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import regex
from rapidfuzz import fuzz

from icr.errors import TemplateError
from icr.forms.checkbox import CheckboxOptions, ink_mask, inside_ink, state
from icr.forms.keyvalue import repair_digits
from icr.text.parsers import PARSERS, ParseOptions
from icr.types import Box, Checkbox, CropReading, FormPair, Image, OcrResult, Word

ZONE_KINDS = ("text", "number", "date", "amount", "checkbox", "signature", "handwriting")
TYPED_KINDS = ("number", "amount", "date")
ANCHOR_MATCH = 80.0
REREAD_SCALES = (1.0, 1.5, 0.7)
"""A typed zone that does not parse is read alone at these sizes, until one parses (a thin slash
read as 7 at one size is a slash at another)."""
HANDWRITING_CONFIDENCE = 0.5
"""A handwriting zone takes the handwriting recognizer's reading from this confidence (else the words
the default engine read there)."""
SIGNATURE_INK = 0.01
"""A signature zone with this share of ink or more is signed."""


@dataclass(frozen=True)
class Anchor:
    text: str
    box: Box


@dataclass(frozen=True)
class Zone:
    name: str
    box: Box
    kind: str = "text"
    handwritten: bool = False
    """Read by the handwriting recognizer (always so for kind handwriting)."""
    grammar: str | None = None
    """The field grammar it reads with (``config/htr.yaml``); a handwritten number, amount or date
    zone without one reads with the grammar named as its kind."""

    @property
    def by_hand(self) -> bool:
        return self.handwritten or self.kind == "handwriting"

    @property
    def hand_grammar(self) -> str | None:
        return self.grammar or (self.kind if self.kind in TYPED_KINDS else None)


@dataclass(frozen=True)
class ZonalLayout:
    page_size: tuple[int, int]
    anchors: tuple[Anchor, ...]
    zones: tuple[Zone, ...]
    day_first: bool = True


def _box(path: Path | str, key: str, value: Any, size: tuple[int, int] | None) -> Box:
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise TemplateError(path, key, "must be a box [x0, y0, x1, y1] in pixels")
    x0, y0, x1, y1 = (int(v) for v in value)
    if x1 <= x0 or y1 <= y0:
        raise TemplateError(path, key, "an empty box: x1 must exceed x0 and y1 y0")
    if size is not None and (x0 < 0 or y0 < 0 or x1 > size[0] or y1 > size[1]):
        raise TemplateError(path, key, f"lies outside the page ({size[0]} x {size[1]})")
    return (x0, y0, x1, y1)


def parse_layout(data: Any, path: Path | str) -> ZonalLayout:
    """Validate a template's ``layout``; a problem is a :class:`TemplateError` naming the key."""
    if not isinstance(data, dict):
        raise TemplateError(path, "layout", "must be a mapping with page_size, anchors and zones")
    unknown = set(data) - {"page_size", "anchors", "zones", "date_order"}
    if unknown:
        raise TemplateError(
            path, f"layout.{sorted(unknown)[0]}", "unknown key (allowed: anchors, date_order, page_size, zones)"
        )
    size = data.get("page_size")
    if not (isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size)):
        raise TemplateError(path, "layout.page_size", "must be [width, height] in pixels")
    page = (int(size[0]), int(size[1]))
    order = data.get("date_order", "day_first")
    if order not in ("day_first", "month_first"):
        raise TemplateError(path, "layout.date_order", "must be day_first or month_first")
    raw_anchors = data.get("anchors")
    if not isinstance(raw_anchors, list) or len(raw_anchors) < 2:
        raise TemplateError(path, "layout.anchors", "needs at least two anchors ({text, box}) to place the page")
    anchors = []
    for i, a in enumerate(raw_anchors):
        key = f"layout.anchors[{i}]"
        if (
            not isinstance(a, dict)
            or set(a) != {"text", "box"}
            or not isinstance(a["text"], str)
            or not a["text"].strip()
        ):
            raise TemplateError(path, key, "must be {text: printed words, box: [x0, y0, x1, y1]}")
        anchors.append(Anchor(a["text"].strip(), _box(path, f"{key}.box", a["box"], page)))
    raw_zones = data.get("zones")
    if not isinstance(raw_zones, dict) or not raw_zones:
        raise TemplateError(path, "layout.zones", "must be a mapping of zone name to {box, kind}")
    zones = []
    for name, z in raw_zones.items():
        key = f"layout.zones.{name}"
        if not isinstance(name, str) or not regex.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise TemplateError(path, key, "zone names are lower_case words")
        if not isinstance(z, dict) or not set(z) <= {"box", "kind", "handwritten", "grammar"} or "box" not in z:
            raise TemplateError(path, key, "must be {box: [x0, y0, x1, y1], kind: ..., handwritten: ..., grammar: ...}")
        kind = z.get("kind", "text")
        if kind not in ZONE_KINDS:
            raise TemplateError(path, f"{key}.kind", f"unknown kind '{kind}' (known: {', '.join(ZONE_KINDS)})")
        hand = z.get("handwritten", False)
        if not isinstance(hand, bool) or (hand and kind not in ("text", *TYPED_KINDS)):
            raise TemplateError(path, f"{key}.handwritten", "true or false, for a text, number, amount or date zone")
        grammar = z.get("grammar")
        if grammar is not None and (
            not isinstance(grammar, str) or not regex.fullmatch(r"[a-z][a-z0-9_]*", grammar)
        ):
            raise TemplateError(path, f"{key}.grammar", "the name of a grammar of config/htr.yaml")
        if grammar is not None and not (hand or kind == "handwriting"):
            raise TemplateError(path, f"{key}.grammar", "only a handwritten zone reads with a grammar")
        zones.append(Zone(name, _box(path, f"{key}.box", z["box"], page), kind, hand, grammar))
    return ZonalLayout(page, tuple(anchors), tuple(zones), order == "day_first")


def _norm(text: str) -> str:
    return regex.sub(r"\s+", " ", text).strip().upper()


def find_anchor(anchor: Anchor, words: Sequence[Word]) -> Box | None:
    """Where the anchor's words are printed: the run of words on one line most alike to them."""
    n = len(anchor.text.split())
    want = _norm(anchor.text)
    rows: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        rows.setdefault((w.block, w.paragraph, w.line), []).append(w)
    best: tuple[float, Box] | None = None
    for row in rows.values():
        row.sort(key=lambda w: w.left)
        for size in {max(1, n - 1), n, n + 1}:
            for i in range(0, max(1, len(row) - size + 1)):
                run = row[i : i + size]
                score = fuzz.ratio(_norm(" ".join(w.text for w in run)), want)
                if score >= ANCHOR_MATCH and (best is None or score > best[0]):
                    box = (
                        min(w.left for w in run),
                        min(w.top for w in run),
                        max(w.left + w.width for w in run),
                        max(w.top + w.height for w in run),
                    )
                    best = (score, box)
    return best[1] if best else None


def register(layout: ZonalLayout, words: Sequence[Word]) -> np.ndarray | None:
    """The 2x3 similarity transform (shift, scale, rotation) from the reference page to the scan,
    fitted to the anchors found (at least two); None when fewer are found."""
    src: list[tuple[float, float]] = []
    dst: list[tuple[float, float]] = []
    for anchor in layout.anchors:
        found = find_anchor(anchor, words)
        if found is None:
            continue
        ax0, ay0, _ax1, ay1 = anchor.box
        fx0, fy0, _fx1, fy1 = found
        # The left edge and the middle of the line: OCR boxes end where the letters do, not the template's box.
        src += [(ax0, (ay0 + ay1) / 2), (ax0, ay1)]
        dst += [(fx0, (fy0 + fy1) / 2), (fx0, fy1)]
    if len(src) < 4:
        return None
    import cv2  # the parent of a worker pool never loads OpenCV (tests/test_memory.py)

    points = np.array(src, dtype=np.float32), np.array(dst, dtype=np.float32)
    matrix, _ = cv2.estimateAffinePartial2D(*points, method=cv2.LMEDS)
    return matrix


def map_box(matrix: np.ndarray, box: Box) -> Box:
    """A reference box's place on the scan: the box around its four mapped corners."""
    import cv2

    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=np.float32).reshape(-1, 1, 2)
    mapped = cv2.transform(corners, matrix).reshape(-1, 2)
    return (
        round(float(mapped[:, 0].min())),
        round(float(mapped[:, 1].min())),
        round(float(mapped[:, 0].max())),
        round(float(mapped[:, 1].max())),
    )


def _words_in(box: Box, words: Sequence[Word]) -> list[Word]:
    """The words whose middle is inside ``box``, in reading order (rows top down, each left to right)."""
    inside = sorted(
        (
            w
            for w in words
            if box[0] <= w.left + w.width / 2 <= box[2] and box[1] <= w.top + w.height / 2 <= box[3] and w.text.strip()
        ),
        key=lambda w: w.top + w.height / 2,
    )
    rows: list[list[Word]] = []
    for w in inside:
        middle = w.top + w.height / 2
        if rows and abs(middle - (rows[-1][0].top + rows[-1][0].height / 2)) <= rows[-1][0].height / 2:
            rows[-1].append(w)
        else:
            rows.append([w])
    return [w for row in rows for w in sorted(row, key=lambda w: w.left)]


def _typed(kind: str, text: str, options: ParseOptions) -> Decimal | dt.date | None:
    """A number, amount or date zone's value as Decimal or date (None when it does not parse)."""
    if not text or kind not in ("number", "amount", "date"):
        return None
    value = PARSERS["date" if kind == "date" else "amount"](text, options)
    return value if isinstance(value, Decimal | dt.date) else None


def read_zones(
    layout: ZonalLayout,
    ocr: OcrResult,
    image: Image,
    page: int = 1,
    digit_slips: Mapping[str, str] | None = None,
    reread: Callable[[Image], str] | None = None,
    handwriting: Callable[[Image, str | None], CropReading | None] | None = None,
) -> tuple[list[FormPair], list[Checkbox]]:
    """Each zone's value on a registered page (boxes in the page's pixels). A page whose anchors
    are not found gives no values: a zone read in the wrong place would be a wrong value. A number,
    amount or date zone whose words do not parse is read again alone (``reread``, one line), then
    by ``handwriting`` held to its kind's grammar. A handwritten zone is read by ``handwriting`` (a
    crop and the zone's grammar) when it is given, and its reading taken when it is sure enough."""
    words = [w for p in ocr.pages if p.number == page for w in p.words]
    matrix = register(layout, words)
    if matrix is None:
        return [], []
    clip = (0, 0, image.shape[1], image.shape[0])
    mask = ink_mask(image)
    options = ParseOptions(day_first=layout.day_first)
    pairs: list[FormPair] = []
    boxes: list[Checkbox] = []
    for zone in layout.zones:
        x0, y0, x1, y1 = map_box(matrix, zone.box)
        box = (max(x0, clip[0]), max(y0, clip[1]), min(x1, clip[2]), min(y1, clip[3]))
        if box[2] <= box[0] or box[3] <= box[1]:
            continue
        if zone.kind == "checkbox":
            boxes.append(Checkbox(zone.name, state(inside_ink(mask, box), CheckboxOptions()), box, page))
            continue
        if zone.kind == "signature":
            signed = inside_ink(mask, box) >= SIGNATURE_INK
            pairs.append(
                FormPair(zone.name, "present" if signed else "absent", 1.0, page, None, box, "signature", signed)
            )
            continue
        inside = _words_in(box, words)
        text = " ".join(w.text for w in inside).strip()
        confidence = round(sum(w.confidence for w in inside) / len(inside), 3) if inside else 0.0
        engine = ocr.engine
        crop = np.ascontiguousarray(image[box[1] : box[3], box[0] : box[2]])
        if zone.by_hand and handwriting is not None:
            written = handwriting(crop, zone.hand_grammar)
            if written is not None and written.text.strip() and written.confidence >= HANDWRITING_CONFIDENCE:
                text, confidence, engine = " ".join(written.text.split()), round(written.confidence, 3), written.engine
        if zone.kind in ("number", "amount", "date"):
            text = repair_digits(text, digit_slips or {})
        typed = _typed(zone.kind, text, options)
        if typed is None and text and zone.kind in ("number", "amount", "date") and reread is not None:
            import cv2

            for scale in REREAD_SCALES:
                sized = (
                    crop if scale == 1.0 else cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
                )
                again = repair_digits(" ".join(reread(np.ascontiguousarray(sized)).split()), digit_slips or {})
                if _typed(zone.kind, again, options) is not None:
                    text, typed, engine = again, _typed(zone.kind, again, options), ocr.engine
                    break
        if typed is None and zone.kind in TYPED_KINDS and not zone.by_hand and handwriting is not None:
            # a number or date written by hand in a zone the template did not mark so: its grammar
            # holds the handwriting recognizer to a value of the zone's kind
            written = handwriting(crop, zone.kind)
            if written is not None and written.confidence >= HANDWRITING_CONFIDENCE:
                again = " ".join(written.text.split())
                value = _typed(zone.kind, again, options)
                if value is not None:
                    text, typed, engine, confidence = again, value, written.engine, round(written.confidence, 3)
        pairs.append(FormPair(zone.name, text, confidence, page, None, box, zone.kind, typed, engine))
    return pairs, boxes
