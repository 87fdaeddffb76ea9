"""Plain data passed between the four stages.

Everything here is picklable (it crosses process boundaries) and free of
library objects: images are numpy arrays, amounts are ``Decimal``, dates are
``datetime.date``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
"""A grayscale (H, W) or BGR (H, W, 3) image, as OpenCV reads it."""

TypedValue = Decimal | dt.date | dt.time | int | str | None


@dataclass(frozen=True)
class Word:
    """One word Tesseract read, with its box and confidence (0..1); ``engine`` names another
    recognizer that read it again (empty: the page's own)."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float
    block: int = 0
    paragraph: int = 0
    line: int = 0
    page: int = 1
    engine: str = ""


def words_box(words: Sequence[Word]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) around the words; zeros when there are none."""
    if not words:
        return (0, 0, 0, 0)
    return (
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.left + w.width for w in words),
        max(w.top + w.height for w in words),
    )


@dataclass(frozen=True)
class CropReading:
    """What a recognizer of crops (the handwriting recognizer) read in one: the text, its confidence
    (0..1), the engine's name, and per word its text, confidence and place along the crop (``start``
    to ``end``, shares of the crop's width; empty when the engine gives none)."""

    text: str
    confidence: float
    engine: str
    words: tuple[tuple[str, float, float, float], ...] = ()


@dataclass(frozen=True)
class TextLine:
    """One line of text in reading order, with the mean confidence (0..1) of its words."""

    text: str
    confidence: float = 1.0
    words: tuple[Word, ...] = ()
    page: int = 1

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) around the words; zeros when there are none."""
        return words_box(self.words)


@dataclass
class Page:
    """One page of a document: the image and where it came from."""

    image: Image
    number: int = 1
    dpi: float | None = None
    text_layer: str | None = None
    """Text taken from a PDF page's own text layer, when it has one (no OCR needed)."""


@dataclass
class CorrectedPage:
    """A page after the image corrector, with what each step did and how long it took."""

    image: Image
    number: int = 1
    steps: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    info: dict[str, float] = field(default_factory=dict)
    """Measurements worth keeping, e.g. {"skew_degrees": 2.5, "rotation": 90, "scale": 1.6}."""
    text_layer: str | None = None


@dataclass
class OcrPage:
    """What the recognizer read on one page."""

    text: str
    words: list[Word]
    width: int = 0
    height: int = 0
    number: int = 1
    lines_seen: int = 0
    """The text lines the recognizer detected (0: one that does not tell, Tesseract)."""
    unread: int = 0
    """Of them, those it read as nothing or unsurely: a page in a script its model lacks leaves most
    so (:mod:`icr.ocr.scripts`)."""

    def lines(self) -> list[TextLine]:
        """Group words into lines by Tesseract's (block, paragraph, line) numbers."""
        groups: dict[tuple[int, int, int], list[Word]] = {}
        for w in self.words:
            if w.text.strip():
                groups.setdefault((w.block, w.paragraph, w.line), []).append(w)
        out: list[TextLine] = []
        for ws in groups.values():  # Tesseract's reading order, kept
            conf = sum(w.confidence for w in ws) / len(ws)
            out.append(TextLine(" ".join(w.text for w in ws), conf, tuple(ws), self.number))
        return out


@dataclass
class OcrResult:
    """The recognizer's output for a whole document."""

    pages: list[OcrPage]
    engine: str = ""
    language: str = "eng"

    @property
    def text(self) -> str:
        return "\f".join(p.text for p in self.pages)

    @property
    def words(self) -> list[Word]:
        return [w for p in self.pages for w in p.words]

    def lines(self) -> list[TextLine]:
        return [line for p in self.pages for line in p.lines()]

    @property
    def mean_confidence(self) -> float:
        ws = [w.confidence for w in self.words if w.text.strip()]
        return sum(ws) / len(ws) if ws else 0.0


@dataclass(frozen=True)
class FieldValue:
    """One extracted field.

    ``value`` is the normalized string (ISO date ``2013-07-04``, amount ``12.59``);
    ``typed`` the same as a Python value (``Decimal``, ``datetime.date``, ...);
    ``raw`` the text it came from; ``confidence`` in [0, 1].
    """

    name: str
    value: str
    typed: TypedValue = None
    raw: str = ""
    confidence: float = 0.0
    source: str = ""
    """How it was found, e.g. "keyword", "template", "arithmetic", "static"."""
    page: int = 0
    """The page the value was read on (1-based; 0: not located on a page)."""
    box: tuple[int, int, int, int] | None = None
    """(left, top, right, bottom) around the words it was read from, in that page's corrected image."""
    margin: float | None = None
    """How far the value led the best candidate of another value in its extractor's scoring (None:
    no rival was scored, or the value was not chosen by scoring): a close call is less sure."""


@dataclass(frozen=True)
class LineItem:
    description: str
    amount: Decimal | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    raw: str = ""


@dataclass
class Extraction:
    """The text corrector's output."""

    fields: dict[str, FieldValue]
    corrected_text: str = ""
    doc_type: str = "receipt"
    template: str | None = None
    template_score: float = 0.0
    line_items: list[LineItem] = field(default_factory=list)
    needs_review: bool = False
    review_reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Required fields that were not found."""


Box = tuple[int, int, int, int]
"""(x0, y0, x1, y1) in pixels of the page image as loaded."""


def box_overlap(a: Box, b: Box) -> float:
    """The share of the smaller of two boxes that they share (0: apart, or a box of no area)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller if smaller else 0.0


@dataclass(frozen=True)
class FormPair:
    """One key/value pair read off a form: a question and its answer, or a template's zone.

    ``typed`` is set when a zone declares a type (``Decimal`` for number and amount,
    ``datetime.date``, ``bool`` for a signature present); ``kind`` names that type. ``engine``
    names what read the value: the page's recognizer (``OcrResult.engine``), the handwriting
    recognizer (``htr``) for a handwriting zone or the lines of an answer it read, empty for a
    value seen in the ink alone (a signature)."""

    key: str
    value: str
    confidence: float
    page: int = 1
    key_box: Box | None = None
    value_box: Box | None = None
    kind: str = "text"
    typed: Decimal | dt.date | bool | None = None
    engine: str = ""


@dataclass(frozen=True)
class Checkbox:
    """A tick box: ``checked`` True (ticked), False (empty) or None (unsure)."""

    label: str
    checked: bool | None
    box: Box
    page: int = 1
    confidence: float = 1.0


@dataclass
class FormData:
    """What the forms step read off a document of kind ``form``."""

    pairs: list[FormPair] = field(default_factory=list)
    checkboxes: list[Checkbox] = field(default_factory=list)
    template: str | None = None
    """The zonal template the form was registered to, if any."""
    segments: list[tuple[str, str]] = field(default_factory=list)
    """(label, text) of every text segment: header, question, answer or other (for evaluation; not stored)."""


@dataclass
class DocumentResult:
    """Everything the worker side produced for one document; the parent stores it."""

    source: str
    sha256: str
    status: str  # "ok" | "failed"
    error: str | None = None
    ocr: OcrResult | None = None
    extraction: Extraction | None = None
    timings: dict[str, float] = field(default_factory=dict)
    pages: int = 0
    info: dict[str, float] = field(default_factory=dict)
    page_images: list[bytes] = field(default_factory=list)
    """The pages as the recognizer saw them, PNG-encoded (kept only when the originals are stored),
    so that the field boxes can be drawn on them."""
    form: FormData | None = None
    """Pairs and tick boxes, for a document of kind ``form`` (the forms step)."""
    parts: list[DocumentResult] = field(default_factory=list)
    """When the file was split into several documents (``ingest.split``): those documents, stored
    instead of this one."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"
