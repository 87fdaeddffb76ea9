"""Fusing two readings word by word (made-up words: no engine runs)."""

from __future__ import annotations

import numpy as np

from icr.config import load_settings
from icr.ocr.fusion import FusionRecognizer, FusionRules, fuse_words
from icr.ocr.recognizer import FakeRecognizer
from icr.types import CorrectedPage, Word

RULES = FusionRules(tuple(load_settings().get("recognizer", "fusion")["valid_tokens"]), 2)


def word(text: str, left: int, width: int = 60, confidence: float = 0.9, top: int = 100) -> Word:
    return Word(text, left, top, width, 20, confidence, block=1, paragraph=1, line=3)


def test_a_well_formed_amount_replaces_a_malformed_one_at_the_same_place() -> None:
    neural = [word("TOTAL", 10), word("12.5O", 300)]
    tesseract = [word("TOTAL", 12, 58, 0.95), word("12.50", 305, 50, 0.8)]
    fused, taken = fuse_words(neural, tesseract, RULES)
    assert [w.text for w in fused] == ["TOTAL", "12.50"] and taken == 1
    assert fused[0].confidence == 0.95  # agreement: the higher confidence
    assert (fused[1].left, fused[1].line) == (300, 3)  # the neural word's place and line


def test_the_neural_reading_stands_otherwise() -> None:
    neural = [word("12.50", 300), word("CASH", 10), word("25/12/2018", 400), word("MILO", 500)]
    tesseract = [word("12.80", 305, 50), word("CA5H", 12), word("25/12/2O18", 402), word("M1LO", 502)]
    fused, taken = fuse_words(neural, tesseract, RULES)
    assert [w.text for w in fused] == ["12.50", "CASH", "25/12/2018", "MILO"] and taken == 0


def test_a_date_split_in_two_by_tesseract_is_joined_and_far_readings_are_refused() -> None:
    neural = [word("25/12/2O18", 100, 120), word("7.OO", 300)]
    tesseract = [word("25/12/", 100, 60), word("2018", 165, 50), word("1234.56", 300, 60)]
    fused, taken = fuse_words(neural, tesseract, RULES)
    assert [w.text for w in fused] == ["25/12/2018", "7.OO"] and taken == 1


def test_fusion_recognizer_keeps_the_primary_layout() -> None:
    page = CorrectedPage(np.full((400, 600), 255, np.uint8))
    primary = FakeRecognizer(default_lines=["TOTAL 12.5O"])
    second = FakeRecognizer(default_lines=["TOTAL 12.50"])
    result = FusionRecognizer(primary, second, RULES).recognize([page])
    assert result.engine == "fusion"
    assert result.text == "TOTAL 12.50"
    assert [w.line for w in result.words] == [1, 1]
