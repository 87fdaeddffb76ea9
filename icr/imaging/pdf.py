"""PDF pages through pypdfium2 (the ``pdf`` extra: ``pip install 'icr[pdf]'``).

A page with a text layer gives that text (no OCR needed) and a small rendering;
a page without one is rendered at 300 DPI for OCR. Pages stay in order. An
encrypted, broken or empty PDF is a :class:`~icr.errors.DocumentError` saying so.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from icr.errors import DocumentError
from icr.imaging.load import PageLimits
from icr.types import Image, Page

OCR_DPI = 300
TEXT_DPI = 72
"""A page read from its text layer is rendered only for its size and a look, not for OCR."""
MAX_PIXELS = 100_000_000
MISSING = "PDF support is not installed: pip install 'icr[pdf]' (pypdfium2)"


def pdf_available() -> bool:
    return importlib.util.find_spec("pypdfium2") is not None


def _open(path: Path, data: bytes) -> Any:
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:
        raise DocumentError(path, MISSING) from exc
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        reason = str(exc)
        if "password" in reason.lower():
            raise DocumentError(path, "encrypted PDF (needs a password); decrypt it and ingest it again") from exc
        raise DocumentError(path, f"broken PDF, cannot open it: {reason}") from exc


def _pixels(path: Path, page: Any, dpi: int, number: int) -> int:
    width, height = page.get_size()  # points, 1/72 inch
    scale = dpi / 72
    pixels = int(width * scale) * int(height * scale)
    if pixels > MAX_PIXELS:
        raise DocumentError(path, f"page {number} too large to render at {dpi} DPI ({pixels:,} pixels)")
    return pixels


def _render(page: Any, dpi: int) -> Image:
    scale = dpi / 72
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        image = np.array(bitmap.to_numpy(), dtype=np.uint8)  # a copy: the bitmap's buffer is freed below
    finally:
        bitmap.close()
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    return np.ascontiguousarray(image)


def page_text(page: Any) -> str:
    """The page's text layer with lines ending in ``\\n`` ('' when it has none)."""
    textpage = page.get_textpage()
    try:
        text = str(textpage.get_text_range())
    finally:
        textpage.close()
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_pdf(path: Path, data: bytes, limits: PageLimits | None = None) -> list[Page]:
    """Every page of a PDF, in order, rendered one at a time within ``limits``."""
    limits = limits or PageLimits()
    doc = _open(path, data)
    try:
        count = len(doc)
        if count == 0:
            raise DocumentError(path, "PDF has no pages")
        limits.check_count(path, count, "PDF")
        pages: list[Page] = []
        used = 0
        for index in range(count):
            page = doc[index]
            try:
                text = page_text(page)
                dpi = TEXT_DPI if text.strip() else OCR_DPI
                pixels = _pixels(path, page, dpi, index + 1)
                used = limits.check_budget(path, index + 1, used, pixels)  # grey: a byte a pixel
                image = _render(page, dpi)
                pages.append(Page(image=image, number=index + 1, dpi=dpi, text_layer=text if dpi == TEXT_DPI else None))
            finally:
                page.close()
        return pages
    except DocumentError:
        raise
    except Exception as exc:  # pdfium failing on one page's content
        raise DocumentError(path, f"broken PDF: {type(exc).__name__}: {exc}") from exc
    finally:
        doc.close()
