"""Pages in a script the neural engine cannot read (icr.ocr.scripts): when a page is read again by
Tesseract in its script, with fakes; and the real engines on a printed Russian receipt."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from icr.ocr import rapidocr_api
from icr.ocr.adapter import page_from_words
from icr.ocr.scripts import ScriptFallback, combined, joined, read_again
from icr.types import OcrPage, Word
from tests.conftest import printed

RULE = ScriptFallback(unread=0.15, min_lines=3, languages={"Cyrillic": "rus", "Greek": "ell"})
EVERY = frozenset({"eng", "rus", "ell", "osd"})


def page(words: list[Word], seen: int = 0, unread: int = 0) -> OcrPage:
    return replace(page_from_words(words, 400, 300), lines_seen=seen, unread=unread)


def word(text: str, left: int, top: int, confidence: float = 0.95, line: int = 1, width: int = 80) -> Word:
    return Word(text, left, top, width, 20, confidence, block=1, paragraph=1, line=line)


NEURAL = page(
    [word('000 "A"', 0, 0, 0.6), word("=612.40", 300, 40, 0.99, 2), word("14.03.2024", 0, 80, 0.98, 3)], 10, 7
)
TESSERACT = page(
    [
        word('ООО "ПРОДУКТЫ"', 0, 0, 0.9, 1),
        word("ИТОГ", 0, 40, 0.9, 2),
        word("=612.48", 300, 40, 0.7, 2),
        word("14.03.2024", 0, 80, 0.9, 3),
    ]
)
LATIN = page([word("TOTAL", 0, 0, 0.6)])
"""Tesseract's reading in English alone of the page: unsure."""


class Reader:
    """A fake Tesseract: each language's reading of the one page, and the languages asked for."""

    def __init__(self, readings: dict[str, OcrPage]) -> None:
        self.readings, self.asked = readings, list[str]()

    def __call__(self, image: str, language: str) -> OcrPage:
        self.asked.append(language)
        return self.readings[language]


def test_a_page_mostly_unread_is_read_in_each_language_and_the_surest_taken() -> None:
    wrong = page([word("ΟΟΟ", 0, 0, 0.55)])
    read = Reader({"rus+eng": TESSERACT, "ell+eng": wrong, "eng": LATIN})
    pages, languages = read_again([NEURAL], ["img"], RULE, read, lambda: EVERY)
    assert languages == ["rus+eng"] and sorted(read.asked) == ["ell+eng", "eng", "rus+eng"]
    # Tesseract's letters, the neural engine's sure amount in place of Tesseract's misread one
    assert pages[0].text.splitlines() == ['ООО "ПРОДУКТЫ"', "ИТОГ =612.40", "14.03.2024"]


def test_letters_of_a_listed_script_the_engine_read_ask_for_that_language_alone() -> None:
    greek = page([word("ΚΑΦΕ ΜΠΑΡ", 0, 0, 0.99), word("12,00", 0, 40, 0.99, 2)], 10, 0)
    read = Reader({"ell+eng": page([word("ΚΑΦΕ", 0, 0, 0.9), word("ΜΠΑΡ", 90, 0, 0.9)])})
    pages, languages = read_again([greek], ["img"], RULE, read, lambda: EVERY)
    assert languages == read.asked == ["ell+eng"]
    assert pages[0].text == "ΚΑΦΕ ΜΠΑΡ"


@pytest.mark.parametrize(
    ("seen", "unread", "sure", "latin"),
    [
        (10, 1, 0.9, 0.6),  # a page the engine read (a Latin receipt's few short lines): not looked at
        (2, 2, 0.9, 0.6),  # too few lines to tell
        (10, 8, 0.45, 0.2),  # no language reads it surely (a faint page)
        (10, 8, 0.65, 0.6),  # English alone reads it as surely: a Latin page
    ],
)
def test_no_second_reading_where_the_engine_read_the_page_or_no_listed_language_reads_it_surer(
    seen: int, unread: int, sure: float, latin: float
) -> None:
    neural = page([word("TOTAL", 0, 0, 0.99), word("=612.40", 300, 40, 0.99, 2)], seen, unread)
    unsure = page([word("ТОТАЛ", 0, 0, sure)])
    read = Reader({"rus+eng": unsure, "ell+eng": unsure, "eng": page([word("TOTAL", 0, 0, latin)])})
    pages, languages = read_again([neural], ["img"], RULE, read, lambda: EVERY)
    assert pages == [neural] and languages == []
    if unread < 0.15 * seen or seen < 3:
        assert read.asked == []  # not even a look


def test_a_language_without_its_model_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    read = Reader({"rus+eng": TESSERACT, "eng": LATIN})
    with caplog.at_level(logging.WARNING, logger="icr.ocr.scripts"):
        pages, languages = read_again([NEURAL], ["img"], RULE, read, lambda: frozenset({"eng", "rus"}))
    assert languages == ["rus+eng"] and "ell+eng" not in read.asked
    assert "no ell model" in caplog.text and "tesseract-ocr-ell" in caplog.text
    with caplog.at_level(logging.WARNING, logger="icr.ocr.scripts"):
        pages, languages = read_again([NEURAL], ["img"], RULE, read, lambda: frozenset({"eng"}))
    assert pages == [NEURAL] and languages == []


def test_only_sure_numbers_replace_tesseracts_reading_and_never_its_words_of_the_script() -> None:
    neural = page([word("000", 0, 0, 0.99), word("=612.40", 300, 40, 0.5, 2)])
    out = combined(neural, TESSERACT, keep=0.9, script="Cyrillic")
    # "000" over the letters ООО and an unsure amount change nothing
    assert out.text == TESSERACT.text
    assert combined(NEURAL, TESSERACT, keep=1.01, script="Cyrillic").text == TESSERACT.text  # never


def test_a_sure_number_tesseract_did_not_read_joins_the_line_beside_it() -> None:
    tesseract = page([word("ИТОГ", 0, 40, 0.9, 2), word("14.03.2024", 0, 80, 0.9, 3)])
    neural = page([word("=612.40", 300, 40, 0.99, 2), word("18:42", 300, 80, 0.99, 3), word("7", 0, 200, 0.99, 4)])
    out = combined(neural, tesseract, keep=0.9, script="Cyrillic")
    assert out.text.splitlines() == ["ИТОГ =612.40", "14.03.2024 18:42"]  # no line of its own added


def test_hangul_syllables_tesseract_gives_apart_are_joined_where_they_stand_close() -> None:
    syllables = [word(c, 20 * i + (12 if i >= 4 else 0), 0, 0.9, width=17) for i, c in enumerate("주식회사다온")]
    out = joined(page(syllables), ["Hangul"], 0.5)
    assert out.text == "주식회사 다온"


CYRILLIC_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")


def _missing() -> str | None:
    from icr.ocr import tesseract

    if not rapidocr_api.available():
        return "rapidocr/onnxruntime are not installed (pip install 'icr[neural]')"
    if "rus" not in tesseract.languages():
        return "Tesseract has no rus model (apt-get install tesseract-ocr-rus)"
    if not CYRILLIC_FONT.exists():
        return "no DejaVu Sans Mono to print Cyrillic (fonts-dejavu-core)"
    return None


@pytest.mark.slow
@pytest.mark.tesseract
@pytest.mark.skipif(_missing() is not None, reason=str(_missing()))
def test_real_engines_read_a_russian_receipt_and_the_pack_gives_its_fields(tmp_path: Path) -> None:
    from PIL import Image as PilImage

    from icr.config import load_settings
    from icr.pipeline import Task, build_stages, process_document

    text = [
        'ООО "РОМАШКА"',
        "г. Казань, ул. Баумана, д. 7",
        "ИНН 7852601815",
        "КАССОВЫЙ ЧЕК",
        "Хлеб               45.00",
        "Молоко             89.90",
        "Сыр               312.50",
        "ИТОГ             =447.40",
        "НАЛИЧНЫМИ        =500.00",
        "СДАЧА             =52.60",
        "21.08.2024 12:31",
    ]
    path = tmp_path / "ru.png"
    PilImage.fromarray(printed(text, CYRILLIC_FONT, width=520, step=42)).save(path)
    stages = build_stages(load_settings(profile="accurate"))
    try:
        result = process_document(Task(str(path), "x"), stages)
    finally:
        stages.close()
    assert result.status == "ok", result.error
    assert "script_fallback" in result.timings and result.ocr is not None and result.ocr.language == "rus+eng"
    fields = result.extraction.fields if result.extraction is not None else {}
    got = {name: str(fields[name].value) for name in ("total", "date", "currency", "tax_id") if name in fields}
    assert got == {"total": "447.40", "date": "2024-08-21", "currency": "RUB", "tax_id": "7852601815"}
    assert "РОМАШКА" in str(fields["company"].value)
