"""Image corrector steps checked by reading the result with the real Tesseract."""

from __future__ import annotations

import os
import shutil

import cv2
import numpy as np
import pytest

from icr.imaging.steps import lines, orientation
from icr.imaging.steps.orientation import turn
from icr.metrics import word_accuracy

pytestmark = [
    pytest.mark.tesseract,
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="the tesseract binary is not installed"),
]
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

TEXT = [
    "SUPERMARKET SDN BHD",
    "NO 12 JALAN BESAR",
    "INVOICE 000123 CASH",
    "MILK FRESH 2L 7.90",
    "BREAD WHITE 3.50",
    "TOTAL AMOUNT 16.60",
    "THANK YOU COME AGAIN",
]


def page() -> np.ndarray:
    img = np.full((120 + 70 * len(TEXT), 900), 255, np.uint8)
    for i, t in enumerate(TEXT):
        cv2.putText(img, t, (40, 100 + 70 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    return img


def read(img: np.ndarray) -> str:
    import pytesseract

    return str(pytesseract.image_to_string(img, config="--psm 6"))


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_orientation_turns_a_page_upright(degrees: int) -> None:
    img = page()
    lying = turn(img, degrees)
    out, info = orientation(lying, {})
    assert info["rotation"] == (360 - degrees) % 360
    assert np.array_equal(out, img)


def test_orientation_keeps_an_upright_page_and_a_blank_one() -> None:
    img = page()
    out, info = orientation(img, {})
    assert info["rotation"] == 0 and out is img
    blank = np.full((400, 300), 255, np.uint8)
    out, info = orientation(blank, {})
    assert info["rotation"] == 0 and out is blank


def test_ruling_lines_removed_and_the_text_still_reads() -> None:
    img = page()
    ruled = img.copy()
    h, w = ruled.shape
    for i in range(len(TEXT) + 1):
        cv2.line(ruled, (0, 40 + 70 * i), (w - 1, 40 + 70 * i), 0, 3)
        cv2.line(ruled, (0, 88 + 70 * i), (w - 1, 88 + 70 * i), 0, 2)  # through the letters
    for x in (15, 620, w - 15):
        cv2.line(ruled, (x, 0), (x, h - 1), 0, 3)
    reference = "\n".join(TEXT)
    clean_acc = word_accuracy(read(img), reference)
    ruled_acc = word_accuracy(read(ruled), reference)
    cleaned, info = lines(ruled, {})
    cleaned_acc = word_accuracy(read(cleaned), reference)
    assert info["lines_removed"] >= 8
    assert clean_acc >= 0.9
    assert cleaned_acc >= 0.8
    assert cleaned_acc > ruled_acc


@pytest.mark.parametrize("degrees", [0, 180])
def test_an_orientation_the_geometry_leaves_open_is_settled_by_reading_the_page(tmp_path, degrees: int) -> None:  # type: ignore[no-untyped-def]
    from icr.config import load_settings
    from icr.imaging.corrector import OpenCVCorrector
    from icr.ocr.recognizer import PytesseractRecognizer
    from icr.pipeline import Stages, Task, process_document
    from icr.text.corrector import FakeTextCorrector

    path = tmp_path / "page.png"
    cv2.imwrite(str(path), turn(page(), degrees))
    # Geometry that never decides (no number of dots or votes is enough): the page is read as it is first.
    options = {"steps": ["grayscale", "orientation"], "orientation_defer": True, "min_dots": 10**9, "min_votes": 10**9}
    stages = Stages(OpenCVCorrector(options), PytesseractRecognizer(), FakeTextCorrector(load_settings()))
    result = process_document(Task(str(path), "o" * 64), stages)
    assert result.ok and result.ocr is not None
    text = "\n".join(p.text for p in result.ocr.pages)
    assert word_accuracy("\n".join(TEXT), text) > 0.8
    assert result.info["rotation"] == degrees
    # Upright, the reading itself settles it: the probe is never asked; upside down, it is.
    assert result.info["orientation_probe"] == float(degrees != 0)


def test_only_the_page_that_must_turn_is_read_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from icr.config import load_settings
    from icr.imaging.corrector import OpenCVCorrector
    from icr.ocr.recognizer import PytesseractRecognizer
    from icr.pipeline import Stages, Task, process_document
    from icr.text.corrector import FakeTextCorrector

    pages_read: list[int] = []

    class Counting(PytesseractRecognizer):
        def recognize(self, pages, *, language=None, psm=None):  # type: ignore[no-untyped-def]
            pages_read.extend(p.number for p in pages)
            return super().recognize(pages, language=language, psm=psm)

    path = tmp_path / "two.tif"
    cv2.imwritemulti(str(path), [page(), turn(page(), 180)])
    options = {"steps": ["grayscale", "orientation"], "orientation_defer": True, "min_dots": 10**9, "min_votes": 10**9}
    recognizer = Counting()
    result = process_document(
        Task(str(path), "t" * 64), Stages(OpenCVCorrector(options), recognizer, FakeTextCorrector(load_settings()))
    )
    assert result.ok and result.ocr is not None
    assert pages_read == [1, 2, 2]  # both read as they came, then page 2 turned
    for ocr_page in result.ocr.pages:
        assert word_accuracy("\n".join(TEXT), ocr_page.text) > 0.8
