"""Loading files into pages: every kind of bad input gets a clear error naming the file."""

from __future__ import annotations

import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from icr.errors import DocumentError
from icr.imaging.load import load_pages


def _png(path: Path, shape: tuple[int, int] = (60, 80)) -> Path:
    img = np.full(shape, 255, np.uint8)
    cv2.putText(img, "A1", (5, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    cv2.imwrite(str(path), img)
    return path


def test_png_loads_as_one_page(tmp_path: Path) -> None:
    pages = load_pages(_png(tmp_path / "a.png"))
    assert len(pages) == 1 and pages[0].image.shape[:2] == (60, 80)


def test_multipage_tiff_keeps_page_order(tmp_path: Path) -> None:
    imgs = [np.full((40, 50), v, np.uint8) for v in (10, 120, 240)]
    path = tmp_path / "m.tiff"
    assert cv2.imwritemulti(str(path), imgs)
    pages = load_pages(path)
    assert [p.number for p in pages] == [1, 2, 3]
    assert [int(p.image.mean()) for p in pages] == [10, 120, 240]


@pytest.mark.parametrize(("top", "dtype"), [(1.0, np.float32), (255.0, np.float32), (65535.0, np.int32)])
def test_float_and_32_bit_tiffs_load_with_white_paper(tmp_path: Path, top: float, dtype: type) -> None:
    # OpenCV decodes no 32-bit samples; such a TIFF is read by Pillow, scaled from its apparent range.
    from PIL import Image

    samples = np.full((60, 80), top, dtype)
    samples[20:40, 10:30] = 0
    path = tmp_path / "scientific.tif"
    Image.fromarray(samples).save(path)
    (page,) = load_pages(path)
    assert page.image.shape == (60, 80, 3) and page.image.dtype == np.uint8
    assert page.image[5, 5].tolist() == [255, 255, 255] and page.image[30, 20].tolist() == [0, 0, 0]


@pytest.mark.parametrize(("name", "top"), [("full.png", 65535), ("eight-bit-values.png", 255), ("g.tif", 255)])
def test_16_bit_pages_keep_their_paper_white(tmp_path: Path, name: str, top: int) -> None:
    # A 16-bit file may hold 8-bit values (numpy arrays saved without scaling): OpenCV's own
    # conversion keeps the high byte and would read such a page as black.
    samples = np.full((60, 80), top, np.uint16)
    samples[20:40, 10:30] = 0
    path = tmp_path / name
    assert cv2.imwrite(str(path), samples)
    (page,) = load_pages(path)
    assert page.image.dtype == np.uint8
    assert page.image[5, 5].tolist() == [255, 255, 255] and page.image[30, 20].tolist() == [0, 0, 0]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.png", b"", "empty file"),
        ("text.jpg", b"this is not an image\n", "not an image"),
        ("header.png", b"\x89PNG\r\n\x1a\n", "truncated or corrupt"),
    ],
)
def test_bad_bytes_name_file_and_problem(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as err:
        load_pages(path)
    assert str(path) in str(err.value) and problem in str(err.value)


def test_truncated_jpeg(tmp_path: Path) -> None:
    img = np.random.default_rng(0).integers(0, 255, (300, 300), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.tobytes()[:200])
    with pytest.raises(DocumentError, match=r"cut\.jpg"):
        load_pages(path)


def test_decompression_bomb_refused_before_decoding(tmp_path: Path) -> None:
    # A valid PNG header (its CRC right, as decoders check it) claiming 30000x30000 pixels:
    # refused from the header alone.
    path = tmp_path / "bomb.png"
    ihdr = b"IHDR" + (30000).to_bytes(4, "big") + (30000).to_bytes(4, "big") + b"\x08\x00\x00\x00\x00"
    header = b"\x89PNG\r\n\x1a\n" + (13).to_bytes(4, "big") + ihdr + zlib.crc32(ihdr).to_bytes(4, "big")
    path.write_bytes(header + (1000).to_bytes(4, "big") + b"IDAT" + b"\x00" * 64)  # its pixels cut short
    with pytest.raises(DocumentError, match="too large"):
        load_pages(path)


def test_tiny_image_refused(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    cv2.imwrite(str(path), np.zeros((1, 1), np.uint8))
    with pytest.raises(DocumentError, match="too small"):
        load_pages(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="cannot read"):
        load_pages(tmp_path / "nope.png")
