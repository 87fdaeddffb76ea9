"""The system's Tesseract read in process (the second read's recognizer) reads as its command line does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES, requires_tesseract

from icr.config import load_settings
from icr.imaging.load import load_pages
from icr.ocr import libtesseract
from icr.ocr.recognizer import PytesseractRecognizer
from icr.ocr.tesseract_api import EngineTimeout
from icr.registry import build_image_corrector, build_recognizer
from icr.types import CorrectedPage


def corrected(path: Path) -> list[CorrectedPage]:
    corrector = build_image_corrector(load_settings())
    return [corrector.correct(page) for page in load_pages(path)]


def needs_library() -> None:
    requires_tesseract()
    if libtesseract.library() is None:
        pytest.skip("the system's libtesseract cannot be loaded (Debian package libtesseract5)")


@pytest.mark.tesseract
def test_the_library_reads_every_sample_as_the_command_line_does() -> None:
    needs_library()
    system = build_recognizer(load_settings(overrides={"stages": {"recognizer": "system"}}))
    cli = PytesseractRecognizer()
    assert isinstance(system, libtesseract.SystemRecognizer)
    for path in sorted(SAMPLES.glob("*.png")):
        pages = corrected(path)
        ours, theirs = system.recognize(pages), cli.recognize(pages)
        assert ours.engine == "system"
        # one build, one model: the same words, boxes, confidences and lines
        assert ours.words == theirs.words, path.name
        assert ours.text == theirs.text, path.name


@pytest.mark.tesseract
def test_a_passed_deadline_stops_the_read() -> None:
    needs_library()
    page = corrected(SAMPLES / "green-valley-grocer.png")[0]
    read = libtesseract.read_function()
    with pytest.raises(EngineTimeout):
        read(page.image, language="eng", psm=6, timeout=1e-6)
    assert "GREEN" in " ".join(read(page.image, language="eng", psm=6)["text"])  # and the next read is whole


def test_without_the_library_the_command_line_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    from icr.ocr import tesseract

    monkeypatch.setattr(libtesseract, "library", lambda: None)
    assert libtesseract.read_function() is tesseract.image_to_data


def test_the_second_read_uses_the_system_build() -> None:
    from icr.pipeline import build_stages

    stages = build_stages(load_settings())
    assert isinstance(stages.second_recognizer, libtesseract.SystemRecognizer)
    stages.close()


def test_an_unknown_language_is_named() -> None:
    if libtesseract.library() is None:
        pytest.skip("the system's libtesseract cannot be loaded")
    engine = libtesseract.SystemTesseract(libtesseract.library())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="xxx"):
        engine.image_to_data(np.full((20, 20), 255, np.uint8), language="xxx", psm=7)
    engine.close()
