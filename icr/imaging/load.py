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

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".heic", ".heif"})
FRAMED = frozenset({"GIF", "WEBP", "HEIF", "MPO"})
"""Formats Pillow decodes here, every frame a page (an animated GIF or WebP, a HEIC burst)."""


PDF_EXTENSIONS = frozenset({".pdf"})


def supported_extensions() -> frozenset[str]:
    """File extensions ``icr ingest`` picks up in folders (a PDF without the pdf extra fails saying so)."""
    return IMAGE_EXTENSIONS | PDF_EXTENSIONS


MAX_PIXELS = 100_000_000
"""Refuse images larger than this (a decompression bomb would exhaust memory)."""

MAX_PHOTO_PIXELS = 250_000_000
"""A JPEG photo up to this size (108-megapixel phone cameras) is decoded reduced instead of
refused: the JPEG decoder scales by 1/2 to 1/8 as it decodes, so the full image never exists."""

WORK_PIXELS = 40_000_000
"""The size a large JPEG photo is decoded down to (about 7700 x 5200: receipt text stays legible)."""

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


def _check_size(path: Path, width: int, height: int, limit: int = MAX_PIXELS) -> None:
    if width * height > limit:
        raise DocumentError(path, f"image too large: {width}x{height} pixels (limit {limit:,}); refusing to decode it")
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


def _register_heif() -> bool:
    """Teach Pillow HEIC/HEIF (phone photos) when pillow-heif is installed."""
    try:
        import pillow_heif  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def _is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heif")


_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})


def _see_through(img: Any) -> bool:
    return img.mode in _ALPHA_MODES or "transparency" in img.info


def _pillow_header(data: bytes) -> tuple[str | None, bool]:
    """The image's format as Pillow names it and whether it has see-through pixels (an alpha
    channel or a transparent colour), from its header; (None, False) when Pillow cannot tell."""
    with _declared() as image_module:
        try:
            with image_module.open(io.BytesIO(data)) as img:
                return str(img.format or "") or None, _see_through(img)
        except Exception:
            return None, False


def _to_bgr(frame: Any) -> np.ndarray:
    """A Pillow frame as BGR pixels, turned upright by its EXIF orientation as a phone camera records
    it (OpenCV does so for the files it decodes; Pillow leaves it to the caller), and see-through
    pixels laid on white paper (dropping the alpha channel leaves black ink on the black those pixels
    hold)."""
    from PIL import Image, ImageOps

    frame = ImageOps.exif_transpose(frame)
    if frame.mode in ("F", "I"):
        frame = Image.fromarray(_eight_bit(np.asarray(frame)))
    if _see_through(frame):
        rgba = frame.convert("RGBA")
        frame = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    rgb = np.asarray(frame.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _eight_bit(samples: np.ndarray) -> np.ndarray:
    """16- or 32-bit samples as 8 bits, white kept white: scaled from the range their largest value
    suggests (0-255: a 16-bit file holding 8-bit values; 0-65535; floats 0-1; else their maximum)."""
    top = samples.max(initial=0)
    if samples.dtype.kind in "ui" and top <= 255:
        return samples.astype(np.uint8)
    if samples.dtype == np.uint16:
        return (samples // 257).astype(np.uint8)
    full = next((t for t in (1.0, 255.0, 65535.0) if top <= t), float(top))
    return np.clip(samples * (255.0 / full), 0, 255).astype(np.uint8)


def _load_framed(path: Path, data: bytes, limits: PageLimits) -> list[Page]:
    """Every frame of a GIF, WebP or HEIC, or of an image with see-through pixels, as a page, each
    checked before it is decoded."""
    sizes = _frame_sizes(path, data, limits, pages=True) or []
    used = 0
    for number, (width, height) in enumerate(sizes, start=1):
        _check_size(path, width, height)
        used = limits.check_budget(path, number, used, 3 * width * height)
    pages = []
    with _declared() as image_module:
        try:
            with image_module.open(io.BytesIO(data)) as img:
                for index in range(len(sizes)):
                    img.seek(index)
                    pages.append(Page(image=_to_bgr(img), number=index + 1))
        except (OSError, ValueError, EOFError) as exc:
            if not pages:
                raise DocumentError(path, f"cannot decode: truncated or corrupt image ({exc})") from exc
            raise DocumentError(path, f"cannot decode frame {len(pages) + 1}: {exc}") from exc
    return pages


def _load_large_jpeg(path: Path, data: bytes, width: int, height: int) -> list[Page]:
    """A JPEG photo over :data:`MAX_PIXELS` (and up to :data:`MAX_PHOTO_PIXELS`), decoded at a
    reduced scale by the JPEG decoder itself."""
    _check_size(path, width, height, MAX_PHOTO_PIXELS)
    with _declared() as image_module:
        try:
            with image_module.open(io.BytesIO(data)) as img:
                scale = next((s for s in (2, 4, 8) if (width // s) * (height // s) <= WORK_PIXELS), 8)
                img.draft("RGB", (width // scale, height // scale))  # decodes at 1/scale
                return [Page(image=_to_bgr(img), number=1)]
        except (OSError, ValueError) as exc:
            raise DocumentError(path, f"cannot decode: truncated or corrupt image ({exc})") from exc


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
    if (_is_heif(data) or path.suffix.lower() in {".heic", ".heif"}) and not _register_heif():
        raise DocumentError(path, "HEIC/HEIF photos need pillow-heif: pip install 'icr[heif]'")
    fmt, see_through = _pillow_header(data)
    if fmt in FRAMED or see_through:
        return _load_framed(path, data, limits)
    if fmt == "JPEG":
        first = _frame_sizes(path, data, limits, pages=False)
        if first and first[0][0] * first[0][1] > MAX_PIXELS:
            width, height = first[0]
            limits.check_budget(path, 1, 0, 3 * min(width * height, WORK_PIXELS))
            return _load_large_jpeg(path, data, width, height)
    import cv2  # here, not at the top: the ingest parent plans with this module but never decodes

    tiff = path.suffix.lower() in {".tif", ".tiff"} or data[:4] in (b"II*\x00", b"MM\x00*")
    sizes = _frame_sizes(path, data, limits, pages=tiff)
    used = 0
    for number, (width, height) in enumerate(sizes or [], start=1):
        _check_size(path, width, height)
        used = limits.check_budget(path, number, used, 3 * width * height)  # decoded as BGR
    buf = np.frombuffer(data, dtype=np.uint8)
    images: list[np.ndarray] = []
    # 16-bit samples decoded as they are, made 8-bit by their range below (OpenCV's own conversion
    # keeps the high byte: black for a 16-bit file holding 8-bit values)
    flags = cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH
    if tiff:
        for index in range(len(sizes) if sizes else 1):
            ok, decoded = cv2.imdecodemulti(buf, flags, None, (index, index + 1))
            if not ok or not decoded:
                if index:
                    raise DocumentError(path, f"cannot decode page {index + 1}: truncated or corrupt image")
                break
            images.extend(decoded)
    else:
        img = cv2.imdecode(buf, flags)
        if img is not None:
            images = [img]
    if not images and fmt is not None:
        # OpenCV reads no float or 32-bit samples; Pillow does (and names the problem of a broken file).
        return _load_framed(path, data, limits)
    if not images:
        kind = "truncated or corrupt image" if _looks_like_image(data) else "not an image file"
        raise DocumentError(path, f"cannot decode: {kind}")
    pages = []
    for number, img in enumerate(images, start=1):
        _check_size(path, img.shape[1], img.shape[0])
        pages.append(Page(image=np.ascontiguousarray(img if img.dtype == np.uint8 else _eight_bit(img)), number=number))
    return pages


_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"RIFF", b"GIF8")


def _looks_like_image(data: bytes) -> bool:
    return data.startswith(_MAGIC)
