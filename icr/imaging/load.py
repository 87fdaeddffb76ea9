"""Reading a file into pages, with a clear error for every kind of bad input."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from icr.errors import DocumentError
from icr.files import read_regular
from icr.types import Page

if TYPE_CHECKING:
    from icr.config import Settings

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})


PDF_EXTENSIONS = frozenset({".pdf"})


def supported_extensions() -> frozenset[str]:
    """File extensions ``icr ingest`` picks up in folders (a PDF without the pdf extra fails saying so)."""
    return IMAGE_EXTENSIONS | PDF_EXTENSIONS


MAX_PIXELS = 100_000_000
"""Refuse images larger than this (a decompression bomb would exhaust memory)."""

# OpenCV's own decoder refuses larger images too: a second guard for files Pillow cannot read
# (read by OpenCV at its first decode, which comes after this import).
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))


@dataclass(frozen=True)
class PageLimits:
    """What one document may hold (``ingest.max_pages``, ``ingest.max_document_mb``).

    Every page of a document stays in memory until it is stored (templates and second reads read
    it again), so its decoded pages together are capped, checked before each page is decoded."""

    max_pages: int = 500
    max_bytes: int = 512 * 2**20

    @classmethod
    def from_settings(cls, settings: Settings) -> PageLimits:
        pages = settings.get("ingest", "max_pages") or cls.max_pages
        mb = settings.get("ingest", "max_document_mb") or cls.max_bytes / 2**20
        return cls(max_pages=int(pages), max_bytes=int(float(mb) * 2**20))

    def check_count(self, path: Path, count: int, kind: str) -> None:
        if count > self.max_pages:
            raise DocumentError(
                path, f"{kind} has {count} pages (limit {self.max_pages}, ingest.max_pages); split it first"
            )

    def check_budget(self, path: Path, number: int, used: int, size: int) -> int:
        """``used`` bytes decoded so far plus page ``number``'s ``size``, or the error when over."""
        if used + size > self.max_bytes:
            raise DocumentError(
                path,
                f"pages 1-{number} would take {(used + size) / 2**20:,.0f} MB decoded (limit "
                f"{self.max_bytes // 2**20:,} MB, ingest.max_document_mb); split the file or lower its resolution",
            )
        return used + size


def _check_size(path: Path, width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise DocumentError(
            path, f"image too large: {width}x{height} pixels (limit {MAX_PIXELS:,}); refusing to decode it"
        )
    if width < 8 or height < 8:
        raise DocumentError(path, f"image too small to hold text: {width}x{height} pixels")


@contextlib.contextmanager
def _declared() -> Iterator[Any]:
    """Pillow, reading headers only, with its bomb warning left to :func:`_check_size` (which
    is stricter and names the file)."""
    from PIL import Image

    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield Image
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _frame_sizes(path: Path, data: bytes, limits: PageLimits, pages: bool) -> list[tuple[int, int]] | None:
    """Width and height of every page (``pages``: a TIFF's frames; else the first frame, the only
    one decoded) as the decoder's own header reading sees it (Pillow's lazy ``open``: nothing is
    decoded), or ``None`` when Pillow does not know the format."""
    with _declared() as image_module:
        try:
            with image_module.open(io.BytesIO(data)) as img:
                count = int(getattr(img, "n_frames", 1) or 1) if pages else 1
                limits.check_count(path, count, str(img.format or "image"))
                sizes = []
                for index in range(count):
                    if index:
                        img.seek(index)
                    sizes.append((int(img.size[0]), int(img.size[1])))
                return sizes
        except DocumentError:
            raise
        except Exception:  # unknown or broken header: OpenCV decides, under its own pixel limit
            return None


def load_pages(path: Path, limits: PageLimits | None = None) -> list[Page]:
    """Decode an image file into pages (several for a multi-page TIFF), one page at a time,
    each checked against the size limits before it is decoded."""
    limits = limits or PageLimits()
    try:
        data = read_regular(path)
    except IsADirectoryError as exc:
        raise DocumentError(path, "is a folder, not a file") from exc
    except OSError as exc:
        raise DocumentError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if not data:
        raise DocumentError(path, "empty file (0 bytes)")
    if path.suffix.lower() in PDF_EXTENSIONS or data.startswith(b"%PDF-"):
        from icr.imaging.pdf import load_pdf

        return load_pdf(path, data, limits)
    import cv2  # here, not at the top: the ingest parent plans with this module but never decodes

    tiff = path.suffix.lower() in {".tif", ".tiff"} or data[:4] in (b"II*\x00", b"MM\x00*")
    sizes = _frame_sizes(path, data, limits, pages=tiff)
    used = 0
    for number, (width, height) in enumerate(sizes or [], start=1):
        _check_size(path, width, height)
        used = limits.check_budget(path, number, used, 3 * width * height)  # decoded as BGR
    buf = np.frombuffer(data, dtype=np.uint8)
    images: list[np.ndarray] = []
    if tiff:
        for index in range(len(sizes) if sizes else 1):
            ok, decoded = cv2.imdecodemulti(buf, cv2.IMREAD_COLOR, None, (index, index + 1))
            if not ok or not decoded:
                if index:
                    raise DocumentError(path, f"cannot decode page {index + 1}: truncated or corrupt image")
                break
            images.extend(decoded)
    else:
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        if img is not None:
            images = [img]
    if not images:
        kind = "truncated or corrupt image" if _looks_like_image(data) else "not an image file"
        raise DocumentError(path, f"cannot decode: {kind}")
    pages = []
    for number, img in enumerate(images, start=1):
        _check_size(path, img.shape[1], img.shape[0])
        pages.append(Page(image=np.ascontiguousarray(img), number=number))
    return pages


_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"RIFF", b"GIF8")


def _looks_like_image(data: bytes) -> bool:
    return data.startswith(_MAGIC)
