"""Plain text lines in and out of :class:`icr.types.OcrResult`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from icr.types import OcrPage, OcrResult, TextLine, Word


def ocr_from_lines(lines: Sequence[str], *, confidence: float = 1.0) -> OcrResult:
    """An :class:`OcrResult` holding ``lines`` as one page, one Tesseract line per text line.

    Every word gets ``confidence`` (1.0 by default) and a synthetic box, so
    :meth:`OcrResult.lines` gives the same lines back in the same order.
    """
    words: list[Word] = []
    kept: list[str] = []
    for n, line in enumerate(lines, start=1):
        tokens = line.split()
        if not tokens:
            continue
        kept.append(" ".join(tokens))
        left = 0
        for tok in tokens:
            width = 10 * len(tok)
            words.append(Word(tok, left, 20 * n, width, 16, confidence, block=1, paragraph=1, line=n))
            left += width + 10
    return OcrResult([OcrPage("\n".join(kept), words)], engine="text")


@dataclass(frozen=True)
class Line:
    """One text line as the extractors see it: position in the document, text, OCR confidence."""

    index: int
    text: str
    confidence: float = 1.0


TYPED_CONFIDENCE = 0.99
"""Lines at or above this confidence are typed text (a transcript, a PDF's text layer, a fake's
lines), not OCR: the repairs of OCR misreadings leave them as they are."""
TEXT_LAYER_CONFIDENCE = 1.0
"""A document whose words all have this confidence is typed text (a PDF's text layer, a transcript):
a neural engine reads a clean scan at a mean of 0.99 and more, and that is still OCR."""


def document_lines(ocr: OcrResult) -> list[Line]:
    """The document's lines in reading order.

    Pages with words use Tesseract's line grouping; a page without words (a PDF
    text layer, a fake) falls back to splitting its text on newlines.
    """
    out: list[Line] = []
    for page in ocr.pages:
        text_lines: list[TextLine] = (
            page.lines() if page.words else [TextLine(t.strip(), 1.0) for t in page.text.splitlines() if t.strip()]
        )
        for tl in text_lines:
            text = " ".join(tl.text.split())
            if text:
                out.append(Line(len(out), text, tl.confidence))
    return out
