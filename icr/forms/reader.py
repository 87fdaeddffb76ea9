"""The forms step: is this document a form, and what does it say (pairs, tick boxes, zones)?

:class:`FormReader` is built once per worker from the ``forms`` section of ``config/icr.yaml``.
The pipeline asks :meth:`FormReader.kind` after the text corrector has run (its template and
money fields are evidence), reads a form again as forms want to be read (:attr:`read_steps`,
:attr:`psm`: sparse text, rules removed, small print enlarged) and hands that reading to
:meth:`FormReader.read`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import regex

from icr.errors import ConfigError
from icr.forms.keyvalue import LinkOptions, label_segments, link_answers, pairs_of
from icr.forms.segments import Segment, SegmentOptions, segments_of
from icr.text.lines import document_lines
from icr.types import Box, CorrectedPage, Extraction, FormData, FormPair, OcrResult

FORM = "form"
_AMOUNT = regex.compile(r"(?<![\d.,])\d{1,3}(?:[.,]\d{3})*[.,]\d{2}(?!\d)")
MONEY_FIELDS = ("total", "subtotal", "tax", "paid", "change")


@dataclass(frozen=True)
class KindOptions:
    """When a document no specific template claims is a form (``forms.kind``)."""

    max_amount_share: float = 0.12
    """A receipt prints an amount on this share of its lines or more."""
    receipt_money_fields: int = 3
    """... and a receipt's arithmetic finds this many money fields (total, subtotal, tax, paid, change)."""
    weak_total: float = 0.6
    """A total read with less confidence than this is no evidence of a receipt ..."""
    long_lines: float = 18.0
    """... on a page whose lines hold this many characters on average (a receipt's are short)."""
    min_lines: int = 4
    """A page of fewer lines is nothing to call a form."""
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
    return cls(**values)


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

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> FormReader:
        known = {"enabled", "kind", "segments", "links", "read_steps", "psm", "image_corrector"}
        unknown = set(section) - known
        if unknown:
            raise ConfigError(f"forms.{sorted(unknown)[0]}: unknown key (known: {', '.join(sorted(known))})")
        steps = section.get("read_steps")
        psm = section.get("psm")
        return cls(
            kind_options=_options(KindOptions, section.get("kind"), "kind"),
            segment_options=_options(SegmentOptions, section.get("segments"), "segments"),
            link_options=_options(LinkOptions, section.get("links"), "links"),
            read_steps=tuple(str(s) for s in steps) if steps else None,
            psm=int(psm) if psm is not None else None,
        )

    def kind(self, extraction: Extraction, ocr: OcrResult, template_kind: str | None = None) -> str:
        """``form`` or the extraction's own kind. A template that names its kind decides; a document
        only the generic template matched is a form when it prints few amounts and the receipt
        arithmetic found little money on it."""
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
        if share < opts.max_amount_share and money < opts.receipt_money_fields:
            return FORM
        total = extraction.fields.get("total")
        weak = total is None or total.confidence < opts.weak_total
        width = sum(len(ln.text) for ln in lines) / len(lines)
        if weak and money < opts.receipt_money_fields and width >= opts.long_lines:
            return FORM
        return extraction.doc_type

    def read(self, ocr: OcrResult, pages: Sequence[CorrectedPage]) -> FormData:
        """Pairs of every page (boxes in pixels of the page as loaded)."""
        scales = {page.number: float(page.info.get("scale", 1.0) or 1.0) for page in pages}
        shapes = {page.number: page.image.shape[:2] for page in pages}
        out = FormData()
        for page in ocr.pages:
            height, width = shapes.get(page.number, (page.height, page.width))
            segments = self.segments(ocr, page.number)
            label_segments(segments, int(width), int(height), self.link_options)
            links = link_answers(segments, self.link_options)
            out.segments.extend((seg.label, seg.text) for seg in segments)
            scale = scales.get(page.number, 1.0)
            for pair in pairs_of(links, page.number, self.link_options.min_confidence):
                out.pairs.append(_unscaled(pair, scale))
        return out

    def segments(self, ocr: OcrResult, number: int) -> list[Segment]:
        words = [w for page in ocr.pages if page.number == number for w in page.words]
        return segments_of(words, self.segment_options, number)


def unscale_box(box: Box | None, scale: float) -> Box | None:
    """A box on a page enlarged ``scale`` times, in pixels of the page before."""
    if box is None or scale == 1.0:
        return box
    x0, y0, x1, y1 = box
    return (round(x0 / scale), round(y0 / scale), round(x1 / scale), round(y1 / scale))


def _unscaled(pair: FormPair, scale: float) -> FormPair:
    return FormPair(
        pair.key,
        pair.value,
        pair.confidence,
        pair.page,
        unscale_box(pair.key_box, scale),
        unscale_box(pair.value_box, scale),
        pair.kind,
        pair.typed,
    )
