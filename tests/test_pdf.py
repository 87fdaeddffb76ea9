"""PDF input: text layer when a page has one, else rendered at 300 DPI; pages in order; clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES
from PIL import Image, ImageDraw

from icr.errors import DocumentError
from icr.imaging.load import load_pages, supported_extensions
from icr.ocr.recognizer import recognize_pages
from icr.types import CorrectedPage

pytest.importorskip("pypdfium2", reason="the pdf extra (pypdfium2) is not installed")


def text_pdf(lines_per_page: list[list[str]]) -> bytes:
    """A small PDF with a real text layer (Helvetica), one page per list of lines."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(lines_per_page)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(lines_per_page)} >>".encode())
    font = 3 + 2 * len(lines_per_page)
    for i, lines in enumerate(lines_per_page):
        body = "BT /F1 14 Tf 72 760 Td 18 TL " + " ".join(f"({ln}) Tj T*" for ln in lines) + " ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 800] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(body)} >>\nstream\n{body}\nendstream".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return pdf_file(objects)


def pdf_file(objects: list[bytes]) -> bytes:
    """A PDF of these numbered objects (the first the catalog) with its cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def scanned_pdf(path: Path, pages: int) -> None:
    """An image-only PDF (no text layer), each page marked with its number's count of bars."""
    images = []
    for n in range(1, pages + 1):
        img = Image.new("L", (600, 800), 255)
        draw = ImageDraw.Draw(img)
        for bar in range(n):
            draw.rectangle((50 + 60 * bar, 100, 80 + 60 * bar, 300), fill=0)
        images.append(img)
    images[0].save(path, "PDF", resolution=100.0, save_all=True, append_images=images[1:])


def test_pdf_is_a_supported_extension() -> None:
    assert ".pdf" in supported_extensions()


def test_a_text_layer_is_used_as_it_is_in_page_order(tmp_path: Path) -> None:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(text_pdf([["ACME TRADING", "TOTAL 12.50"], ["PAGE TWO", "THANK YOU"]]))
    pages = load_pages(path)
    assert [p.number for p in pages] == [1, 2]
    assert pages[0].text_layer is not None and "ACME TRADING" in pages[0].text_layer
    assert "TOTAL 12.50" in pages[0].text_layer
    assert pages[1].text_layer is not None and "THANK YOU" in pages[1].text_layer
    # read without OCR: the recognizer takes the text layer, a line per line
    corrected = [CorrectedPage(p.image, p.number, text_layer=p.text_layer) for p in pages]
    ocr = recognize_pages(corrected, _never, language="eng", psm=6, timeout=0, engine="test")
    assert [ln.text for ln in ocr.lines()] == ["ACME TRADING", "TOTAL 12.50", "PAGE TWO", "THANK YOU"]
    assert [ln.page for ln in ocr.lines()] == [1, 1, 2, 2]


def _never(*args: object, **kwargs: object) -> dict[str, list[object]]:
    raise AssertionError("a page with a text layer must not be OCRed")


def test_a_page_without_text_is_rendered_at_300_dpi(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    scanned_pdf(path, 3)
    pages = load_pages(path)
    assert [p.number for p in pages] == [1, 2, 3]
    for page in pages:
        assert page.text_layer is None and page.dpi == 300
        height, width = page.image.shape[:2]
        assert abs(height - 2400) <= 1 and abs(width - 1800) <= 1  # 6 x 8 inches at 300 DPI
    bars = [int((np.diff((p.image[600] < 128).astype(np.int8)) == 1).sum()) for p in pages]
    assert bars == [1, 2, 3]  # in order


def test_an_encrypted_pdf_is_a_clear_error(tmp_path: Path) -> None:
    data = text_pdf([["SECRET"]]).replace(
        b"/Root 1 0 R >>",
        b"/Root 1 0 R /Encrypt << /Filter /Standard /V 1 /R 2 /O <"
        + b"00" * 32
        + b"> /U <"
        + b"11" * 32
        + b"> /P -4 >> /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] >>",
    )
    path = tmp_path / "locked.pdf"
    path.write_bytes(data)
    with pytest.raises(DocumentError, match="encrypted PDF"):
        load_pages(path)


@pytest.mark.parametrize("data", [b"%PDF-1.7\nthis is not a pdf at all", b"%PDF-"])
def test_a_broken_pdf_is_a_clear_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    with pytest.raises(DocumentError, match="broken PDF"):
        load_pages(path)


def test_without_pypdfium2_a_pdf_fails_saying_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # import fails as if not installed
    path = tmp_path / "a.pdf"
    path.write_bytes(text_pdf([["X"]]))
    with pytest.raises(DocumentError, match=r"pip install 'icr\[pdf\]'"):
        load_pages(path)


def test_a_multi_page_tiff_keeps_its_pages_in_order(tmp_path: Path) -> None:
    sample = Image.open(SAMPLES / "green-valley-grocer.png").convert("L")
    frames = [sample, sample.rotate(180), sample.crop((0, 0, 400, 300))]
    path = tmp_path / "multi.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    pages = load_pages(path)
    assert [p.number for p in pages] == [1, 2, 3]
    assert pages[2].image.shape[:2] == (300, 400)
