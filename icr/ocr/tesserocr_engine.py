"""The recognizer on Tesseract's C API (tesserocr): the model stays loaded for the worker's life.

Install with ``pip install 'icr[tesserocr]'``; without it, ``recognizer: auto``
falls back to :class:`~icr.ocr.recognizer.PytesseractRecognizer`. Both read
through :func:`~icr.ocr.recognizer.recognize_pages` and the same adapter, so
their words, boxes and confidences have the same shape (and, on the same
Tesseract version, the same values).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from icr.ocr.recognizer import recognize_pages
from icr.ocr.tesseract_api import TesseractApi, shared_api
from icr.types import CorrectedPage, OcrResult


@dataclass
class TesserocrRecognizer:
    """One loaded Tesseract per language in this process, built on first use."""

    language: str = "eng"
    psm: int = 6
    timeout: float = 0
    tessdata: str | None = None
    name: str = "tesserocr"
    _api: TesseractApi | None = field(default=None, init=False, repr=False)

    @property
    def api(self) -> TesseractApi:
        if self._api is None:
            # One loaded model per process, shared with the image corrector's orientation probe.
            self._api = TesseractApi(self.tessdata) if self.tessdata else shared_api()
        return self._api

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        return recognize_pages(
            pages,
            self.api.image_to_data,
            language=language or self.language,
            psm=psm if psm is not None else self.psm,
            timeout=self.timeout,
            engine=self.name,
        )

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None
