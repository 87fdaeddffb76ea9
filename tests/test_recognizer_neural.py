"""The neural recognizer (rapidocr, PP-OCRv6): its adapter with made-up lines, and the real engine on samples/."""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import SAMPLES, printed

from icr.config import load_settings
from icr.errors import ConfigError
from icr.imaging.load import load_pages
from icr.ocr import rapidocr_api
from icr.ocr.adapter import repair_slips, reread_words, rows, segments, split_line, words_from_lines
from icr.ocr.neural import (
    OtherScripts,
    RapidOcrRecognizer,
    alphabet,
    foreign,
    grown_block,
    merged,
    normal,
    text_block,
    text_columns,
    tiles,
    wanted_scale,
)
from icr.ocr.rapidocr_api import Declined, Quad
from icr.registry import build_image_corrector, build_recognizer
from icr.types import CorrectedPage, OcrResult, Word

needs_engine = pytest.mark.skipif(
    not rapidocr_api.available(), reason="rapidocr/onnxruntime are not installed (pip install 'icr[neural]')"
)


@dataclass
class W:
    text: str
    confidence: float
    box: tuple[tuple[float, float], ...] | None


@dataclass
class L:
    box: tuple[tuple[float, float], ...]
    text: str
    confidence: float
    words: tuple[W, ...] = ()
    columns: tuple[float, ...] = ()


def quad(left: float, top: float, right: float, bottom: float) -> tuple[tuple[float, float], ...]:
    return ((left, top), (right, top), (right, bottom), (left, bottom))


def test_label_and_amount_detected_apart_share_a_line() -> None:
    lines = [
        L(quad(300, 102, 360, 122), "12.50", 0.99),  # a little lower, as a photographed receipt prints it
        L(quad(10, 40, 200, 60), "SHOP NAME", 0.98),
        L(quad(10, 100, 120, 120), "TOTAL", 0.97),
        L(quad(10, 130, 120, 150), "CASH", 0.96),
    ]
    words = words_from_lines(lines)
    by_line: dict[int, list[str]] = {}
    for w in words:
        by_line.setdefault(w.line, []).append(w.text)
    assert by_line == {1: ["SHOP", "NAME"], 2: ["TOTAL", "12.50"], 3: ["CASH"]}
    assert {(w.block, w.paragraph) for w in words} == {(1, 1)}
    total = next(w for w in words if w.text == "12.50")
    assert (total.left, total.top, total.width, total.height, total.confidence) == (300, 102, 60, 20, 0.99)


def tilted(left: float, top: float, right: float, height: float, slope: float) -> tuple[tuple[float, float], ...]:
    drop = (right - left) * slope
    return ((left, top), (right, top + drop), (right, top + drop + height), (left, top + height))


def test_a_tilted_photo_keeps_each_amount_on_its_label_s_row() -> None:
    # The page drops 0.1 px per px to the right: 12 px rows, 20 px apart; an amount 400 px to the
    # right of its label sits 40 px lower, level with the label two rows down.
    slope = 0.1
    lines = [L(tilted(10, 100 + 20 * i, 600, 12, slope), f"ITEM NUMBER {i} WITH A LONG NAME", 0.9) for i in range(2)]
    lines += [
        L(tilted(10, 200, 110, 12, slope), "SUBTOTAL", 0.9),
        L(tilted(10, 220, 110, 12, slope), "TAX", 0.9),
        L(tilted(10, 240, 110, 12, slope), "TOTAL", 0.9),
    ]
    lines += [
        L(tilted(500, 200 + 20 * i + 49, 560, 12, slope), amount, 0.9)
        for i, amount in enumerate(["10.28", "0.62", "10.90"])
    ]
    by_line: dict[int, list[str]] = {}
    for w in words_from_lines(lines):
        by_line.setdefault(w.line, []).append(w.text)
    assert [" ".join(v) for v in by_line.values()][-3:] == ["SUBTOTAL 10.28", "TAX 0.62", "TOTAL 10.90"]


def _tilted_receipt(left: float, slope: float) -> list[L]:
    """A receipt whose lines drop ``slope`` px per px: two long item lines, then three labels each
    with its amount 400 px to the right (40 px lower at a slope of 0.1)."""
    lines = [
        L(tilted(left, 100 + 20 * i, left + 590, 12, slope), f"ITEM NUMBER {i} WITH A LONG NAME", 0.9)
        for i in range(2)
    ]
    labels = ["SUB", "TAX", "TOTAL"]
    lines += [L(tilted(left, 200 + 20 * i, left + 100, 12, slope), label, 0.9) for i, label in enumerate(labels)]
    lines += [
        L(tilted(left + 490, 200 + 20 * i + 49 * slope / 0.1, left + 550, 12, slope), amount, 0.9)
        for i, amount in enumerate(["10.28", "0.62", "10.90"])
    ]
    return lines


def test_a_receipt_laid_askew_beside_straight_ones_keeps_each_amount_on_its_label_s_row() -> None:
    # the page's tilt is its straight receipts' (none); the askew one, a wide gutter apart, is levelled
    # by its own
    lines = [*_tilted_receipt(10, 0.0), *_tilted_receipt(900, 0.1), *_tilted_receipt(1800, 0.0)]
    by_line: dict[int, list[str]] = {}
    for w in words_from_lines(lines):
        if 900 <= w.left < 1700:
            by_line.setdefault(w.line, []).append(w.text)
    assert [" ".join(v) for v in by_line.values()][-3:] == ["SUB 10.28", "TAX 0.62", "TOTAL 10.90"]
    # alone on its page it is levelled by the page's tilt, as before
    by_line.clear()
    for w in words_from_lines(_tilted_receipt(900, 0.1)):
        by_line.setdefault(w.line, []).append(w.text)
    assert [" ".join(v) for v in by_line.values()][-3:] == ["SUB 10.28", "TAX 0.62", "TOTAL 10.90"]


def test_rows_keep_lines_apart_that_barely_touch() -> None:
    assert rows([(0, 0, 50, 20), (60, 15, 50, 20), (0, 40, 50, 20)]) == [[0], [1], [2]]


def test_rows_never_stack_one_line_over_another() -> None:
    # a curled line's box is taller than its print and reaches into the row above, whose line it
    # overlaps from left to right: two rows, not one; a logo's much taller box still joins by height
    assert rows([(35, 64, 237, 29), (24, 75, 408, 48)]) == [[0], [1]]
    assert rows([(35, 64, 237, 29), (20, 10, 350, 128)]) == [[1, 0]]


def test_a_curled_line_cut_in_two_is_read_as_one() -> None:
    # the name's end rises off the paper: the detector gives it as a second piece, tilted, whose
    # middle stands a row higher than the first piece's though the two meet end to end
    lines = [
        L(tilted(117, 240, 393, 20, -0.01), "HOLLYWOOD CAFE &", 0.95),
        L(tilted(395, 238, 570, 20, -0.27), "SPORTS, BAR", 0.95),
        L(tilted(280, 268, 420, 20, -0.01), "AM Dining Rm", 0.95),
        *[L(tilted(100, 300 + 30 * i, 500, 20, -0.01), f"ITEM NUMBER {i} 1.00", 0.95) for i in range(4)],
    ]
    by_line: dict[int, list[str]] = {}
    for w in words_from_lines(lines):
        by_line.setdefault(w.line, []).append(w.text)
    assert [" ".join(v) for v in by_line.values()][:2] == ["HOLLYWOOD CAFE & SPORTS, BAR", "AM Dining Rm"]


def test_a_photo_whose_tilt_changes_down_the_page_keeps_each_amount_on_its_label_s_row() -> None:
    # the receipt's top rises to the right and its foot falls (a slant, a curl): levelled by the
    # page's median tilt, the foot's amounts land a row low; the tilt followed down the page keeps them
    def slope(y: float) -> float:
        return -0.064 + 0.0001 * y

    lines = [
        L(tilted(30, 50 + 36 * i, 600, 30, slope(50 + 36 * i)), f"ITEM NUMBER {i} WITH A LONG NAME", 0.9)
        for i in range(20)
    ]
    for i, (label, amount) in enumerate([("Sub-total", "152.00"), ("Sales Tax", "0.00"), ("TOTAL", "152.00")]):
        top = 800 + 36 * i
        lines.append(L(tilted(34, top, 166, 30, slope(top)), label, 0.9))
        lines.append(L(tilted(625, top + slope(top) * 591, 728, 30, slope(top)), amount, 0.9))
    by_line: dict[int, list[str]] = {}
    for w in words_from_lines(lines):
        by_line.setdefault(w.line, []).append(w.text)
    assert [" ".join(v) for v in by_line.values()][-3:] == ["Sub-total 152.00", "Sales Tax 0.00", "TOTAL 152.00"]


def test_engine_words_are_used_when_they_match_the_text() -> None:
    line = L(quad(0, 0, 100, 10), "AB 12", 0.9, (W("AB", 0.8, quad(2, 0, 30, 10)), W("12", 0.7, quad(60, 0, 98, 10))))
    assert split_line(line) == [("AB", 0.8, (2, 0, 28, 10)), ("12", 0.7, (60, 0, 38, 10))]


def test_words_are_apportioned_by_character_when_the_engine_split_differs() -> None:
    line = L(quad(0, 0, 100, 10), "ABCD 12345", 0.9, (W("ABCD12345", 0.8, quad(0, 0, 100, 10)),))
    assert split_line(line) == [("ABCD", 0.9, (0, 0, 40, 10)), ("12345", 0.9, (50, 0, 50, 10))]


def test_hybrid_cuts_tesseract_lines_at_wide_gaps_and_keeps_their_numbers() -> None:
    def w(text: str, left: int, line: int, width: int = 40) -> Word:
        return Word(text, left, 10 * line, width, 20, 0.5, block=2, paragraph=1, line=line)

    words = [w("TOTAL", 10, 1, 50), w("RM", 65, 1, 25), w("12.50", 300, 1, 50), w("CASH", 10, 2), w("5.00", 70, 2)]
    pieces = segments(words, gap=1.2)
    assert [[x.text for x in p] for p in pieces] == [["TOTAL", "RM"], ["12.50"], ["CASH", "5.00"]]
    again = reread_words(pieces[0], "TOTAL RM:", 0.93)
    assert [(x.text, x.left, x.width, x.line, x.block, x.confidence) for x in again] == [
        ("TOTAL", 10, 44, 1, 2, 0.93),
        ("RM:", 63, 27, 1, 2, 0.93),
    ]


def test_a_changed_model_file_is_refused(tmp_path: Path) -> None:
    name, _ = rapidocr_api.MODELS["det"]
    (tmp_path / name).write_bytes(b"not the pinned model")
    with pytest.raises(rapidocr_api.ModelChanged, match="sha256"):
        rapidocr_api.pinned_model("det", tmp_path)
    with pytest.raises(rapidocr_api.ModelChanged, match="missing"):
        rapidocr_api.pinned_model("rec", tmp_path)


def test_a_changed_8bit_detector_is_refused(tmp_path: Path) -> None:
    name, pinned = rapidocr_api.OWN_MODELS["det-int8"]
    with pytest.raises(rapidocr_api.ModelChanged, match="missing"):
        rapidocr_api.pinned_model("det-int8", tmp_path)
    shipped = (rapidocr_api.OWN_MODELS_DIR / name).read_bytes()
    (tmp_path / name).write_bytes(shipped[:-1] + bytes([shipped[-1] ^ 1]))  # one bit flipped
    with pytest.raises(rapidocr_api.ModelChanged, match=f"is not the pinned {pinned}"):
        rapidocr_api.pinned_model("det-int8", tmp_path)


def test_the_shipped_8bit_detector_is_the_pinned_one_and_its_card_says_so() -> None:
    path = rapidocr_api.pinned_model("det-int8")  # no rapidocr needed: the file ships with icr
    card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert card["sha256"] == rapidocr_api.OWN_MODELS["det-int8"][1]
    assert card["source_sha256"] == rapidocr_api.MODELS["det"][1]
    assert card["reproduce"].startswith("python benchmarks/quantize_det.py")


def test_an_unknown_detector_model_is_refused() -> None:
    with pytest.raises(ConfigError, match="det_model"):
        load_settings(overrides={"recognizer": {"det_model": "int4"}})


def test_missing_package_is_a_clear_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rapidocr_api, "available", lambda: False)
    with pytest.raises(ConfigError, match=r"pip install 'icr\[neural\]'"):
        build_recognizer(load_settings(overrides={"stages": {"recognizer": "rapidocr"}}))


@needs_engine
def test_pinned_models_match_the_installed_wheel() -> None:
    for role in rapidocr_api.MODELS:
        assert rapidocr_api.pinned_model(role).is_file()


def test_an_alphabet_is_given_as_code_points_and_ranges() -> None:
    assert alphabet(["0041-0043", "20AC", "0030-0030"]) == "ABC€0"
    assert alphabet([]) == ""


@needs_engine
def test_the_recognizer_s_last_layer_is_read_off_the_pinned_model() -> None:
    weights, bias = rapidocr_api.initializers(rapidocr_api.pinned_model("rec"), rapidocr_api.HEAD)
    assert weights.shape == (120, 18710) and bias.shape == (18710,)
    assert weights.dtype == np.float32 and np.isfinite(weights).all()
    with pytest.raises(rapidocr_api.ModelChanged, match="no tensor"):
        rapidocr_api.initializers(rapidocr_api.pinned_model("rec"), ["no.such.tensor"])


@needs_engine
@pytest.mark.slow
def test_an_engine_held_to_an_alphabet_reads_only_its_characters() -> None:
    line = np.full((40, 330), 255, np.uint8)
    cv2.putText(line, "TOTAL 12.50", (8, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    dots = np.full((40, 330), 255, np.uint8)
    for x in range(8, 320, 12):  # a rule of dots, which the full model reads as Chinese characters
        cv2.circle(dots, (x, 20), 2, 0, -1)
    latin = alphabet(["0020-007E"])
    held = rapidocr_api.RapidOcrApi(alphabet=latin)
    free = rapidocr_api.RapidOcrApi()
    assert held.read_lines([line])[0][0] == free.read_lines([line])[0][0] == "TOTAL 12.50"
    for text, _ in held.read_lines([line, dots]):
        assert set(text) <= set(latin)


@needs_engine
def test_the_engine_shows_the_lines_it_found_before_it_reads_them_and_can_be_stopped() -> None:
    api = rapidocr_api.RapidOcrApi(det_model="int8")
    image = cv2.imread(str(sorted(SAMPLES.glob("*.png"))[0]), cv2.IMREAD_GRAYSCALE)
    shown: list[list[Quad]] = []

    def keep_going(boxes: list[Quad], kept: Callable[[Sequence[int]], list[bool]]) -> bool:
        shown.append(boxes)
        assert kept(range(len(boxes))) == [True] * len(boxes)  # every line of a clean sample reads
        return False

    lines = api.read_unless(image, keep_going)
    assert lines is not None and [line.text for line in lines] == [line.text for line in api.read(image)]
    # every line read stands in a box the engine showed, in the page's coordinates
    centres = np.array([np.mean(box, axis=0) for box in shown[0]])
    for line in lines:
        assert np.abs(centres - np.mean(line.box, axis=0)).max(axis=1).min() <= 2, line.text
    assert api.read_unless(image, lambda boxes, _: len(boxes) >= 10) is None  # stopped before reading
    assert api.read(image)  # and the engine reads the next page as before


@needs_engine
@pytest.mark.slow
def test_the_8bit_detector_finds_the_sample_receipts_lines_as_the_float_one_does() -> None:
    float_api = rapidocr_api.RapidOcrApi(det_model="float")
    int8_api = rapidocr_api.RapidOcrApi(det_model="int8")
    for path in sorted(SAMPLES.glob("*.png")):
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        ours, theirs = int8_api.read(image), float_api.read(image)
        assert len(ours) == len(theirs) >= 10, path.name
        for a, b in zip(ours, theirs, strict=True):  # the same lines, in the same places (a corner may
            # move a few pixels when a box turns by a degree), read the same
            assert np.abs(np.mean(a.box, axis=0) - np.mean(b.box, axis=0)).max() <= 2, (path.name, a.text)
            assert a.text == b.text, path.name
        expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert expected["total"] in " ".join(line.text for line in ours).replace(",", ""), path.name


class RereadApi:
    """A stand-in engine: the given lines, and a second reading for each crop read again."""

    def __init__(self, lines: list[rapidocr_api.RawLine], again: list[tuple[str, float]]) -> None:
        self.lines, self.again, self.crops = lines, again, []

    def read(self, image: np.ndarray) -> list[rapidocr_api.RawLine]:
        return self.lines

    def read_lines(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        self.crops.extend(crops)
        return self.again[: len(crops)]


def test_a_line_with_a_suspect_amount_is_read_again_and_the_surer_same_digits_kept() -> None:
    lines = [
        rapidocr_api.RawLine(quad(10, 10, 110, 30), "TOTAL 110-00", 0.91),
        rapidocr_api.RawLine(quad(10, 40, 110, 60), "TEL 03-9054", 0.99),  # no amount: not read again
        rapidocr_api.RawLine(quad(10, 70, 110, 90), "CASH 4,60", 0.95),
        rapidocr_api.RawLine(quad(10, 100, 110, 120), "DISC 1-15", 0.97),
    ]
    # the second look: surer and the same digits / other digits / less sure
    api = RereadApi(lines, [("TOTAL 110.00", 0.99), ("CASH 4.68", 0.99), ("DISC 1.15", 0.90)])
    reader = RapidOcrRecognizer(suspects=(r"\d+[-,;]\d{2}",), reread_pad=0.3)
    reader._api = api  # type: ignore[assignment]
    page = np.full((130, 120), 255, np.uint8)
    assert [line.text for line in reader._read(page)] == ["TOTAL 110.00", "TEL 03-9054", "CASH 4,60", "DISC 1-15"]
    assert [c.shape for c in api.crops] == [(32, 112)] * 3  # a 20 x 100 line with 6 px all round


@pytest.fixture(scope="module")
def read_offline() -> dict[str, OcrResult]:
    """Two samples read by a freshly loaded engine while every socket is refused (no download)."""
    if not rapidocr_api.available():
        pytest.skip("rapidocr/onnxruntime are not installed (pip install 'icr[neural]')")

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network is off in this test")

    settings = load_settings(overrides={"stages": {"recognizer": "rapidocr"}})
    corrector = build_image_corrector(settings)
    out: dict[str, OcrResult] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "socket", refuse)
        mp.setattr(socket, "create_connection", refuse)
        mp.setattr(rapidocr_api, "_SHARED", {})
        recognizer = build_recognizer(settings)
        for stem in ("northway-fuel", "kedai-maju-jaya"):
            pages = [corrector.correct(page) for page in load_pages(SAMPLES / f"{stem}.png")]
            out[stem] = recognizer.recognize(pages)
        recognizer.close()
    return out


@pytest.mark.slow
def test_real_engine_reads_the_samples_total_on_its_line(read_offline: dict[str, OcrResult]) -> None:
    for stem, ocr in read_offline.items():
        gold = json.loads((SAMPLES / f"{stem}.json").read_text(encoding="utf-8"))
        assert ocr.engine == "rapidocr"
        words = ocr.words
        assert words and all(0.0 <= w.confidence <= 1.0 and w.width > 0 and w.height > 0 for w in words)
        lines_with_total = [line.text for line in ocr.lines() if gold["total"] in line.text]
        assert lines_with_total, f"{stem}: total {gold['total']} not read: {ocr.text}"
        # the amount sits on the same line as its label, as the extractors expect
        assert any("TOTAL" in text.upper() for text in lines_with_total), lines_with_total
        assert gold["company"].split()[0] in ocr.text.upper()


def test_digits_read_for_letters_inside_words_are_put_back() -> None:
    slips = load_settings().get("recognizer", "letter_slips")
    tokens = ["0CT", "INV0ICENO:", "B00K", "2016", "10.00", "A0", "INV-2019-0457", "R0M4", "c0ffee"]
    assert [repair_slips(t, slips) for t in tokens] == [
        "OCT", "INVOICENO:", "BOOK", "2016", "10.00", "A0", "INV-2019-0457", "R0M4", "coffee"
    ]  # fmt: skip
    # an x read as the multiplication sign inside a word; a count's sign stays ("2×", "×3", "Coke×2")
    tokens = ["SmokeBo×BBQ", "Ta×(RM)", "BO×ES", "2×", "×3", "Coke×2", "×"]
    assert [repair_slips(t, slips) for t in tokens] == [
        "SmokeBoxBBQ", "Tax(RM)", "BOXES", "2×", "×3", "Coke×2", "×"
    ]  # fmt: skip


def page_with_text(side: int, scale: float) -> np.ndarray:
    """A white ``side`` x ``side`` page with rows of printed text of ``scale`` (cv2 font scale)."""
    page = np.full((side, side), 255, np.uint8)
    for y in range(20, side - 10, max(8, int(30 * scale))):
        cv2.putText(page, "TOTAL 12.50 CASH", (5, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 0, 1)
    return page


def test_a_small_photo_with_small_print_wants_enlarging() -> None:
    small = page_with_text(300, 0.3)  # letters of about 7 px
    assert 16 / 8 <= wanted_scale(small, 16, 960) <= 16 / 5
    assert wanted_scale(small, 0, 960) == 1.0  # switched off
    assert wanted_scale(small, 16, 280) == 1.0  # larger than the detector's size: reduced for it anyway
    assert wanted_scale(page_with_text(300, 1.0), 16, 960) == 1.0  # print already large enough


def test_an_enlarged_page_is_read_back_in_its_own_coordinates() -> None:
    seen: list[tuple[int, ...]] = []

    class Api:
        def read(self, image: np.ndarray) -> list[L]:
            seen.append(image.shape)
            h = image.shape[0]  # one line a tenth of the way down, in the coordinates of what it read
            word = W("TOTAL", 0.9, quad(0, h / 10, h / 4, h / 5))
            return [L(quad(0, h / 10, h / 2, h / 5), "TOTAL 12.50", 0.9, (word,))]

    reader = RapidOcrRecognizer(small_text=16, det_side=960)
    reader._api = Api()  # type: ignore[assignment]
    page = page_with_text(300, 0.3)
    words = reader.recognize([CorrectedPage(page, 1)]).pages[0].words
    assert seen[0][0] > 300  # the engine saw the page enlarged
    assert (words[0].text, words[0].top, words[0].left) == ("TOTAL", 30, 0)
    assert words[0].height == 30  # a tenth of the page, as on the page itself


def test_the_text_block_is_cut_out_when_the_detector_would_see_it_larger_alone() -> None:
    page = np.full((3000, 2400), 255, np.uint8)  # a receipt on a table: its lines in a small middle part
    lines = [L(quad(1000, 1200 + 40 * i, 1400, 1220 + 40 * i), f"LINE {i}", 0.9) for i in range(10)]
    boxes = [line.box for line in lines]
    x0, y0, x1, y1 = text_block(page, boxes, 960, 1.4)  # type: ignore[misc]
    assert (x0, y0) == (1000 - 40, 1200 - 40)  # a margin of two line heights
    assert (x1, y1) == (1400 + 40 + 1, 1580 + 40 + 1)
    assert text_block(page, boxes, 960, 0) is None  # switched off
    assert text_block(page, boxes, 4000, 1.4) is None  # the detector sees the whole page at its size
    assert text_block(page, [], 960, 1.4) is None
    spread = [*boxes, quad(100, 100, 2300, 120), quad(100, 2800, 2300, 2820)]  # a header and a foot
    assert text_block(page, spread, 960, 1.4) is None  # text over the whole page: nothing to gain
    assert text_block(page, boxes, 960, 4.0) is None  # a gain of 3.1 is under what is asked
    strip = np.full((20000, 2000), 255, np.uint8)
    assert text_block(strip, boxes, 960, 1.4, tile_aspect=4.0) is None  # read in pieces already
    # a long receipt photographed whole: its block is read in pieces, each far larger than the page
    roll = [quad(1050, 200 + 40 * i, 1350, 220 + 40 * i) for i in range(65)]
    assert text_block(page, roll, 960, 1.4, tile_aspect=4.0) is not None
    assert text_block(page, roll, 960, 1.4) is None  # whole, the block is nearly the page's length


class _Zooming:
    """A fake engine that finds ``page_lines`` on a 3000 x 2400 page and reads ``block_lines`` off
    its text block; it records what it was asked to read and whether it recognized it."""

    def __init__(self, page_lines: list[L], block_lines: list[L]) -> None:
        self.page_lines, self.block_lines = page_lines, block_lines
        self.seen: list[tuple[tuple[int, ...], bool]] = []
        self.asked: list[int] = []

    def _lines(self, image: np.ndarray) -> list[L]:
        return self.page_lines if image.shape == (3000, 2400) else self.block_lines

    def read(self, image: np.ndarray) -> list[L]:
        self.seen.append((image.shape, True))
        return self._lines(image)

    def read_unless(self, image: np.ndarray, declined: Declined) -> list[L] | None:
        found = self._lines(image)  # a line "read" as nothing stands for a speck the detector found

        def kept(ids: Sequence[int]) -> list[bool]:
            self.asked.extend(ids)
            return [bool(found[i].text) for i in ids]

        if declined([line.box for line in found], kept):
            self.seen.append((image.shape, False))
            return None
        self.seen.append((image.shape, True))
        return [line for line in found if line.text]


def test_a_page_whose_text_fills_a_small_part_is_read_again_cut_to_it() -> None:
    # the whole page: two lines found, the small one missed; the block alone, in its own coordinates:
    # every line found
    page_lines = [L(quad(1000, 1200, 1400, 1220), "SHOP", 0.9), L(quad(1000, 1560, 1400, 1580), "TOTAL", 0.9)]
    block_lines = [
        L(quad(40, 40, 440, 60), "SHOP", 0.95),
        L(quad(40, 200, 440, 220), "DATE 01/02/2024", 0.9),
        L(quad(40, 400, 440, 420), "TOTAL", 0.95),
    ]
    api = _Zooming(page_lines, block_lines)
    reader = RapidOcrRecognizer(det_side=960, zoom=1.4)
    reader._api = api  # type: ignore[assignment]
    words = reader.recognize([CorrectedPage(np.full((3000, 2400), 255, np.uint8), 1)]).pages[0].words
    # the page's lines were found but not recognized: only the block's are
    assert api.seen == [((3000, 2400), False), ((1580 + 40 + 1 - 1160, 1400 + 40 + 1 - 960), True)]
    assert [w.text for w in words] == ["SHOP", "DATE", "01/02/2024", "TOTAL"]
    assert (words[0].left, words[0].top) == (1000, 1200)  # back in the page's coordinates
    api.seen.clear()
    reader.zoom = 0
    page = CorrectedPage(np.full((3000, 2400), 255, np.uint8), 1)
    assert [w.text for w in reader.recognize([page]).pages[0].words] == ["SHOP", "TOTAL"]
    assert api.seen == [((3000, 2400), True)]


def test_a_speck_at_the_edge_of_the_page_s_text_is_read_and_left_out_of_its_block() -> None:
    page_lines = [
        L(quad(1000, 1200, 1400, 1220), "SHOP", 0.9),
        L(quad(1000, 1560, 1400, 1580), "TOTAL", 0.9),
        L(quad(1100, 1380, 1300, 1400), "ITEM", 0.9),
        L(quad(100, 2900, 140, 2940), "", 0.2),  # a speck in a corner, read as nothing
    ]
    api = _Zooming(page_lines, [L(quad(40, 40, 440, 60), "SHOP", 0.95), L(quad(40, 400, 440, 420), "TOTAL", 0.95)])
    reader = RapidOcrRecognizer(det_side=960, zoom=1.4)
    reader._api = api  # type: ignore[assignment]
    reader.recognize([CorrectedPage(np.full((3000, 2400), 255, np.uint8), 1)])
    # the block stands on SHOP, TOTAL and the speck first; the speck reads as nothing, the block
    # shrinks to the text; the lines it then stands on were read: no line inside it is read first
    assert sorted(set(api.asked)) == [0, 1, 3]
    assert api.seen == [((3000, 2400), False), ((1580 + 40 + 1 - 1160, 1400 + 40 + 1 - 960), True)]


def test_a_block_that_reads_far_fewer_lines_than_the_page_had_gives_way_to_the_page_s_reading() -> None:
    shop, total, date = quad(1000, 1200, 1400, 1220), quad(1000, 1560, 1400, 1580), quad(1000, 1380, 1400, 1400)
    page_lines = [L(shop, "SHOP", 0.9), L(date, "01/02/2024", 0.9), L(total, "TOTAL 9.99", 0.9)]
    api = _Zooming(page_lines, [L(quad(40, 40, 440, 60), "SH0P", 0.5)])
    reader = RapidOcrRecognizer(det_side=960, zoom=1.4)
    reader._api = api  # type: ignore[assignment]
    words = reader.recognize([CorrectedPage(np.full((3000, 2400), 255, np.uint8), 1)]).pages[0].words
    assert [w.text for w in words] == ["SHOP", "01/02/2024", "TOTAL", "9.99"]
    assert [recognized for _, recognized in api.seen] == [False, True, True]  # the page read whole at last
    # half the page's lines or more: the block's reading stands, the page is not read again
    api.block_lines = [L(quad(40, 40, 440, 60), "SHOP", 0.95), L(quad(40, 400, 440, 420), "TOTAL 9.99", 0.95)]
    api.seen.clear()
    words = reader.recognize([CorrectedPage(np.full((3000, 2400), 255, np.uint8), 1)]).pages[0].words
    assert [w.text for w in words] == ["SHOP", "TOTAL", "9.99"]
    assert len(api.seen) == 2


@pytest.mark.parametrize("side", [800, 480])
def test_small_print_in_a_small_part_of_a_small_photo_is_read_enlarged_cut_to_it(side: int) -> None:
    # a low-resolution photo of a receipt on a table, letters of 6 px in a block in its middle; the
    # page alone can be enlarged only to the detector's 960 px (1.2 or 2 times), its print wants 2.7:
    # the block is enlarged again by what is left (2.2, or 1.33: under the gain asked of a large
    # page's block, above what an enlargement is worth)
    factor = 960 / side
    photo = np.full((side, side * 3 // 4), 255, np.uint8)
    for y in range(320, 480, 16):
        cv2.putText(photo, "TOTAL 12.50", (220, round(y / factor)), cv2.FONT_HERSHEY_SIMPLEX, 0.3, 0, 1)
    seen: list[tuple[tuple[int, ...], bool]] = []

    class Api:
        def read(self, image: np.ndarray) -> list[L]:
            seen.append((image.shape, True))  # the block: its ten lines, in its coordinates
            return [L(quad(10, 10 + 50 * i, 400, 40 + 50 * i), "TOTAL 12.50", 0.9) for i in range(10)]

        def read_unless(self, image: np.ndarray, declined: Declined) -> list[L] | None:
            boxes = [quad(240, 360 + 20 * i, 460, 380 + 20 * i) for i in range(10)]  # the enlarged page's lines
            if declined(boxes, lambda ids: [True] * len(ids)):
                seen.append((image.shape, False))
                return None
            seen.append((image.shape, True))
            return [L(box, "TOTAL", 0.5) for box in boxes]

    reader = RapidOcrRecognizer(det_side=960, zoom=1.4, small_text=16)
    reader._api = Api()  # type: ignore[assignment]
    words = reader.recognize([CorrectedPage(photo, 1)]).pages[0].words
    (page_shape, recognized), (block_shape, _) = seen
    assert page_shape == (960, 720) and not recognized  # the page enlarged to the detector's size, not read
    # its text block (lines 240-460 x 360-560 and a margin of two line heights) enlarged once more
    assert block_shape[1] > 1.2 * (460 + 40 - (240 - 40))
    assert words[0].text == "TOTAL"
    # back in the photo's coordinates: the block's corner (200, 320) on the enlarged page
    assert abs(words[0].left - 200 / factor) <= 5 and abs(words[0].top - 320 / factor) <= 5
    # a photo whose print is large enough: read as it is, whole
    seen.clear()
    reader.small_text = 5
    reader.recognize([CorrectedPage(photo, 1)])
    assert [shape for shape, _ in seen] == [photo.shape]


def test_a_block_whose_reading_reaches_its_edge_is_widened_past_that_text() -> None:
    page = np.full((3000, 2400), 255, np.uint8)
    block = (960, 1160, 1441, 1621)
    inside = [quad(1000, 1200, 1400, 1220), quad(1000, 1560, 1400, 1580)]  # two line heights from its sides
    assert grown_block(page, block, inside) is None
    header = quad(1000, 1170, 1400, 1190)  # a line the page's detector missed, a line height from the top
    # widened by half the block's height past it (text may go on far past a block drawn round a few lines)
    assert grown_block(page, block, [header, *inside]) == (960, 1170 - 461 // 2 - 1, 1441, 1621)
    small = (960, 1160, 1031, 1231)  # a block under twice the margin: widened by the margin
    assert grown_block(page, small, [quad(1000, 1170, 1010, 1190)]) == (960, 1170 - 40, 1031, 1231)
    assert grown_block(page, (960, 0, 1441, 1621), [quad(1000, 5, 1400, 25), *inside]) is None  # the page's edge
    assert grown_block(page, block, []) is None


def test_a_receipt_s_header_the_page_s_detector_missed_is_read_with_its_block() -> None:
    # the whole page: the detector finds the middle of a receipt only; its block, read alone, finds a
    # line at its top edge, and the block widened past that line finds the header above it
    found = [quad(1000, 1200 + 40 * i, 1400, 1220 + 40 * i) for i in range(10)]
    receipt = [
        L(quad(1000, 1120, 1400, 1140), "SHOP NAME", 0.95),
        L(quad(1000, 1160, 1400, 1180), "NO. 12", 0.9),
        *[L(box, "ITEM 1.00", 0.9) for box in found],
    ]
    ys, xs = np.mgrid[0:3000, 0:2400]
    page = np.dstack([ys % 256, ys // 256, xs // 10]).astype(np.uint8)  # a crop tells where it was cut
    seen: list[tuple[int, ...]] = []

    class Api:
        def read(self, image: np.ndarray) -> list[L]:
            seen.append(image.shape)
            top, left = int(image[0, 0, 1]) * 256 + int(image[0, 0, 0]), int(image[0, 0, 2]) * 10
            inside = [ln for ln in receipt if ln.box[0][1] >= top and ln.box[2][1] < top + image.shape[0]]
            return [L(tuple((x - left, y - top) for x, y in ln.box), ln.text, ln.confidence) for ln in inside]

        def read_unless(self, image: np.ndarray, declined: Declined) -> list[L] | None:
            assert declined(found, lambda ids: [True] * len(ids))
            return None

    reader = RapidOcrRecognizer(det_side=960, zoom=1.4, block_growth=2)
    reader._api = Api()  # type: ignore[assignment]
    words = reader.recognize([CorrectedPage(page, 1)]).pages[0].words
    assert [w.text for w in words][:4] == ["SHOP", "NAME", "NO.", "12"]
    assert (words[0].left, words[0].top) == (1000, 1120)
    assert len(seen) == 2  # the block, then widened past the line at its top, the header with it
    seen.clear()
    reader.block_growth = 0
    words = reader.recognize([CorrectedPage(page, 1)]).pages[0].words
    assert [w.text for w in words][:2] == ["NO.", "12"] and len(seen) == 1


RECEIPTS_AT = (150, 950, 1750)
"""The left edges of three receipts 500 px wide side by side on a 1000 x 2400 flatbed page."""


def _flatbed() -> np.ndarray:
    """The page, each pixel column's grey its x / 10: a fake engine tells where a crop was cut from."""
    return np.tile((np.arange(2400) // 10).astype(np.uint8), (1000, 1))


def _flatbed_boxes(lefts: Sequence[int] = RECEIPTS_AT) -> list[Quad]:
    """Ten lines 20 px tall down each receipt."""
    return [quad(x, 100 + 60 * i, x + 500, 120 + 60 * i) for x in lefts for i in range(10)]


def test_receipts_side_by_side_are_cut_in_the_middle_of_their_gutters() -> None:
    page = _flatbed()
    boxes = _flatbed_boxes()
    assert text_columns(page, boxes, 960, 1.2, 4.0, 2.0) == [(0, 800), (800, 1600), (1600, 2400)]
    assert text_columns(page, boxes, 960, 1.2, 4.0, 0) == []  # switched off
    assert text_columns(page, boxes, 960, 1.2, 4.0, 16.0) == []  # the gutters are 15 line heights wide
    assert text_columns(page, boxes, 960, 3.0, 4.0, 2.0) == []  # each alone is seen 2.4 times larger
    assert text_columns(page, boxes, 2400, 1.2, 4.0, 2.0) == []  # the detector sees the page at its size
    header = [*boxes, quad(100, 20, 2200, 50)]  # a heading across the page: one column
    assert text_columns(page, header, 960, 1.2, 4.0, 2.0) == []
    # a tall page's columns are as tall as the page: the detector would see them no larger
    tall = np.full((3000, 2400), 255, np.uint8)
    assert text_columns(tall, boxes, 960, 1.2, 4.0, 2.0) == []


class _Flatbed:
    """A fake engine for :func:`_flatbed`'s page: on the whole page it finds ``page_lines``; on a crop
    it reads ``crop_lines(left, width)`` (``left``: where on the page the crop starts), in the crop's
    coordinates. It records the shapes it was asked to read and whether it recognized them."""

    def __init__(self, page_lines: list[L], crop_lines: Callable[[int, int], list[L]]) -> None:
        self.page_lines, self.crop_lines = page_lines, crop_lines
        self.seen: list[tuple[tuple[int, ...], bool]] = []

    def _lines(self, image: np.ndarray) -> list[L]:
        if image.shape == (1000, 2400):
            return self.page_lines
        return self.crop_lines(int(image[0, 0]) * 10, image.shape[1])

    def read(self, image: np.ndarray) -> list[L]:
        self.seen.append((image.shape, True))
        return self._lines(image)

    def read_unless(self, image: np.ndarray, declined: Declined) -> list[L] | None:
        found = self._lines(image)
        if declined([line.box for line in found], lambda ids: [True for _ in ids]):
            self.seen.append((image.shape, False))
            return None
        self.seen.append((image.shape, True))
        return found


def _reader(api: _Flatbed, gap: float = 2.0) -> RapidOcrRecognizer:
    reader = RapidOcrRecognizer(det_side=960, zoom=1.4, tile_aspect=4.0, column_gap=gap, column_zoom=1.2)
    reader._api = api  # type: ignore[assignment]
    return reader


def test_receipts_side_by_side_are_read_column_by_column() -> None:
    page_lines = [L(box, "TOTAL", 0.9) for box in _flatbed_boxes()]

    def crop_lines(left: int, width: int) -> list[L]:  # every line of its receipt, the small print too
        return [L(quad(150, 100 + 30 * i, 650, 115 + 30 * i), f"FROM{left}", 0.95) for i in range(20)]

    api = _Flatbed(page_lines, crop_lines)
    words = _reader(api).recognize([CorrectedPage(_flatbed(), 1)]).pages[0].words
    # the page's lines were found, not recognized; then each column was read as a page of its own
    assert api.seen == [((1000, 2400), False), *[((1000, 800), True)] * 3]
    assert len(words) == 3 * 20
    # each column's lines, in the page's coordinates
    assert sorted({(w.left, w.text) for w in words}) == [(150, "FROM0"), (950, "FROM800"), (1750, "FROM1600")]
    api.seen.clear()
    words = _reader(api, gap=0).recognize([CorrectedPage(_flatbed(), 1)]).pages[0].words
    assert len(words) == 30  # switched off: the page is read whole
    assert api.seen == [((1000, 2400), True)]


def test_a_cut_through_a_line_the_page_s_detector_missed_joins_the_two_columns() -> None:
    page_lines = [L(box, "TOTAL", 0.9) for box in _flatbed_boxes()]

    def crop_lines(left: int, width: int) -> list[L]:
        shop = L(quad(150, 100, 650, 120), "SHOP", 0.95)
        if left == 1600:  # the right-hand receipt's crop: a line of it reaches the cut on its left
            return [shop, L(quad(0, 500, 300, 520), "CUT", 0.9)]
        if width == 1600:  # the two right-hand columns again as one
            return [L(quad(150, 100, 650, 120), "SHOP", 0.95), L(quad(950, 100, 1450, 120), "SHOP", 0.95)]
        return [shop]

    api = _Flatbed(page_lines, crop_lines)
    words = _reader(api).recognize([CorrectedPage(_flatbed(), 1)]).pages[0].words
    assert api.seen == [((1000, 2400), False), *[((1000, 800), True)] * 3, ((1000, 1600), True)]
    assert [(w.text, w.left) for w in words] == [("SHOP", 150), ("SHOP", 950), ("SHOP", 1750)]


def test_a_large_page_that_reads_next_to_nothing_is_read_again_with_a_larger_detector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sides: list[int] = []

    class Api:
        def __init__(self, side: int) -> None:
            self.side = side

        def read(self, image: np.ndarray) -> list[L]:
            sides.append(self.side)
            if self.side == 960:  # a long receipt far off in a photo: nothing found at this size
                return [L(quad(10, 10, 30, 20), "x", 0.6)]
            return [L(quad(1000, 400, 1400, 420), "TOTAL 9.99", 0.95)]

    monkeypatch.setattr("icr.ocr.neural.shared_api", lambda *args: Api(args[1]))
    reader = RapidOcrRecognizer(det_side=960, retry_side=1920, retry_below=20)
    reader._api = Api(960)  # type: ignore[assignment]
    photo = CorrectedPage(np.full((3900, 2900), 255, np.uint8), 1)
    assert [w.text for w in reader.recognize([photo]).pages[0].words] == ["TOTAL", "9.99"]
    assert sides == [960, 1920]
    sides.clear()
    small = CorrectedPage(np.full((900, 600), 255, np.uint8), 1)  # the detector saw it at its own size
    assert [w.text for w in reader.recognize([small]).pages[0].words] == ["x"]
    assert sides == [960]
    sides.clear()
    reader.retry_side = 0
    assert [w.text for w in reader.recognize([photo]).pages[0].words] == ["x"]
    assert sides == [960]


def test_a_long_strip_is_cut_into_overlapping_pieces_no_longer_than_the_aspect() -> None:
    assert tiles(2000, 736, 4.0) == [(0, 2000, 0, 2000)]  # short enough: whole
    assert tiles(9000, 736, 0.0) == [(0, 9000, 0, 9000)]  # switched off
    spans = tiles(5682, 736, 3.0)
    assert spans[0][0] == 0 and spans[-1][1] == 5682
    for (s0, e0, _, keep_to), (s1, _, keep_from, _) in itertools.pairwise(spans):
        assert e0 - s0 == round(3.0 * 736)
        assert e0 - s1 >= round(0.1 * 3.0 * 736)  # they overlap by more than a line
        assert keep_to == keep_from and s1 < keep_to < e0  # each place kept from one piece, in its overlap


def test_a_long_strip_is_read_piece_by_piece_each_line_once_in_page_coordinates() -> None:
    pitch = 100  # a line every 100 px down the page, 20 px tall, its text its top
    page = np.full((3000, 200), 255, np.uint8)
    rows_down = np.arange(3000)
    page[:, 0], page[:, 1] = rows_down % 256, rows_down // 256  # each row says where it is
    starts: list[int] = []

    class Api:
        def read(self, image: np.ndarray) -> list[L]:
            start = int(image[0, 0]) + 256 * int(image[0, 1])
            starts.append(start)
            out = []  # the piece's lines in its own coordinates, those its edges cut read cut
            for top in range(0, 3000, pitch):
                y0, y1 = max(top, start), min(top + 20, start + image.shape[0])
                if y0 < y1:
                    out.append(L(quad(0, y0 - start, 100, y1 - start), f"LINE {top}", 0.9))
            return out

    reader = RapidOcrRecognizer(det_side=960, tile_aspect=4.0)
    reader._api = Api()  # type: ignore[assignment]
    words = reader.recognize([CorrectedPage(page, 1)]).pages[0].words
    assert starts == [s for s, _, _, _ in tiles(3000, 200, 4.0)] and len(starts) > 1
    tops = [w.top for w in words if w.text == "LINE"]
    assert tops == list(range(0, 3000, pitch))  # every line once, where the page has it
    starts.clear()
    reader.recognize([CorrectedPage(np.ascontiguousarray(page.T), 1)])
    assert len(starts) == 1  # a wide page is read whole: a cut across it would go through its lines


@needs_engine
@pytest.mark.slow
def test_a_long_receipt_strip_is_read_whole(tmp_path: Path) -> None:
    receipt = cv2.imread(str(SAMPLES / "kedai-maju-jaya.png"), cv2.IMREAD_GRAYSCALE)
    strip = np.vstack([receipt] * 6)  # 7.7 times longer than wide
    settings = load_settings(overrides={"stages": {"recognizer": "rapidocr"}})
    whole = build_recognizer(settings.with_overrides({"recognizer": {"tile_aspect": 0}}))
    pieces = build_recognizer(settings)
    one = pieces.recognize([CorrectedPage(receipt, 1)]).text
    read_whole = whole.recognize([CorrectedPage(strip, 1)]).text
    read_in_pieces = pieces.recognize([CorrectedPage(strip, 1)]).text
    assert read_in_pieces.count("21.00") == 6 * one.count("21.00") > 0
    assert len(read_whole) < 0.7 * len(read_in_pieces)  # whole, the detector saw letters too small


def test_a_page_far_longer_than_wide_is_padded_with_its_background_for_the_detector() -> None:
    banner = np.full((70, 12000), 250, np.uint8)
    banner[20:50, 100:400] = 0
    padded = rapidocr_api.detectable(banner, 960)
    assert padded.shape == (400, 12000)  # 32 px at 960 / 12000 of its size
    assert (padded[:70] == banner).all() and (padded[70:] == 250).all()
    strip = np.full((9000, 60, 3), (200, 210, 220), np.uint8)
    padded = rapidocr_api.detectable(strip, 960)
    assert padded.shape == (9000, 300, 3) and (padded[:, 60:] == (200, 210, 220)).all()
    page = np.zeros((1200, 800), np.uint8)
    assert rapidocr_api.detectable(page, 960) is page  # an ordinary page is left alone
    small = np.zeros((14, 300), np.uint8)
    assert rapidocr_api.detectable(small, 960) is small  # rapidocr enlarges it to 30 px itself


@needs_engine
@pytest.mark.slow
@pytest.mark.parametrize("shape", ["wide", "tall"])
def test_a_banner_or_strip_too_long_for_the_detector_is_read_not_refused(shape: str) -> None:
    line = np.full((60, 1400), 255, np.uint8)
    cv2.putText(line, "TOTAL 12.34 CASH 20.00", (20, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3)
    page = np.hstack([line] * 30)  # 700 times wider than a letter is tall
    if shape == "tall":
        page = np.vstack([np.rot90(line)] * 2 + [np.full((40000, 60), 255, np.uint8)])
    reader = RapidOcrRecognizer(det_side=960, tile_aspect=0.0)
    result = reader.recognize([CorrectedPage(page, 1)])
    assert result.pages[0].width == page.shape[1] and result.pages[0].height == page.shape[0]


@needs_engine
@pytest.mark.slow
@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_a_page_on_its_side_or_upside_down_is_settled_by_reading_it_turned(tmp_path: Path, degrees: int) -> None:
    import cv2
    import numpy as np

    from icr.imaging.corrector import OpenCVCorrector
    from icr.imaging.steps.orientation import turn
    from icr.metrics import word_accuracy
    from icr.pipeline import Stages, Task, process_document
    from icr.text.corrector import FakeTextCorrector

    text = ["SUPERMARKET SDN BHD", "NO 12 JALAN BESAR", "MILK FRESH 2L 7.90", "BREAD WHITE 3.50", "TOTAL 11.40"]
    img = np.full((120 + 70 * len(text), 900), 255, np.uint8)
    for i, t in enumerate(text):
        cv2.putText(img, t, (40, 100 + 70 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    path = tmp_path / "page.png"
    cv2.imwrite(str(path), turn(img, degrees))
    # geometry that never decides, as on a dim photo: the page is left to its reading
    options = {
        "steps": ["grayscale", "orientation"],
        "orientation_defer": True,
        "orientation_by_reading": True,
        "min_dots": 10**9,
        "min_votes": 10**9,
        "page_upright_confidence": 95,
        "page_upright_share": 0.5,
        "page_upright_letters": 30,
    }
    stages = Stages(OpenCVCorrector(options), RapidOcrRecognizer(), FakeTextCorrector(load_settings()))
    result = process_document(Task(str(path), "r" * 64), stages)
    assert result.ok and result.ocr is not None
    assert result.info["rotation"] == (360 - degrees) % 360
    assert result.info["orientation_probe"] == 0.0  # Tesseract's probe was never asked
    assert word_accuracy("\n".join(text), result.ocr.text) > 0.8
    assert "TOTAL 11.40" in [line.text for line in result.ocr.lines()]


# ---------------------------------------------------------------- pages in another script


def test_a_line_reading_nothing_unsurely_or_too_little_for_its_width_is_unsure() -> None:
    rule = OtherScripts(unsure=0.9, under=0.5)
    crop = np.zeros((40, 520), np.uint8)  # 13 line heights wide
    assert rule.unsure_line(crop, "", 0.0)
    assert rule.unsure_line(crop, "t", 0.56)  # a stray mark read unsurely
    assert rule.unsure_line(crop, "30", 0.99)  # "北京市东城区前门大街30号" held to Latin letters
    assert not rule.unsure_line(crop, "TOTAL AMOUNT 12.50", 0.98)


def test_full_width_signs_and_digits_read_as_receipts_print_them() -> None:
    assert normal("合計 ￥１，０３６") == "合計 ¥1,036"
    assert foreign("合計 ¥1,036 TOTAL", frozenset(alphabet(["0020-007E", "00A0-024F"]))) == 2


def test_lines_in_another_script_take_the_wider_reading_and_the_rest_keep_their_own() -> None:
    known = frozenset(alphabet(["0020-007E", "00A0-024F"]))
    own = [
        L(quad(0, 0, 300, 30), "TEL 03-3461-0000", 0.96, columns=(0.1,)),
        L(quad(0, 40, 300, 70), "20181205()14:32", 1.0),
        L(quad(0, 80, 100, 110), "¥635", 1.0),
    ]
    wider = [
        L(quad(0, 0, 300, 30), "TEL 03-3461-0000", 0.95),
        L(quad(0, 40, 300, 70), "2018年12月05日(水) 14:32", 0.97),
        L(quad(0, 80, 100, 110), "¥635", 0.96),
        L(quad(0, 120, 100, 150), "合計", 1.0),
    ]
    own.append(L(quad(0, 160, 300, 190), "**************", 0.99))
    wider.append(L(quad(0, 160, 300, 190), "冰冰水东窜家京东家", 0.55))  # a rule of stars, read as kanji unsurely
    out = merged(own, wider, known, keep=0.7)  # type: ignore[arg-type]
    texts = sorted(line.text for line in out)
    assert texts == sorted(["TEL 03-3461-0000", "2018年12月05日(水) 14:32", "¥635", "合計", "**************"])
    assert next(line for line in out if line.text.startswith("TEL")).columns == (0.1,)  # its own reading


class _Engine:
    """A fake engine: ``read`` gives the lines held to the alphabet and leaves what it saw in ``seen``."""

    def __init__(self, lines: list[L], seen: list[tuple[np.ndarray, str, float]], every: dict[str, str]) -> None:
        self.lines, self.seen, self.every, self.read_crops = lines, seen, every, 0

    def read(self, image: np.ndarray) -> list[L]:
        return self.lines

    def read_lines(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        self.read_crops += len(crops)
        return [(self.every.get(str(crop.shape[1]), "TOTAL"), 0.99) for crop in crops]


def _recognizer(engine: _Engine, wider: _Engine, monkeypatch: pytest.MonkeyPatch) -> RapidOcrRecognizer:
    reader = RapidOcrRecognizer(alphabet=alphabet(["0020-007E", "00A0-024F"]), other_scripts=OtherScripts())
    reader._api = engine  # type: ignore[assignment]
    monkeypatch.setattr(RapidOcrRecognizer, "every_character", property(lambda self: wider))
    return reader


def test_a_page_in_another_script_is_read_again_with_every_character(monkeypatch: pytest.MonkeyPatch) -> None:
    held = [L(quad(0, 0, 300, 30), "30", 0.99), L(quad(0, 40, 300, 70), "18.00", 1.0)]
    seen = [(np.zeros((30, 390), np.uint8), "30", 0.99), (np.zeros((30, 150), np.uint8), "18.00", 1.0)]
    page = [L(quad(0, 0, 300, 30), "北京市东城区前门大街30号", 0.99), L(quad(0, 40, 300, 70), "18.00", 1.0)]
    wider = _Engine(page, [], {"390": "北京市东城区前门大街30号"})
    reader = _recognizer(_Engine(held, seen, {}), wider, monkeypatch)
    out = reader._page_lines(np.zeros((100, 300), np.uint8))
    assert sorted(line.text for line in out) == ["18.00", "北京市东城区前门大街30号"]
    assert wider.read_crops == 1  # the one unsure line was the probe


def test_a_latin_page_with_unsure_lines_stays_as_it_was_read(monkeypatch: pytest.MonkeyPatch) -> None:
    held = [L(quad(0, 0, 300, 30), "ANK00T", 0.6), L(quad(0, 40, 300, 70), "TOTAL 18.00", 1.0)]
    seen = [(np.zeros((30, 200), np.uint8), "ANK00T", 0.6), (np.zeros((30, 300), np.uint8), "TOTAL 18.00", 1.0)]
    wider = _Engine([], [], {"200": "ANKOOT"})  # the logo reads Latin with every character too
    reader = _recognizer(_Engine(held, seen, {}), wider, monkeypatch)
    assert reader._page_lines(np.zeros((100, 300), np.uint8)) == held
    assert wider.read_crops == 1
    clean = [(np.zeros((30, 300), np.uint8), "TOTAL 18.00", 1.0)]
    quiet = _Engine([], [], {})
    reader = _recognizer(_Engine(held[1:], clean, {}), quiet, monkeypatch)
    assert reader._page_lines(np.zeros((100, 300), np.uint8)) == held[1:]
    assert quiet.read_crops == 0  # nothing unsure: no second look at all


JAPANESE_FONT = Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf")


@needs_engine
@pytest.mark.slow
@pytest.mark.skipif(not JAPANESE_FONT.exists(), reason="no Japanese font (Debian's fonts-ipafont-gothic)")
def test_real_engine_reads_a_japanese_receipt_and_the_packs_give_its_fields() -> None:
    from icr.text.corrector import DefaultTextCorrector

    text = [
        "ローソン渋谷道玄坂店",
        "東京都渋谷区道玄坂1-12-3",
        "2023年05月12日(金) 18:42",
        "おにぎり紅しゃけ    ¥160",
        "緑茶600ml           ¥148",
        "************************",
        "合計                ¥308",
        "お預り              ¥500",
        "お釣り              ¥192",
    ]
    settings = load_settings(profile="accurate")
    page = CorrectedPage(printed(text, JAPANESE_FONT, width=560, step=40), 1)
    ocr = build_recognizer(settings).recognize([page])
    assert "合計" in ocr.text and "ローソン" in ocr.text, ocr.text
    # the rule of stars, which the model reads as a row of kanji unsurely, adds no line of kanji: the
    # printed lines but the stars, and at most the stars as stars
    assert len([line for line in ocr.text.splitlines() if "*" not in line]) == len(text) - 1, ocr.text
    fields = DefaultTextCorrector(settings).extract(ocr).fields
    assert {name: str(fields[name].value) for name in ("total", "paid", "change", "date", "currency")} == {
        "total": "308.00",
        "paid": "500.00",
        "change": "192.00",
        "date": "2023-05-12",
        "currency": "JPY",
    }
    assert fields["company"].value == "ローソン渋谷道玄坂店"
