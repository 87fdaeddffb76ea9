"""The neural recognizer (PP-OCRv6 through rapidocr): the same :class:`~icr.types.OcrResult` as Tesseract.

Install with ``pip install 'icr[neural]'``. The engine is loaded once per worker
(:func:`icr.ocr.rapidocr_api.shared_api`); its detected lines become words through
:func:`icr.ocr.adapter.words_from_lines`, numbered as Tesseract numbers its lines.
``language`` and ``psm`` are accepted and ignored: the one multilingual Latin model
reads every page, and its detector finds the lines whatever the layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from icr.ocr.adapter import box_of, page_from_words, repair_slips, reread_words, segments, words_from_lines
from icr.ocr.rapidocr_api import RapidOcrApi, shared_api
from icr.ocr.recognizer import text_layer_page
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
    name: str = "rapidocr"
    _api: RapidOcrApi | None = field(default=None, init=False, repr=False)

    @property
    def api(self) -> RapidOcrApi:
        if self._api is None:
            self._api = shared_api(self.text_score, self.det_side, self.rec_width)
        return self._api

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        out: list[OcrPage] = []
        for page in pages:
            if page.text_layer is not None and page.text_layer.strip():
                out.append(text_layer_page(page))
                continue
            words = [
                replace(w, text=repair_slips(w.text, self.slips))
                for w in words_from_lines(self.api.read(page.image), page.number)
            ]
            h, w = page.image.shape[:2]
            out.append(page_from_words(words, w, h, page.number))
        return OcrResult(pages=out, engine=self.name, language=language or self.language)

    def close(self) -> None:
        self._api = None  # the shared engine stays loaded for the worker's next recognizer


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
