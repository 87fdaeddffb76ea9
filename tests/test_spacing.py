"""Spaces the neural engine left out, put back where the line's crop shows a gap (fast: drawn crops)."""

from __future__ import annotations

from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from icr.ocr import rapidocr_api
from icr.ocr.neural import RapidOcrRecognizer, pieces
from icr.ocr.rapidocr_api import RawLine, RawWord
from icr.ocr.spacing import Spacing, blank_runs, respace, splittable
from icr.registry import build_recognizer, spacing

FONT = cv2.FONT_HERSHEY_SIMPLEX


def glyph(ch: str) -> np.ndarray:
    """``ch`` drawn 40 px tall, cut to the columns its ink spans."""
    canvas = np.full((40, 60), 255, np.uint8)
    cv2.putText(canvas, ch, (10, 30), FONT, 0.9, 0, 2, cv2.LINE_8)
    cols = np.flatnonzero((canvas < 128).any(axis=0))
    return canvas[:, cols[0] : cols[-1] + 1]


def drawn(groups: list[str], gap: int) -> tuple[np.ndarray, list[float]]:
    """A line crop 40 px tall showing ``groups`` of characters ``gap`` px of paper apart (the characters
    of a group 2 px apart), and each character's centre."""
    parts: list[np.ndarray] = [np.full((40, 10), 255, np.uint8)]
    x, centres = 10, []
    for n, group in enumerate(groups):
        for k, ch in enumerate(group):
            space = gap if n and not k else 2 if k else 0
            g = glyph(ch)
            parts += [np.full((40, space), 255, np.uint8), g]
            x += space
            centres.append(x + g.shape[1] / 2)
            x += g.shape[1]
    parts.append(np.full((40, 10), 255, np.uint8))
    return np.hstack(parts), centres


def test_a_gap_as_wide_as_a_space_beside_a_mark_becomes_one() -> None:
    crop, centres = drawn(["TEL", ":", "07-386", "7524"], gap=14)
    assert respace("TEL:07-386 7524", centres, crop, Spacing()) == "TEL : 07-386 7524"


def test_a_narrow_gap_is_no_space() -> None:
    crop, centres = drawn(["TEL", ":", "07"], gap=2)
    assert respace("TEL:07", centres, crop, Spacing()) == "TEL:07"


@pytest.mark.parametrize(
    ("groups", "text"),
    [
        (["41", ".", "50"], "41.50"),  # a decimal mark between digits
        (["16", ":", "57"], "16:57"),
        (["D", "'", "SARA"], "D'SARA"),  # a mark inside a word
        (["33", ","], "33,"),  # a comma stays with what it follows
        (["(", "M", ")"], "(M)"),
        (["TOT", "AL"], "TOTAL"),  # two letters: splitting a word is the recognizer's call
        (["20", "18"], "2018"),
        (["*", "*", "*"], "***"),  # a row of marks
        (["$", "11.00"], "$11.00"),  # a currency sign stays with its amount
        (["DUE", ".", "17"], "DUE.17"),  # a decimal point stays with its digits
    ],
)
def test_words_numbers_and_their_marks_are_never_cut(groups: list[str], text: str) -> None:
    crop, centres = drawn(groups, gap=16)
    assert respace(text, centres, crop, Spacing()) == text


def test_two_digits_a_cell_apart_are_a_date_and_its_time() -> None:
    crop, centres = drawn(["2023.05.12", "14:02"], gap=26)
    assert respace("2023.05.1214:02", centres, crop, Spacing(digits=1.75)) == "2023.05.12 14:02"
    assert respace("2023.05.1214:02", centres, crop, Spacing()) == "2023.05.1214:02"  # off by default


def test_a_blank_between_digits_at_the_line_s_pitch_is_faint_ink_not_a_space() -> None:
    crop, centres = drawn(["0013357"], gap=0)
    faint = crop.copy()
    left, right = int(centres[1] - 7), int(centres[2] + 7)
    faint[:, left:right] = 255  # two digits too faint to be ink: a blank as wide as a space
    assert max(w for _, w in blank_runs(faint)[0]) > 20
    assert respace("0013357", centres, faint, Spacing(digits=1.75)) == "0013357"


def test_digits_need_a_pitch_to_be_split() -> None:
    crop, centres = drawn(["12", "3"], gap=40)  # two steps between neighbouring digits: no pitch measured
    assert respace("123", centres, crop, Spacing(digits=1.75)) == "123"
    crop, centres = drawn(["123", "4"], gap=40)
    assert respace("1234", centres, crop, Spacing(digits=1.75)) == "123 4"
    assert splittable("1234", digits=True) and not splittable("1234")


def test_a_gap_much_narrower_than_the_line_s_own_spaces_is_no_space() -> None:
    crop, centres = drawn(["DATE", ":", "09/03"], gap=12)
    wide, _ = drawn(["DATE", "X"], gap=60)
    line = np.hstack([crop, wide])
    shift = crop.shape[1]
    both = centres + [c + shift for c in drawn(["DATE", "X"], gap=60)[1]]
    assert respace("DATE:09/03 DATE X", both, line, Spacing(relative=0.6)) == "DATE:09/03 DATE X"
    assert respace("DATE:09/03 DATE X", both, line, Spacing(relative=0.0)) == "DATE : 09/03 DATE X"


def test_only_a_line_with_a_place_for_a_space_needs_its_crop_measured() -> None:
    assert splittable("TEL:07") and splittable("2018(SUN)")
    assert not splittable("TOTAL 41.50") and not splittable("33, JALAN") and not splittable("$11.00")


def test_text_and_columns_that_do_not_match_leave_the_line_as_read() -> None:
    crop, centres = drawn(["TEL", ":", "07"], gap=14)
    assert respace("TEL:07", centres[:-1], crop, Spacing()) == "TEL:07"
    assert respace("TEL:07", centres, crop[:5], Spacing()) == "TEL:07"  # too short to measure


def test_blank_runs_measure_gaps_in_ink_heights() -> None:
    crop, _ = drawn(["AB", "CD"], gap=20)
    runs, height = blank_runs(crop)
    assert 15 <= height <= 25
    assert max(w for _, w in runs) >= 20


def test_a_word_cut_by_new_spaces_shares_out_its_box() -> None:
    words = (
        RawWord("TEL:07", 0.9, ((0, 0), (60, 0), (60, 10), (0, 10))),
        RawWord("FAX", 0.8, ((70, 0), (100, 0), (100, 10), (70, 10))),
    )
    out = pieces(words, "TEL : 07 FAX")
    assert [(w.text, w.confidence) for w in out] == [("TEL", 0.9), (":", 0.9), ("07", 0.9), ("FAX", 0.8)]
    assert [w.box[0][0] for w in out if w.box] == [0, 30, 40, 70]
    assert pieces(words, "TEL : 08 FAX") == ()  # not these words' text


def test_columns_are_read_off_the_recognizer_s_steps() -> None:
    info = SimpleNamespace(word_cols=[[0, 2], [9]], line_txt_len=20.0)
    assert rapidocr_api.columns(info) == (0.025, 0.125, 0.475)
    assert rapidocr_api.columns(SimpleNamespace(word_cols=[[1]], line_txt_len=0)) == ()


class Api:
    def __init__(self, lines: list[RawLine]) -> None:
        self.lines = lines

    def read(self, image: np.ndarray) -> list[RawLine]:
        return self.lines


def test_the_recognizer_respaces_each_line_it_read_and_keeps_its_words_boxes() -> None:
    crop, centres = drawn(["TEL", ":", "07"], gap=14)
    h, w = crop.shape
    page = np.full((h + 20, w + 20), 255, np.uint8)
    page[10 : 10 + h, 10 : 10 + w] = crop
    box = ((10.0, 10.0), (10.0 + w, 10.0), (10.0 + w, 10.0 + h), (10.0, 10.0 + h))
    line = RawLine(box, "TEL:07", 0.95, (RawWord("TEL:07", 0.95, box),), tuple(c / w for c in centres))
    reader = RapidOcrRecognizer(spacing=Spacing())
    reader._api = Api([line])  # type: ignore[assignment]
    (out,) = reader._read(page)
    assert out.text == "TEL : 07"
    assert [x.text for x in out.words] == ["TEL", ":", "07"]
    reader.spacing = None
    assert reader._read(page)[0].text == "TEL:07"


def test_spacing_is_configured_under_the_recognizer() -> None:
    assert spacing(None) is None
    assert spacing({"gap": 0.5}) == Spacing(gap=0.5)
    assert spacing({"gap": 0.5, "digits": 2}) == Spacing(gap=0.5, digits=2.0)
    from icr.config import load_settings

    if rapidocr_api.available():
        reader = build_recognizer(load_settings(profile="accurate"))
        assert isinstance(reader, RapidOcrRecognizer) and reader.spacing == Spacing(0.35, 0.6, 1.75)
