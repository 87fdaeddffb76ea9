"""The neural recognizer (PP-OCRv6 through rapidocr): the same :class:`~icr.types.OcrResult` as Tesseract.

Install with ``pip install 'icr[neural]'``. The engine is loaded once per worker
(:func:`icr.ocr.rapidocr_api.shared_api`); its detected lines become words through
:func:`icr.ocr.adapter.words_from_lines`, numbered as Tesseract numbers its lines.
``language`` and ``psm`` are accepted and ignored: the one multilingual Latin model
reads every page, and its detector finds the lines whatever the layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from icr.ocr.adapter import page_from_words, words_from_lines
from icr.ocr.rapidocr_api import RapidOcrApi, shared_api
from icr.ocr.recognizer import text_layer_page
from icr.types import CorrectedPage, OcrPage, OcrResult


@dataclass
class RapidOcrRecognizer:
    """Detection and recognition by the neural engine, one page at a time."""

    language: str = "eng"
    name: str = "rapidocr"
    _api: RapidOcrApi | None = field(default=None, init=False, repr=False)

    @property
    def api(self) -> RapidOcrApi:
        if self._api is None:
            self._api = shared_api()
        return self._api

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        out: list[OcrPage] = []
        for page in pages:
            if page.text_layer is not None and page.text_layer.strip():
                out.append(text_layer_page(page))
                continue
            words = words_from_lines(self.api.read(page.image), page.number)
            h, w = page.image.shape[:2]
            out.append(page_from_words(words, w, h, page.number))
        return OcrResult(pages=out, engine=self.name, language=language or self.language)

    def close(self) -> None:
        self._api = None  # the shared engine stays loaded for the worker's next recognizer
