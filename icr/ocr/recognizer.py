"""Recognizer implementations: Tesseract through pytesseract, and a replaying fake."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from icr.ocr import tesseract
from icr.ocr.adapter import page_from_words, words_from_tsv
from icr.types import CorrectedPage, Image, OcrPage, OcrResult, Word


def image_key(image: Image) -> str:
    """A stable key for an image's pixels, for recording and replaying OCR output."""
    return hashlib.blake2b(image.tobytes(), digest_size=12).hexdigest()


ReadPage = Callable[..., dict[str, list[Any]]]
"""A raw engine call: ``read(image, language=..., psm=..., timeout=...)`` -> TSV columns."""


def recognize_pages(
    pages: Sequence[CorrectedPage], read: ReadPage, *, language: str, psm: int, timeout: float, engine: str
) -> OcrResult:
    """Every page through ``read`` and the one adapter, so that all engines give the same structures.

    A page with a PDF text layer is taken as it is, without OCR.
    """
    out: list[OcrPage] = []
    for page in pages:
        if page.text_layer is not None and page.text_layer.strip():
            out.append(text_layer_page(page))
            continue
        data = read(page.image, language=language, psm=psm, timeout=timeout)
        words = words_from_tsv(data, page.number)
        h, w = page.image.shape[:2]
        out.append(page_from_words(words, w, h, page.number))
    return OcrResult(pages=out, engine=engine, language=language)


@dataclass
class PytesseractRecognizer:
    """One ``tesseract`` process per page: simple and always available (the fallback)."""

    language: str = "eng"
    psm: int = 6
    timeout: float = 0
    name: str = "pytesseract"

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        return recognize_pages(
            pages,
            self.page_reader(),
            language=language or self.language,
            psm=psm if psm is not None else self.psm,
            timeout=self.timeout,
            engine=self.name,
        )

    def page_reader(self) -> ReadPage:
        """What reads one page (the ``tesseract`` command line)."""
        return tesseract.image_to_data

    def close(self) -> None:
        return None


def text_layer_page(page: CorrectedPage) -> OcrPage:
    """A page whose text came from a PDF text layer: lines become words with full confidence."""
    words: list[Word] = []
    for n, line in enumerate((page.text_layer or "").splitlines(), start=1):
        for token in line.split():
            words.append(Word(token, 0, n * 10, 0, 0, 1.0, block=1, paragraph=1, line=n, page=page.number))
    h, w = page.image.shape[:2]
    return page_from_words(words, w, h, page.number)


@dataclass
class FakeRecognizer:
    """Replays recorded output instead of running Tesseract (for fast tests and load benchmarks).

    ``recordings`` maps a page's image shape-and-checksum key to recorded words; without a
    recording it returns ``default_lines`` as the text, one word per token.
    """

    default_lines: list[str] = field(default_factory=list)
    recordings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    name: str = "fake"

    @classmethod
    def from_file(cls, path: Path) -> FakeRecognizer:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(default_lines=list(data.get("default_lines", [])), recordings=data.get("recordings", {}))

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        out: list[OcrPage] = []
        for page in pages:
            h, w = page.image.shape[:2]
            recorded = self.recordings.get(image_key(page.image))
            if recorded is not None:
                words = [Word(**r) for r in recorded]
            else:
                words = [
                    Word(tok, 10 + 40 * j, 20 * i, 30, 15, 0.95, block=1, paragraph=1, line=i, page=page.number)
                    for i, line in enumerate(self.default_lines, start=1)
                    for j, tok in enumerate(line.split())
                ]
            out.append(page_from_words(words, w, h, page.number))
        return OcrResult(pages=out, engine=self.name, language=language or "eng")

    def close(self) -> None:
        return None
