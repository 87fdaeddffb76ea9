"""Handwriting on forms: zones read by the handwriting recognizer with their grammar, and the lines
the page engine read badly read again by it (a fake recognizer for the rules, the shipped model on a
word written in a font it never saw)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import random
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from icr.errors import ConfigError
from icr.forms.handwriting import HandwritingOptions, reread_lines
from icr.forms.keyvalue import pairs_of
from icr.forms.reader import FormReader
from icr.forms.segments import Segment
from icr.types import CorrectedPage, CropReading, OcrPage, OcrResult, Word

PAGE = np.full((200, 600), 255, np.uint8)


def _page() -> OcrPage:
    words = [
        Word("Date", 20, 40, 60, 20, 0.96, 1, 1, 1),
        Word("of", 90, 40, 25, 20, 0.95, 1, 1, 1),
        Word("birth:", 125, 40, 70, 20, 0.97, 1, 1, 1),
        Word("l2/o5", 300, 38, 80, 26, 0.31, 1, 1, 2),  # the answer, written by hand and read badly
        Word("~1990", 390, 38, 90, 26, 0.22, 1, 1, 2),
    ]
    return OcrPage("Date of birth:\nl2/o5 ~1990", words, 600, 200)


def _reader(text: str, confidence: float, words: tuple[tuple[str, float, float, float], ...] = ()):  # type: ignore[no-untyped-def]
    crops: list[tuple[int, int]] = []

    def read(crop: np.ndarray, grammar: str | None) -> CropReading:
        assert grammar is None  # a line of an answer can be anything
        crops.append(crop.shape[:2])
        return CropReading(text, confidence, "htr", words)

    return read, crops


def test_a_badly_read_line_takes_the_handwriting_reading_when_it_is_sure() -> None:
    read, crops = _reader("12/05/1990", 0.95)
    page = reread_lines(_page(), PAGE, read, HandwritingOptions())
    assert len(crops) == 1  # the printed label, read surely, is not read again
    assert crops[0][0] > 26  # the crop reaches beyond the words' box
    assert [w.text for w in page.words] == ["Date", "of", "birth:", "12/05/1990"]
    new = page.words[-1]
    assert (new.engine, new.confidence, new.line) == ("htr", 0.95, 2)
    assert (new.left, new.top, new.left + new.width, new.top + new.height) == (300, 38, 480, 64)
    assert page.text == "Date of birth:\n12/05/1990"
    assert all(w.engine == "" for w in page.words[:3])


def test_an_unsure_or_no_surer_reading_leaves_the_line_as_read() -> None:
    for text, confidence in (("12/05/1990", 0.85), ("", 0.99)):
        read, _ = _reader(text, confidence)
        assert reread_lines(_page(), PAGE, read, HandwritingOptions()) == _page()
    read, crops = _reader("12/05/1990", 0.95)
    assert reread_lines(_page(), PAGE, read, HandwritingOptions(below=0)) == _page() and not crops
    # a reader no surer than the engine by the lead keeps the engine's words
    sure = replace(_page(), words=[replace(w, confidence=0.45) if w.line == 2 else w for w in _page().words])
    read, _ = _reader("12/05/1990", 0.5)
    assert reread_lines(sure, PAGE, read, HandwritingOptions(min_confidence=0.5, lead=0.1)) == sure


def test_words_share_the_line_by_their_letters_and_pairs_name_the_engine() -> None:
    read, _ = _reader("Ann  Lee", 0.97)
    page = reread_lines(_page(), PAGE, read, HandwritingOptions())
    ann, lee = page.words[-2:]
    assert (ann.text, lee.text) == ("Ann", "Lee") and ann.left == 300 and ann.left + ann.width < lee.left
    assert lee.left + lee.width == pytest.approx(480, abs=1)
    question, answer = Segment(page.words[:3]), Segment(page.words[3:])
    (pair,) = pairs_of([(question, answer)])
    assert (pair.key, pair.value, pair.engine) == ("Date of birth", "Ann Lee", "htr")
    (typed,) = pairs_of([(question, Segment(_page().words[3:]))])
    assert typed.engine == ""  # the page's own engine: the form reader names it


def test_words_the_engine_placed_keep_their_place_and_confidence() -> None:
    # the crop runs from x 296 (the words' box less its pad of 4) to 484: 188 px
    read, _ = _reader("Ann Lee", 0.95, (("Ann", 0.99, 0.1, 0.4), ("Lee", 0.92, 0.6, 0.9)))
    ann, lee = reread_lines(_page(), PAGE, read, HandwritingOptions()).words[-2:]
    assert (ann.text, ann.confidence, ann.left, ann.width) == ("Ann", 0.99, 296 + 19, 56)
    assert (lee.text, lee.confidence, lee.left, lee.width) == ("Lee", 0.92, 296 + 113, 56)


def test_the_settings_are_checked() -> None:
    reader = FormReader.from_section({"handwriting": {"below": 0.6, "lead": 0.2}})
    assert reader.handwriting_options == HandwritingOptions(below=0.6, lead=0.2)
    with pytest.raises(ConfigError, match=r"forms\.handwriting\.above"):
        FormReader.from_section({"handwriting": {"above": 0.6}})


@pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None, reason="the htr extra (onnxruntime) is absent")
def test_the_shipped_model_reads_a_handwritten_answer_the_page_engine_misread() -> None:
    import cv2

    from icr.htr.render import render_word, split_fonts
    from icr.pipeline import handwriting_reader

    held = [f for f in split_fonts()[1] if f.stem == "Humor-Sans"]  # a hand the model never saw
    if not held:
        pytest.skip("fonts-humor-sans absent (scripts/setup.sh installs it)")
    word = render_word("12/05/1990", held[0], random.Random(3), augment=False)
    word = cv2.resize(word, (round(word.shape[1] * 26 / word.shape[0]), 26), interpolation=cv2.INTER_AREA)
    page = PAGE.copy()
    page[38:64, 300 : 300 + word.shape[1]] = word
    misread = Word("l2/o5~1990", 300, 38, word.shape[1], 26, 0.3, 1, 1, 2)
    ocr = OcrResult([replace(_page(), words=[*_page().words[:3], misread])], engine="tesserocr")
    read = handwriting_reader()
    assert read is not None
    out = FormReader().reread_handwriting(ocr, [CorrectedPage(page)], read).pages[0].words
    assert [(w.text, w.engine) for w in out] == [("Date", ""), ("of", ""), ("birth:", ""), ("12/05/1990", "htr")]


LAYOUT = {
    "page_size": [600, 400],
    "anchors": [{"text": "LEAVE FORM", "box": [20, 20, 200, 50]}, {"text": "Signed by", "box": [20, 300, 160, 330]}],
    "zones": {
        "first_day": {"box": [300, 100, 560, 140], "kind": "date", "handwritten": True},
        "days": {"box": [300, 160, 560, 200], "kind": "number"},
        "phone": {"box": [300, 220, 560, 260], "kind": "handwriting", "grammar": "phone"},
    },
}


def _anchored_page() -> OcrResult:
    words = [
        Word("LEAVE", 20, 20, 90, 30, 0.97, 1, 1, 1),
        Word("FORM", 120, 20, 80, 30, 0.97, 1, 1, 1),
        Word("5", 310, 162, 20, 36, 0.93, 1, 2, 1),
        Word("Signed", 20, 300, 80, 30, 0.97, 1, 3, 1),
        Word("by", 110, 300, 50, 30, 0.97, 1, 3, 1),
    ]
    return OcrResult([OcrPage("", words, 600, 400)], engine="tesserocr")


def test_handwritten_zones_read_with_their_grammar_and_type_the_value() -> None:
    from icr.forms.zonal import parse_layout, read_zones

    asked: list[str | None] = []

    def read(crop: np.ndarray, grammar: str | None) -> CropReading:
        asked.append(grammar)
        return CropReading("12/03/2024" if grammar == "date" else "(555) 123-4567", 0.9, "htr")

    layout = parse_layout(LAYOUT, "t.yaml")
    pairs, _ = read_zones(layout, _anchored_page(), np.full((400, 600), 255, np.uint8), handwriting=read)
    got = {p.key: (p.value, p.typed, p.engine) for p in pairs}
    assert asked == ["date", "phone"]  # the number zone is the page engine's
    assert got["first_day"] == ("12/03/2024", dt.date(2024, 3, 12), "htr")
    assert got["days"][1:] == (Decimal(5), "tesserocr")
    assert got["phone"] == ("(555) 123-4567", None, "htr")


def test_a_typed_zone_the_page_engine_cannot_parse_is_read_by_hand_to_its_kind() -> None:
    from icr.forms.zonal import parse_layout, read_zones

    asked: list[str | None] = []

    def read(crop: np.ndarray, grammar: str | None) -> CropReading:
        asked.append(grammar)
        return CropReading("12/03/2024" if grammar == "date" else "7", 0.9 if grammar == "date" else 0.4, "htr")

    zones = {
        "days": {"box": [300, 160, 560, 200], "kind": "number"},
        "start": {"box": [300, 100, 560, 140], "kind": "date"},
    }
    ocr = _anchored_page()
    ocr.pages[0].words[2] = replace(ocr.pages[0].words[2], text="~")  # the number Tesseract could not read
    pairs, _ = read_zones(parse_layout({**LAYOUT, "zones": zones}, "t.yaml"), ocr, np.full((400, 600), 255, np.uint8),
                          handwriting=read)  # fmt: skip
    got = {p.key: (p.value, p.typed, p.engine) for p in pairs}
    assert asked == ["number", "date"]
    assert got["days"] == ("~", None, "tesserocr")  # the recognizer was not sure of its "7"
    assert got["start"] == ("12/03/2024", dt.date(2024, 3, 12), "htr")  # an empty zone, read by hand


@pytest.mark.parametrize(
    ("zone", "key"),
    [
        ({"box": [300, 100, 560, 140], "kind": "checkbox", "handwritten": True}, "handwritten"),
        ({"box": [300, 100, 560, 140], "kind": "date", "handwritten": "yes"}, "handwritten"),
        ({"box": [300, 100, 560, 140], "kind": "date", "grammar": "date"}, "grammar"),
        ({"box": [300, 100, 560, 140], "kind": "handwriting", "grammar": "Date!"}, "grammar"),
    ],
)
def test_a_zone_s_handwriting_settings_are_checked(zone: dict[str, object], key: str) -> None:
    from icr.errors import TemplateError
    from icr.forms.zonal import parse_layout

    with pytest.raises(TemplateError, match=rf"layout\.zones\.z\.{key}"):
        parse_layout({**LAYOUT, "zones": {"z": zone}}, "t.yaml")


def test_templates_check_names_an_unknown_grammar(tmp_path: Path) -> None:
    import yaml
    from click.testing import CliRunner

    from icr.cli import main

    zones = {"z": {"box": [300, 100, 560, 140], "kind": "handwriting", "grammar": "postcode"}}
    template = {"name": "t", "doc_type": "form", "keywords": ["LEAVE FORM"], "layout": {**LAYOUT, "zones": zones}}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(template), encoding="utf-8")
    res = CliRunner().invoke(main, ["templates", "check", "--templates", str(tmp_path)])
    assert res.exit_code == 3 and "layout.zones.z.grammar" in res.stderr and "unknown grammar 'postcode'" in res.stderr


def test_a_loose_zone_is_cut_down_to_its_ink_and_a_tight_crop_is_not() -> None:
    from icr.htr.preprocess import ink_box

    zone = np.full((120, 500), 235, np.uint8)
    zone[2:4, :] = zone[-4:-2, :] = 20  # the box printed round the field
    zone[:, 2:4] = zone[:, -4:-2] = 20
    zone[95:97, 10:490] = 60  # the line written on
    zone[50:80, 200:260] = 30  # what was written: 30 px of ink
    zone[10, 400] = 0  # a speck
    assert ink_box(zone) == (200 - 8, 50 - 4, 260 + 8, 80 + 4)  # margins of 0.25 and 0.15 ink heights
    assert ink_box(zone[46:84, 192:268]) is None  # already tight
    assert ink_box(np.full((40, 200), 200, np.uint8)) is None  # no ink
    faint = np.full((40, 200), 200, np.uint8)
    faint[15:25, 50:80] = 180
    assert ink_box(faint) is None  # too faint to tell ink from paper


def test_writing_that_touches_the_box_or_is_fainter_than_it_stays_ink() -> None:
    from icr.htr.preprocess import ink_box

    zone = np.full((120, 500), 235, np.uint8)
    zone[2:4, :] = zone[-4:-2, :] = 20  # the box printed round the field
    zone[:, 2:4] = zone[:, -4:-2] = 20
    zone[4:40, 150:154] = 30  # a stroke up into the box's top line: one component with the box
    zone[40:70, 150:260] = 30
    assert ink_box(zone) == (150 - 16, 0, 260 + 16, 70 + 10)  # 66 px of ink: the stroke is kept
    faint = np.full((120, 500), 235, np.uint8)
    faint[2:6, :] = faint[-6:-2, :] = 0  # a heavy box, darker than the writing by far
    faint[:, 2:6] = faint[:, -6:-2] = 0
    faint[50:80, 200:260] = 170
    assert ink_box(faint) == (200 - 8, 50 - 4, 260 + 8, 80 + 4)


@pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None, reason="the htr extra (onnxruntime) is absent")
def test_a_trimmed_reading_places_its_words_along_the_whole_crop() -> None:
    import cv2

    from icr.htr.reader import shared_reader
    from icr.htr.render import render_word, split_fonts

    held = [f for f in split_fonts()[1] if f.stem == "Humor-Sans"]
    if not held:
        pytest.skip("fonts-humor-sans absent (scripts/setup.sh installs it)")
    word = render_word("5 MAY", held[0], random.Random(4), augment=False)
    word = cv2.resize(word, (round(word.shape[1] * 32 / word.shape[0]), 32), interpolation=cv2.INTER_AREA)
    zone = np.full((100, 600), 255, np.uint8)
    zone[34:66, 300 : 300 + word.shape[1]] = word
    (reading,) = shared_reader().read([zone], trim=True)
    assert reading.text == "5 MAY"
    five, may = reading.words
    assert 290 / 600 < five.start < five.end < may.start < may.end < (310 + word.shape[1]) / 600


def test_a_sloping_line_is_sheared_level_and_a_word_is_left_alone() -> None:
    import cv2

    from icr.htr.preprocess import straighten

    line = np.full((40, 600), 230, np.uint8)
    cv2.putText(line, "a line of writing that slopes", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 20, 2)
    tilt = np.array([[1, 0, 0], [np.tan(np.radians(5)), 1, 0]], np.float32)  # down 5 degrees along it
    sloped = cv2.warpAffine(line, tilt, (600, 40 + 53), borderValue=230)
    rows = np.nonzero((sloped < 128).any(axis=1))[0]
    assert rows[-1] - rows[0] > 40  # the slope adds some 45 rows to the writing's 25
    level = straighten(sloped)
    assert level.shape[1] == 600  # columns stay where they were: places along the crop hold
    rows = np.nonzero((level < 128).any(axis=1))[0]
    assert rows[-1] - rows[0] < 30  # the writing's own height again
    word = sloped[:, :200]  # three times as wide as tall: a word, read as it is
    assert straighten(word) is word or np.array_equal(straighten(word), word)
