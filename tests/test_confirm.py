"""The date check: the chosen date's line read again alone (icr.confirm)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import pytest

from icr.confirm import confirm_date
from icr.types import CorrectedPage, Extraction, FieldValue, OcrPage, OcrResult, Word

TODAY = dt.date(2026, 11, 21)


@dataclass
class ScriptedRecognizer:
    """Returns the given texts, one per call, and keeps what it was asked to read."""

    texts: list[str]
    seen: list[tuple[int, int, int | None]] = field(default_factory=list)
    ink: list[float] = field(default_factory=list)
    """The mean darkness (0..255) of each image it was given."""
    name: str = "scripted"

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        h, w = pages[0].image.shape[:2]
        self.seen.append((h, w, psm))
        self.ink.append(255.0 - float(pages[0].image.mean()))
        return OcrResult([OcrPage(self.texts[len(self.seen) - 1], [])])

    def close(self) -> None:
        return None


def reading(words: list[str], top: int = 40, height: int = 30, size: tuple[int, int] = (200, 600)) -> OcrResult:
    """One line of words side by side at ``top`` on a page of ``size``."""
    out, left = [], 20
    for text in words:
        out.append(Word(text, left, top, 18 * len(text), height, 0.9, 1, 1, 1))
        left += 18 * len(text) + 15
    lines = [OcrPage("STORE\n" + " ".join(words), [Word("STORE", 20, 5, 90, 25, 0.9, 1, 1, 0), *out], *size[::-1])]
    return OcrResult(lines)


def extraction(date: dt.date) -> Extraction:
    return Extraction({"date": FieldValue("date", date.isoformat(), date, "", 0.8, "label")})


def blank(size: tuple[int, int] = (200, 600)) -> list[CorrectedPage]:
    return [CorrectedPage(np.full(size, 255, np.uint8))]


def test_two_crops_agreeing_on_another_date_replace_it() -> None:
    rec = ScriptedRecognizer(["DATE 12/03/2018 13:07", "DATE: 12/03/2018 13:07"])
    page_read = reading(["DATE", "12/09/2018", "13:07"])
    out = confirm_date(extraction(dt.date(2018, 9, 12)), [(page_read, blank())], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2018, 3, 12)
    assert out.fields["date"].value == "2018-03-12" and out.fields["date"].source == "reread"
    # the line alone (psm 7) as printed, then enlarged 1.5 times: about a line's height, not the page's
    (h0, w0, psm0), (h1, w1, psm1) = rec.seen
    assert psm1 == psm0 == 7 and h1 < 100 and h0 < h1 and w0 < w1


def test_a_crop_agreeing_with_the_page_plain_and_thickened_stops_the_check() -> None:
    rec = ScriptedRecognizer(["DATE 12/09/2018 13:07", "DATE 12/09/2018 13:07", "never read"])
    page_read = reading(["DATE", "12/09/2018", "13:07"])
    out = confirm_date(extraction(dt.date(2018, 9, 12)), [(page_read, blank())], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2018, 9, 12) and len(rec.seen) == 2
    assert rec.seen[0] == rec.seen[1]  # the same crop, the second with its strokes thickened


def test_a_faded_date_is_read_with_its_strokes_thickened() -> None:
    # as printed, the crop agrees with the page ("16/02" read "18/02"); thickened, at both scales, it does not
    rec = ScriptedRecognizer(["Date : 18/02/2018 12:04", "Date : 16/02/2018 12:04", "Date : 16/02/2018 12:04"])
    page_read = reading(["Date", ":", "18/02/2018", "12:04"])
    page = blank()
    page[0].image[40:70, 20:400] = 0  # ink where the line is
    out = confirm_date(extraction(dt.date(2018, 2, 18)), [(page_read, page)], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2018, 2, 16) and out.fields["date"].source == "reread"
    (h0, w0, _), (h1, w1, _), (h2, w2, _) = rec.seen
    assert (h0, w0) == (h1, w1) and h2 > h1 and w2 > w1  # the line, the line thickened, then thickened at 1.5x
    assert rec.ink[1] > rec.ink[0]  # darker: the ink spread
    # a page whose lighting was flattened is not thickened: its strokes are dark already
    rec = ScriptedRecognizer(["Date : 18/02/2018 12:04", "Date : 16/02/2018 12:04", "Date : 16/02/2018 12:04"])
    page[0].info["background_applied"] = 1.0
    out = confirm_date(extraction(dt.date(2018, 2, 18)), [(page_read, page)], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2018, 2, 18) and len(rec.seen) == 1
    page[0].info.clear()
    # thickened, the two scales disagree: the page's reading stays
    rec = ScriptedRecognizer(["Date : 18/02/2018", "Date : 16/02/2018", "Date : 19/02/2018"])
    out = confirm_date(extraction(dt.date(2018, 2, 18)), [(page_read, page)], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2018, 2, 18) and out.fields["date"].source == "label"


@pytest.mark.parametrize(
    "texts",
    [
        ["DATE 12/03/2018", "DATE 12/08/2018", "DATE 12/09/2018"],  # the crops disagree with each other
        ["DATE 12/03/2018", "DATE 12/09/2018", "DATE 12/09/2018"],  # the second crop agrees with the page
        ["DATE 12/03/2018", "unreadable", "DATE 12/03/2018", "DATE 12/08/2018"],  # thickened, they disagree
        ["DATE 12/03/2028", "DATE 12/03/2028"],  # a date in the future is no correction
    ],
)
def test_the_page_reading_stays_without_two_agreeing_crops(texts: list[str]) -> None:
    rec = ScriptedRecognizer(texts)
    page_read = reading(["DATE", "12/09/2018"])
    out = confirm_date(extraction(dt.date(2018, 9, 12)), [(page_read, blank())], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2018, 9, 12) and out.fields["date"].source == "label"


def test_a_line_crop_that_shows_no_date_gives_way_to_the_date_words_alone() -> None:
    rec = ScriptedRecognizer(["Date : Cashier CT001", "27/05/2018", "27/05/2018"])
    page_read = reading(["Date", ":", "27/08/2018", "8:07", "PM"])
    out = confirm_date(extraction(dt.date(2018, 8, 27)), [(page_read, blank())], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2018, 5, 27)
    (_, line_w, _), (_, word_w, _), _ = rec.seen
    assert word_w < line_w  # the second crop is the date's word only
    # and when that says nothing either, the page's reading stays
    rec = ScriptedRecognizer(["Date : Cashier CT001", "", ""])
    out = confirm_date(extraction(dt.date(2018, 8, 27)), [(page_read, blank())], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2018, 8, 27) and len(rec.seen) == 2


def printed_twice(at_the_foot: str) -> OcrResult:
    """The date on its line with the time, and again alone at the foot of the receipt."""
    words = [
        Word("STORE", 20, 5, 90, 25, 0.9, 1, 1, 0),
        Word("Date:", 20, 40, 80, 30, 0.9, 1, 1, 1),
        Word("17/06/2018", 115, 40, 180, 30, 0.8, 1, 1, 1),
        Word("10:54", 310, 40, 90, 30, 0.9, 1, 1, 1),
        Word(at_the_foot, 115, 150, 180, 30, 0.8, 1, 1, 2),
    ]
    return OcrResult([OcrPage(f"STORE\nDate: 17/06/2018 10:54\n{at_the_foot}", words, 600, 200)])


def test_a_date_printed_twice_is_settled_by_its_own_word_when_the_line_agrees_with_the_page() -> None:
    rec = ScriptedRecognizer(["Date: 17/06/2018 10:54", "17/05/2018", "17/05/2018"])
    out = confirm_date(extraction(dt.date(2018, 6, 17)), [(printed_twice("17/05/2018"), blank())], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2018, 5, 17) and out.fields["date"].source == "reread"
    (_, line_w, _), (_, word_w, _), (_, word_w15, _) = rec.seen
    assert word_w < line_w and word_w < word_w15  # the date's word alone, then enlarged
    # a date the word alone shows but the receipt prints nowhere else is no correction
    rec = ScriptedRecognizer(["Date: 17/06/2018 10:54", "11/05/2018", "11/05/2018", "Date: 17/06/2018"])
    out = confirm_date(extraction(dt.date(2018, 6, 17)), [(printed_twice("17/05/2018"), blank())], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2018, 6, 17)
    # nor is one crop of the word alone
    rec = ScriptedRecognizer(["Date: 17/06/2018 10:54", "17/05/2018", "17/06/2018", "Date: 17/06/2018"])
    out = confirm_date(extraction(dt.date(2018, 6, 17)), [(printed_twice("17/05/2018"), blank())], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2018, 6, 17)
    # and with no other date on the receipt the word is not read at all
    rec = ScriptedRecognizer(["Date: 17/06/2018 10:54", "Date: 17/06/2018 10:54", "never read"])
    out = confirm_date(extraction(dt.date(2018, 6, 17)), [(printed_twice("TOTAL"), blank())], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2018, 6, 17) and len(rec.seen) == 2
    assert rec.seen[0] == rec.seen[1]  # the line again, thickened: not the word


def test_a_date_on_no_line_read_is_left_alone() -> None:
    rec = ScriptedRecognizer([])
    page_read = reading(["TOTAL", "5.00"])
    ex = extraction(dt.date(2018, 9, 12))
    assert confirm_date(ex, [(page_read, blank())], rec, today=TODAY) is ex and not rec.seen
    empty = Extraction({})
    assert confirm_date(empty, [(page_read, blank())], rec, today=TODAY) is empty


def test_the_line_is_cut_from_the_reading_it_was_found_in() -> None:
    rec = ScriptedRecognizer(["DATE 13/03/2018", "DATE 13/03/2018"])
    first = reading(["TOTAL", "5.00"])
    second = reading(["DATE", "18/03/2018"], top=300, size=(600, 800))
    out = confirm_date(
        extraction(dt.date(2018, 3, 18)), [(first, blank()), (second, blank((600, 800)))], rec, today=TODAY
    )
    assert out.fields["date"].typed == dt.date(2018, 3, 13)


def test_month_first_lines_stay_month_first() -> None:
    rec = ScriptedRecognizer(["DATE 07/04/2013", "DATE 07/04/2013"])
    page_read = reading(["DATE", "07/14/2013"])  # only month-first reads this as a date
    out = confirm_date(extraction(dt.date(2013, 7, 14)), [(page_read, blank())], rec, today=TODAY)
    assert out.fields["date"].typed == dt.date(2013, 7, 4)


@pytest.mark.tesseract
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="the tesseract binary is not installed")
def test_real_tesseract_reads_the_printed_date() -> None:
    from icr.config import load_settings
    from icr.registry import build_recognizer

    img = np.full((200, 700), 255, np.uint8)
    cv2.putText(img, "SUNRISE MART", (30, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    cv2.putText(img, "DATE 12/03/2018 13:07", (30, 130), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    # the page's reading misread the month; its boxes are where the line is printed
    words = [
        Word("DATE", 30, 108, 80, 24, 0.9, 1, 1, 2),
        Word("12/09/2018", 125, 106, 190, 28, 0.6, 1, 1, 2),
        Word("13:07", 330, 108, 90, 24, 0.9, 1, 1, 2),
    ]
    page_read = OcrResult([OcrPage("SUNRISE MART\nDATE 12/09/2018 13:07", words, 700, 200)])
    recognizer = build_recognizer(load_settings())
    try:
        out = confirm_date(extraction(dt.date(2018, 9, 12)), [(page_read, [CorrectedPage(img)])], recognizer)
    finally:
        recognizer.close()
    assert out.fields["date"].typed == dt.date(2018, 3, 12)
