"""The forms step: is this document a form, and what does it say (pairs, tick boxes, zones)?

:class:`FormReader` is built once per worker from the ``forms`` section of ``config/icr.yaml``.
The pipeline asks :meth:`FormReader.kind` after the text corrector has run (its template and
money fields are evidence), reads a form again as forms want to be read (:attr:`read_steps`,
:attr:`psm`: sparse text, rules removed, small print enlarged) and hands that reading to
:meth:`FormReader.read`.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import regex

from icr.errors import ConfigError
from icr.forms.checkbox import CheckboxOptions, find_boxes, ink_mask, inside_ink, state
from icr.forms.handwriting import HandwritingOptions, reread_lines
from icr.forms.keyvalue import (
    RULES,
    LinkOptions,
    clean_key,
    label_segments,
    link_answers,
    name_lists,
    pairs_of,
    run_on_answers,
    unanswered_labels,
)
from icr.forms.learn import LinkModel, link_with_model
from icr.forms.segments import Segment, SegmentOptions, segments_of
from icr.forms.zonal import ZonalLayout, read_zones
from icr.text.lines import document_lines
from icr.types import (
    Box,
    Checkbox,
    CorrectedPage,
    CropReading,
    Extraction,
    FormData,
    FormPair,
    Image,
    OcrPage,
    OcrResult,
    Word,
)

FORM = "form"
_AMOUNT = regex.compile(r"(?<![\d.,])\d{1,3}(?:[.,]\d{3})*[.,]\d{2}(?!\d)")
MONEY_FIELDS = ("total", "subtotal", "tax", "paid", "change")
_LABELLED = regex.compile(r"^\W*\p{L}[\w .'/()#&-]{0,30}:\s*\S")
"""A line that starts with a label and its colon and goes on ("Claimant: Peter Okafor")."""


@dataclass(frozen=True)
class KindOptions:
    """When a document no specific template claims is a form (``forms.kind``)."""

    max_amount_share: float = 0.12
    """A receipt prints an amount on this share of its lines or more."""
    receipt_money_fields: int = 3
    """... and a receipt's arithmetic finds this many money fields (total, subtotal, tax, paid, change)."""
    weak_total: float = 0.6
    """A total read with less confidence than this is no evidence of a receipt ..."""
    long_lines: float = 22.0
    """A form's lines hold this many characters on average or more (a receipt's are short, even read
    badly: at most 21.3 on expressexpense-dev photos)."""
    labelled_share: float = 0.45
    """A page whose lines start with "Label:" and an answer this often is a form (receipts: at most 0.29
    of their lines, in 400 sroie transcripts)."""
    weak_total_lines: float = 28.0
    """A page printing amounts but no sure total is a form from this line length (wide receipts: <= 26.2
    on sroie-dev)."""
    plain_lines: float = 16.0
    """A page with no amount and no total at all is a form from this line length ..."""
    plain_min_lines: int = 8
    """... and this many lines."""
    min_lines: int = 4
    """A page of fewer lines is nothing to call a form."""
    receipt_span: float = 45.0
    """A page whose text spans fewer characters than this across is a till roll: a receipt."""
    page_span: float = 60.0
    """A page whose text spans this many characters across or more, with little money found, is a form ..."""
    weak_total_span: float = 48.0
    """... as is one this wide with no sure total and long lines (``long_lines``)."""
    span_confidence: float = 0.5
    """The text's edges are the words read with this confidence or more: specks of a border, a desk or a
    ruling line read as words widen a photographed receipt's text to a page's."""
    generic_templates: tuple[str, ...] = ("generic_receipt",)
    """Templates that say nothing of the kind (the default one): layout decides."""


def _options(cls: type, raw: Any, key: str) -> Any:
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        raise ConfigError(f"forms.{key}: must be a mapping")
    names = {f.name for f in fields(cls)}
    unknown = set(raw) - names
    if unknown:
        raise ConfigError(f"forms.{key}.{sorted(unknown)[0]}: unknown key (known: {', '.join(sorted(names))})")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    for k, v in values.items():
        if isinstance(v, dict):
            values[k] = {str(a): _scalar(b) for a, b in v.items()}
    return cls(**values)


def _scalar(value: object) -> str | float:
    """A mapping's value: a number stays a number (a weight), anything else is text (a letter)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return str(value)


@dataclass
class FormReader:
    """Decides the kind of a document and reads a form's pairs."""

    kind_options: KindOptions = field(default_factory=KindOptions)
    segment_options: SegmentOptions = field(default_factory=SegmentOptions)
    link_options: LinkOptions = field(default_factory=LinkOptions)
    read_steps: tuple[str, ...] | None = None
    """The image-corrector steps a form is read with (None: the configured ones)."""
    psm: int | None = None
    """Tesseract's page segmentation mode for forms (11: sparse text)."""
    checkbox_options: CheckboxOptions = field(default_factory=CheckboxOptions)
    model: LinkModel | None = None
    """A linker fitted by ``icr forms train`` (``forms.model``); None: the rules link."""
    handwriting_options: HandwritingOptions = field(default_factory=HandwritingOptions)

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> FormReader:
        known = {
            "enabled", "kind", "segments", "links", "checkboxes", "read_steps", "psm", "image_corrector", "model",
            "handwriting",
        }  # fmt: skip
        unknown = set(section) - known
        if unknown:
            raise ConfigError(f"forms.{sorted(unknown)[0]}: unknown key (known: {', '.join(sorted(known))})")
        steps = section.get("read_steps")
        psm = section.get("psm")
        model = section.get("model")
        links = _options(LinkOptions, section.get("links"), "links")
        named_rules = {
            "rule_confidence": links.rule_confidence,
            "sure_answers": links.sure_answers,
            "align_rules": links.align_rules,
        }
        for key, named in named_rules.items():
            unknown_rules = set(named) - set(RULES)
            if unknown_rules:
                raise ConfigError(
                    f"forms.links.{key}.{sorted(unknown_rules)[0]}: unknown rule (known: {', '.join(RULES)})"
                )
        return cls(
            kind_options=_options(KindOptions, section.get("kind"), "kind"),
            segment_options=_options(SegmentOptions, section.get("segments"), "segments"),
            link_options=links,
            checkbox_options=_options(CheckboxOptions, section.get("checkboxes"), "checkboxes"),
            read_steps=tuple(str(s) for s in steps) if steps else None,
            psm=int(psm) if psm is not None else None,
            model=LinkModel.load(str(model)) if model else None,
            handwriting_options=_options(HandwritingOptions, section.get("handwriting"), "handwriting"),
        )

    def kind(self, extraction: Extraction, ocr: OcrResult, template_kind: str | None = None) -> str:
        """``form`` or the extraction's own kind. A template that names its kind decides; a document
        only the generic template matched, on which the receipt arithmetic found little money (or
        found it across a page that prints no amount in cents), is a receipt when its text runs
        down a till roll's width and a form when it runs across a page (:func:`text_span`); in
        between, long lines with few amounts, or "Label: answer" lines, make a form, as does text wider
        than a till roll with no amount at all."""
        if template_kind:
            return template_kind
        if extraction.template and extraction.template not in self.kind_options.generic_templates:
            return extraction.doc_type
        lines = document_lines(ocr)
        if len(lines) < self.kind_options.min_lines:
            return extraction.doc_type
        opts = self.kind_options
        share = sum(1 for ln in lines if _AMOUNT.search(ln.text)) / len(lines)
        money = sum(1 for name in MONEY_FIELDS if name in extraction.fields)
        total = extraction.fields.get("total")
        weak = total is None or total.confidence < opts.weak_total
        width = sum(len(ln.text) for ln in lines) / len(lines)
        span = text_span(ocr, opts.span_confidence)  # 0: no word boxes to measure (a text layer)
        if money >= opts.receipt_money_fields and (share > 0 or span < opts.page_span):
            # across a page with no amount in cents, "Total", "Change" are a budget form's sums
            return extraction.doc_type
        if 0 < span < opts.receipt_span:
            return extraction.doc_type
        if span >= opts.page_span or (weak and span >= opts.weak_total_span and width >= opts.long_lines):
            return FORM  # text across a page, not down a till roll
        if width >= opts.long_lines and share < opts.max_amount_share:
            return FORM
        if sum(1 for ln in lines if _LABELLED.search(ln.text)) >= opts.labelled_share * len(lines):
            return FORM  # "Label: answer" on most lines
        if weak and width >= opts.weak_total_lines:
            return FORM  # amounts, but no sure total among them, on a page of long lines
        if total is None and share == 0 and width >= opts.plain_lines and len(lines) >= opts.plain_min_lines:
            return FORM  # no amount at all on lines of some length: nothing of a receipt was read
        if total is None and share == 0 and span >= opts.receipt_span:
            return FORM  # no amount at all, in short lines across more than a till roll ("City ____")
        return extraction.doc_type

    def read(
        self,
        ocr: OcrResult,
        pages: Sequence[CorrectedPage],
        layout: ZonalLayout | None = None,
        reread: Callable[[Image], str] | None = None,
        handwriting: Callable[[Image, str | None], CropReading | None] | None = None,
    ) -> FormData:
        """Pairs and tick boxes of every page (boxes in pixels of the page as loaded); with a zonal
        ``layout``, its zones' values instead of the pairs found by the rules (``handwriting`` reads its
        handwriting zones)."""
        scales = {page.number: float(page.info.get("scale", 1.0) or 1.0) for page in pages}
        images = {page.number: page.image for page in pages}
        out = FormData()
        if layout is not None and pages:
            first = pages[0]
            out.pairs, out.checkboxes = read_zones(
                layout, ocr, first.image, first.number, self.link_options.digit_slips, reread, handwriting
            )
            scale = scales.get(first.number, 1.0)
            out.pairs = [_unscaled(p, scale) for p in out.pairs]
            out.checkboxes = [replace(c, box=unscale_box(c.box, scale) or c.box) for c in out.checkboxes]
            return out
        for page in ocr.pages:
            image = images.get(page.number)
            scale = scales.get(page.number, 1.0)
            segments, width, height, boxes = self.page_segments(ocr, page, image)
            out.checkboxes.extend(replace(c, box=unscale_box(c.box, scale) or c.box) for c in boxes)
            label_segments(segments, width, height, self.link_options)
            if self.model is not None:
                scored = link_with_model(segments, width, height, self.link_options, self.model)
                links = [(q, a) for q, a, _ in scored]
                scores: list[float] | None = [p for _, _, p in scored]
            else:
                links, scores = link_answers(segments, self.link_options), None
                links = name_lists(links, segments, self.link_options)
                segments = run_on_answers(links, segments, self.link_options)
            unanswered_labels(segments, self.link_options)
            out.segments.extend((seg.label, seg.text) for seg in segments)
            for pair in pairs_of(links, page.number, self.link_options, scores):
                out.pairs.append(replace(_unscaled(pair, scale), engine=pair.engine or ocr.engine))
        return out

    def reread_handwriting(
        self, ocr: OcrResult, pages: Sequence[CorrectedPage], read: Callable[[Image, str | None], CropReading | None]
    ) -> OcrResult:
        """``ocr`` with the lines the page engine read with low confidence read again by the
        handwriting recognizer ``read`` where it is sure (:mod:`icr.forms.handwriting`)."""
        images = {page.number: page.image for page in pages}
        return replace(
            ocr,
            pages=[
                reread_lines(p, images[p.number], read, self.handwriting_options) if p.number in images else p
                for p in ocr.pages
            ],
        )

    def page_segments(
        self, ocr: OcrResult, page: OcrPage, image: Image | None
    ) -> tuple[list[Segment], int, int, list[Checkbox]]:
        """A page's segments (less the words read off tick boxes), its width and height, its tick boxes:
        what the rules and the learned linker (``icr forms train``) read pairs off."""
        height, width = image.shape[:2] if image is not None else (page.height, page.width)
        segments = self.segments(ocr, page.number)
        boxes: list[Checkbox] = []
        if image is not None and segments:
            boxes, segments = self._checkboxes(image, segments, page.number)
        return segments, int(width), int(height), boxes

    def _checkboxes(self, image: Image, segments: list[Segment], number: int) -> tuple[list[Checkbox], list[Segment]]:
        """The page's tick boxes, each named by the text beside it (right, else left, on its row); the
        segments left once the words read off the boxes' outlines are dropped."""
        letter = statistics.median(w.height for seg in segments for w in seg.words)
        words = [w for seg in segments for w in seg.words]
        boxes = [b for b in find_boxes(image, letter, self.checkbox_options) if not _in_a_word(b, words)]
        if not boxes:
            return [], segments
        kept: list[Segment] = []
        for seg in segments:
            words = [w for w in seg.words if not any(_covers(b, w) for b in boxes)]
            if words:
                kept.append(replace(seg, words=words))
        mask = ink_mask(image)
        found = []
        for box in boxes:
            label = _beside(box, kept, letter)
            found.append(Checkbox(label, state(inside_ink(mask, box), self.checkbox_options), box, number))
        return found, kept

    def segments(self, ocr: OcrResult, number: int) -> list[Segment]:
        words = [w for page in ocr.pages if page.number == number for w in page.words]
        return segments_of(words, self.segment_options, number)


def text_span(ocr: OcrResult, confidence: float = 0.0) -> float:
    """How wide the text runs, in characters: the widest page's words from the leftmost to the rightmost edge
    over the median width of a character (a till roll prints at most about 48 a line, a page more); 0
    without word boxes. Characters, not letter heights: engines box a word's height differently (Tesseract
    its letters, the neural engine its line), its width alike. The edges are those of the words read with
    ``confidence`` or more (all words when fewer than two are); the character width is every word's."""
    widest = 0.0
    for page in ocr.pages:
        words = [w for w in page.words if w.width > 0 and len(w.text.strip()) >= 3]
        if len(words) < 2:
            continue
        char = statistics.median(w.width / len(w.text.strip()) for w in words)
        sure = [w for w in words if w.confidence >= confidence]
        edges = sure if len(sure) >= 2 else words
        left = min(w.left for w in edges)
        right = max(w.left + w.width for w in edges)
        widest = max(widest, (right - left) / max(char, 1e-6))
    return widest


def _in_a_word(box: Box, words: Sequence[Word]) -> bool:
    """A square that is a letter of a longer word ("O" in "Okafor") is no tick box."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(
        w.left <= cx <= w.left + w.width and w.top <= cy <= w.top + w.height
        for w in words
        if len(w.text) >= 3 and w.width >= 2 * (box[2] - box[0])
    )


def _covers(box: Box, word: Word) -> bool:
    """A word read off a tick box's outline ("[]", "O", "&")."""
    cx, cy = word.left + word.width / 2, word.top + word.height / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _beside(box: Box, segments: Sequence[Segment], letter: float) -> str:
    """The text right of a tick box on its row (else left of it), without a trailing colon."""
    cy = (box[1] + box[3]) / 2
    row = [s for s in segments if s.box[1] - letter / 2 <= cy <= s.box[3] + letter / 2]
    right = [s for s in row if s.box[0] >= box[2] - 2 and s.box[0] - box[2] <= 4 * letter]
    left = [s for s in row if s.box[2] <= box[0] + 2 and box[0] - s.box[2] <= 4 * letter]
    if right:
        return clean_key(min(right, key=lambda s: s.box[0]).text)
    if left:
        return clean_key(max(left, key=lambda s: s.box[2]).text)
    return ""


def unscale_box(box: Box | None, scale: float) -> Box | None:
    """A box on a page enlarged ``scale`` times, in pixels of the page before."""
    if box is None or scale == 1.0:
        return box
    x0, y0, x1, y1 = box
    return (round(x0 / scale), round(y0 / scale), round(x1 / scale), round(y1 / scale))


def _unscaled(pair: FormPair, scale: float) -> FormPair:
    return replace(pair, key_box=unscale_box(pair.key_box, scale), value_box=unscale_box(pair.value_box, scale))
