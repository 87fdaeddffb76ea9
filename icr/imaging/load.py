"""Reading a file into pages, with a clear error for every kind of bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from icr.errors import DocumentError
from icr.types import Page

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})


PDF_EXTENSIONS = frozenset({".pdf"})


def supported_extensions() -> frozenset[str]:
    """File extensions ``icr ingest`` picks up in folders (a PDF without the pdf extra fails saying so)."""
    return IMAGE_EXTENSIONS | PDF_EXTENSIONS


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
    """Width and height from the file's header, read before decoding (bomb check): PNG,
    JPEG, GIF, BMP, WebP, and the largest page of a TIFF. ``None`` when not recognised."""
    size = _header_dims(data)
    return size if size and size[0] > 0 and size[1] > 0 else None


def _header_dims(data: bytes) -> tuple[int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:3] == b"\xff\xd8\xff":
        return _jpeg_size(data)
    if data[:4] == b"GIF8" and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:2] == b"BM" and len(data) >= 26:
        if int.from_bytes(data[14:18], "little") == 12:  # OS/2 BITMAPCOREHEADER
            return int.from_bytes(data[18:20], "little"), int.from_bytes(data[20:22], "little")
        w, h = int.from_bytes(data[18:22], "little", signed=True), int.from_bytes(data[22:26], "little", signed=True)
        return abs(w), abs(h)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        return _webp_size(data)
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return _tiff_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xDA)):  # markers without a length
            i += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
        if marker == 0xDA:  # start of scan before any frame header
            return None
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    order: Literal["little", "big"] = "little" if data[:2] == b"II" else "big"
    offset = int.from_bytes(data[4:8], order)
    largest: tuple[int, int] | None = None
    seen: set[int] = set()
    while offset and offset not in seen and offset + 2 <= len(data) and len(seen) < 10_000:
        seen.add(offset)
        count = int.from_bytes(data[offset : offset + 2], order)
        dims = {256: 0, 257: 0}
        for e in range(offset + 2, min(offset + 2 + 12 * count, len(data) - 11), 12):
            tag, kind = int.from_bytes(data[e : e + 2], order), int.from_bytes(data[e + 2 : e + 4], order)
            if tag in dims:
                width = 2 if kind == 3 else 4  # SHORT or LONG
                dims[tag] = int.from_bytes(data[e + 8 : e + 8 + width], order)
        if largest is None or dims[256] * dims[257] > largest[0] * largest[1]:
            largest = (dims[256], dims[257])
        end = offset + 2 + 12 * count
        offset = int.from_bytes(data[end : end + 4], order) if end + 4 <= len(data) else 0
    return largest


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
    if path.suffix.lower() in PDF_EXTENSIONS or data.startswith(b"%PDF-"):
        from icr.imaging.pdf import load_pdf

        return load_pdf(path, data)
    import cv2  # here, not at the top: the ingest parent plans with this module but never decodes

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
