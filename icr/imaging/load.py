"""Reading a file into pages, with a clear error for every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from icr.errors import DocumentError
from icr.types import Page

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})


def supported_extensions() -> frozenset[str]:
    """File extensions ``icr ingest`` picks up in folders."""
    return IMAGE_EXTENSIONS


MAX_PIXELS = 100_000_000
"""Refuse images larger than this (a decompression bomb would exhaust memory)."""


def _check_size(path: Path, width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise DocumentError(
            path, f"image too large: {width}x{height} pixels (limit {MAX_PIXELS:,}); refusing to decode it"
        )
    if width < 8 or height < 8:
        raise DocumentError(path, f"image too small to hold text: {width}x{height} pixels")


def _header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG header, read before decoding (bomb check)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return None


def load_pages(path: Path) -> list[Page]:
    """Decode an image file into pages (several for a multi-page TIFF)."""
    try:
        data = path.read_bytes()
    except IsADirectoryError as exc:
        raise DocumentError(path, "is a folder, not a file") from exc
    except OSError as exc:
        raise DocumentError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if not data:
        raise DocumentError(path, "empty file (0 bytes)")
    size = _header_size(data)
    if size:
        _check_size(path, *size)
    buf = np.frombuffer(data, dtype=np.uint8)
    suffix = path.suffix.lower()
    images: list[np.ndarray] = []
    if suffix in {".tif", ".tiff"}:
        ok, decoded = cv2.imdecodemulti(buf, cv2.IMREAD_COLOR)
        if ok:
            images = list(decoded)
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
