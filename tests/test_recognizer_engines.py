"""The two Tesseract engines (CLI through pytesseract, C API through tesserocr) agree.

Debian's CLI is Tesseract 5.3 while the tesserocr wheel bundles 5.5, so the two
read a few low-confidence glyphs differently; the structures must be the same
and the readings nearly so. On one Tesseract version they are identical.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES, requires_tesseract

from icr.config import load_settings
from icr.imaging.load import load_pages
from icr.metrics import cer
from icr.ocr.adapter import READ_MAX, words_from_tsv
from icr.ocr.recognizer import PytesseractRecognizer
from icr.registry import build_image_corrector, build_recognizer
from icr.types import CorrectedPage, OcrResult

needs_tesserocr = pytest.mark.skipif(
    importlib.util.find_spec("tesserocr") is None, reason="tesserocr is not installed (pip install 'icr[tesserocr]')"
)


def corrected(path: Path) -> list[CorrectedPage]:
    corrector = build_image_corrector(load_settings())
    return [corrector.correct(page) for page in load_pages(path)]


@pytest.fixture(scope="module")
def both() -> list[tuple[str, OcrResult, OcrResult]]:
    requires_tesseract()
    if importlib.util.find_spec("tesserocr") is None:
        pytest.skip("tesserocr is not installed (pip install 'icr[tesserocr]')")
    from icr.ocr.tesserocr_engine import TesserocrRecognizer

    cli, api = PytesseractRecognizer(), TesserocrRecognizer()
    out = []
    try:
        for path in sorted(SAMPLES.glob("*.png")):
            pages = corrected(path)
            out.append((path.name, cli.recognize(pages), api.recognize(pages)))
    finally:
        api.close()
    return out


@pytest.mark.tesseract
@needs_tesserocr
def test_engines_agree_on_the_samples(both: list[tuple[str, OcrResult, OcrResult]]) -> None:
    assert len(both) == 5
    for name, cli, api in both:
        assert (cli.engine, api.engine) == ("pytesseract", "tesserocr")
        assert [(p.number, p.width, p.height) for p in cli.pages] == [(p.number, p.width, p.height) for p in api.pages]
        assert cer(api.text, cli.text) < 0.05, name
        # the same words at the same places: boxes of words both engines found match exactly
        cli_boxes = {(w.left, w.top, w.width, w.height): w for w in cli.words}
        shared = [(cli_boxes[k], w) for w in api.words if (k := (w.left, w.top, w.width, w.height)) in cli_boxes]
        assert len(shared) >= 0.9 * len(cli.words), name
        same_text = sum(a.text == b.text for a, b in shared)
        assert same_text >= 0.95 * len(shared), name
        for a, b in shared:
            assert (a.block, a.paragraph, a.line, a.page) == (b.block, b.paragraph, b.line, b.page), name
            assert b.confidence == round(b.confidence, 2)  # whole percents from both engines
        gaps = [abs(a.confidence - b.confidence) for a, b in shared if a.text == b.text]
        assert sum(gaps) / len(gaps) < 0.05, name


@pytest.mark.tesseract
@needs_tesserocr
def test_engine_reads_a_sample_well() -> None:
    from icr.ocr.tesserocr_engine import TesserocrRecognizer

    recognizer = TesserocrRecognizer()
    try:
        result = recognizer.recognize(corrected(SAMPLES / "green-valley-grocer.png"))
        again = recognizer.recognize(corrected(SAMPLES / "green-valley-grocer.png"))
    finally:
        recognizer.close()
    assert "GREEN" in result.text
    assert result.words == again.words  # the kept-loaded model gives the same answer twice
    assert result.mean_confidence > 0.7


@pytest.mark.tesseract
@needs_tesserocr
def test_colour_pages_are_read_as_rgb_by_both_engines() -> None:
    from icr.ocr.tesseract_api import image_bytes

    bgr = np.zeros((10, 12, 3), dtype=np.uint8)
    bgr[:, :, 0] = 200  # blue in OpenCV's order
    raw, width, height, bpp, bpl = image_bytes(bgr)
    assert (width, height, bpp, bpl) == (12, 10, 3, 36)
    assert raw[:3] == bytes([0, 0, 200])


def test_auto_prefers_tesserocr_when_installed() -> None:
    recognizer = build_recognizer(load_settings())
    expected = "tesserocr" if importlib.util.find_spec("tesserocr") else "pytesseract"
    assert recognizer.name == expected
    recognizer.close()


def test_the_adapter_keeps_whole_percent_confidences() -> None:
    data = {
        "level": [1, 5, 5], "page_num": [1, 1, 1], "block_num": [0, 1, 1], "par_num": [0, 1, 1],
        "line_num": [0, 1, 1], "word_num": [0, 1, 2], "left": [0, 5, 40], "top": [0, 5, 5],
        "width": [100, 30, 20], "height": [50, 10, 10], "conf": [-1, 71.569862, 96.9], "text": ["", "ACM", " "],
    }  # fmt: skip
    words = words_from_tsv(data, page=2)
    assert [(w.text, w.confidence, w.page) for w in words] == [("ACM", 0.71, 2)]
    # a recognizer is never as sure as typed text (1.0), which the text corrector leaves as printed
    data["conf"][1] = 100.0
    assert words_from_tsv(data)[0].confidence == READ_MAX < 1.0


def test_parse_tsv_matches_pytesseract_columns() -> None:
    pytest.importorskip("tesserocr")
    from icr.ocr.tesseract_api import parse_tsv

    data = parse_tsv("1\t1\t0\t0\t0\t0\t0\t0\t640\t480\t-1\t\n5\t1\t1\t1\t1\t1\t12\t20\t40\t11\t93.25\tTOTAL\n")
    assert data["level"] == [1, 5]
    assert data["text"] == ["", "TOTAL"]
    assert data["conf"] == [-1.0, 93.25]
    assert data["left"] == [0, 12]


def test_loaded_models_keep_the_most_recent_languages_and_end_the_rest() -> None:
    from icr.ocr.tesseract_api import LoadedModels

    loads: list[str] = []
    ended: list[str] = []
    models = LoadedModels(lambda lang: loads.append(lang) or f"model-{lang}", lambda m: ended.append(m), limit=2)
    assert models.get("eng") == "model-eng" and models.get("deu") == "model-deu"
    assert models.get("eng") == "model-eng"  # kept: no second load
    models.get("fra")  # the least recently used (deu) makes room
    assert loads == ["eng", "deu", "fra"] and ended == ["model-deu"]
    models.close()
    assert sorted(ended) == ["model-deu", "model-eng", "model-fra"]
