"""Receipts laid side by side on one scan (icr/layout.py, icr.pipeline.split_step): the page cut
at its gutters, each receipt its own record; one receipt with a column of prices stays whole."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageFont

from icr.cli import main
from icr.config import load_settings
from icr.forms.reader import FORM
from icr.layout import column_spans, gutter_cuts, joined, side_by_side, word_columns
from icr.ocr import rapidocr_api
from icr.ocr.adapter import page_from_words
from icr.pipeline import DocumentResult, Stages, Task, build_stages, process_document
from icr.stages import Recognizer
from icr.types import CorrectedPage, OcrPage, OcrResult, Word
from tests.conftest import SAMPLES, requires_tesseract


def _word(text: str, left: int, top: int, width: int = 60, line: int = 0) -> Word:
    return Word(text, left, top, width, 20, 0.99, block=1, paragraph=1, line=line or top // 30)


def _page(words: list[Word]) -> OcrPage:
    return OcrPage("", words, width=1000, height=800)


RECEIPTS = (("SHOP ONE", "DATE 01/02/2024", "TOTAL 12.50"), ("CAFE TWO", "DATE 03/04/2024", "TOTAL 4.20"))


def test_a_band_no_word_crosses_top_to_bottom_cuts_the_page() -> None:
    left = [_word("SHOP", 50, 30), _word("TOTAL", 50, 60), _word("9.90", 130, 60)]
    right = [_word("CAFE", 500, 30), _word("TOTAL", 500, 60), _word("4.20", 580, 60)]
    assert column_spans(left + right, 2.0) == [(50, 190), (500, 640)]
    # a narrower band (under two word heights) is only the space between words
    assert column_spans(left + right, 16.0) == [(50, 640)]
    # a speck read as a point in the band does not close it; a word across it does
    assert len(column_spans([*left, _word(".", 300, 90, width=150), *right], 2.0)) == 2
    assert column_spans([*left, _word("HEADING", 100, 0, width=420), *right], 2.0) == [(50, 640)]


def test_words_go_to_their_column_and_columns_join_in_the_page_order() -> None:
    words = [_word("A", 50, 30), _word("B", 500, 30), _word("C", 50, 60), _word("D", 500, 60)]
    page = _page(words)
    columns = word_columns(page, 2.0)
    assert [[w.text for w in c] for c in columns] == [["A", "C"], ["B", "D"]]
    assert [w.text for w in joined(page, columns).words] == ["A", "B", "C", "D"]
    assert [w.text for w in joined(page, columns[1:]).words] == ["B", "D"]
    assert word_columns(_page(words[:1]), 2.0) == [words[:1]]


def _side_by_side(path: Path, names: list[str], gap: int = 120, scale: float = 1.0) -> Path:
    images = [Image.open(SAMPLES / f"{name}.png").convert("RGB") for name in names]
    images = [im.resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS) for im in images]
    height = max(im.height for im in images)
    page = Image.new("RGB", (sum(im.width for im in images) + gap * (len(images) - 1), height), "white")
    x = 0
    for im in images:
        page.paste(im, (x, 0))
        x += im.width + gap
    page.save(path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    "names",
    [
        ["kedai-maju-jaya", "green-valley-grocer"],
        # read whole, Tesseract runs its rows from one into the other and neither side reads as a
        # receipt: each column is read again alone
        ["ying-thai-kitchen", "kedai-maju-jaya"],
    ],
)
def test_two_receipts_on_one_scan_are_two_records_and_flagged_when_kept_whole(tmp_path: Path, names: list[str]) -> None:
    requires_tesseract()
    (tmp_path / "in").mkdir()
    _side_by_side(tmp_path / "in" / "flatbed.png", names)
    found = {}
    runner = CliRunner()
    for split in ("auto", "none"):
        db = f"sqlite:///{tmp_path / split}.db"
        res = runner.invoke(main, ["ingest", str(tmp_path / "in"), "--db", db, "-q", "-j", "1", "--profile", "fast",
                                   "--split", split])  # fmt: skip
        assert res.exit_code == 0, res.output
        res = runner.invoke(main, ["export", "--db", db, "--no-text"])
        found[split] = [json.loads(line) for line in res.stdout.splitlines()]
    want = [json.loads((SAMPLES / f"{name}.json").read_text()) for name in names]
    assert [(r["id"], r["fields"].get("total"), r["fields"].get("date")) for r in found["auto"]] == [
        (f"flatbed#page=1&part={k}", w["total"], w["date"]) for k, w in enumerate(want, 1)
    ]
    assert len({r["sha256"] for r in found["auto"]}) == 2
    (whole,) = found["none"]
    assert whole["needs_review"] and any("side by side" in r for r in whole["review_reasons"])


def _card_slip(path: Path, rows: Sequence[str], size: int = 26) -> Path:
    """A card slip drawn as the samples are: black text on white paper."""
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", size)
    page = Image.new("RGB", (16 * size, round(size * 1.45) * (len(rows) + 4)), "white")
    draw = ImageDraw.Draw(page)
    for i, row in enumerate(rows):
        draw.text((2 * size, round(size * 1.45) * (i + 2)), row, font=font, fill="black")
    page.save(path)
    return path


@pytest.mark.slow
def test_a_receipt_scanned_with_its_card_slip_beside_it_is_one_record(tmp_path: Path) -> None:
    requires_tesseract()
    slip = ["Ying Thai Kitchen", "MERCHANT COPY", "Date: 7/4/2013 7:28 PM", "VISA ****4242", "TOTAL $12.59", "",
            "Signature ____________"]  # fmt: skip
    _card_slip(tmp_path / "slip.png", slip)
    receipt = Image.open(SAMPLES / "ying-thai-kitchen.png").convert("RGB")
    card = Image.open(tmp_path / "slip.png")
    page = Image.new("RGB", (receipt.width + 120 + card.width, max(receipt.height, card.height)), "white")
    page.paste(receipt, (0, 0))
    page.paste(card, (receipt.width + 120, 0))
    (tmp_path / "in").mkdir()
    page.save(tmp_path / "in" / "flatbed.png")
    assert _records(tmp_path, "--profile", "fast") == [("flatbed", "12.59", "2013-07-04")]


@pytest.mark.slow
def test_one_receipt_with_its_prices_far_right_stays_one_record(tmp_path: Path) -> None:
    # the sample's prices stand in a column of their own: cut there, neither side is a receipt
    requires_tesseract()
    (tmp_path / "in").mkdir()
    shutil.copy(SAMPLES / "green-valley-grocer.png", tmp_path / "in" / "one.png")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    res = CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--db", db, "-q", "-j", "1", "--profile", "fast"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["export", "--db", db, "--no-text"])
    (record,) = [json.loads(line) for line in res.stdout.splitlines()]
    assert record["id"] == "one" and record["fields"]["total"] == "12.21"
    assert not any("side by side" in r for r in record["review_reasons"])


@pytest.mark.slow
@pytest.mark.skipif(
    not rapidocr_api.available(), reason="rapidocr/onnxruntime are not installed (pip install 'icr[neural]')"
)
def test_five_receipts_side_by_side_are_read_column_by_column_and_each_is_a_record(tmp_path: Path) -> None:
    # a page five receipts wide reaches the neural detector with letters a few pixels tall: read
    # whole, it is one record of mixed fields; read column by column, each receipt reads (the Thai
    # kitchen's, printed askew, levelled by its own tilt)
    names = ["kedai-maju-jaya", "green-valley-grocer", "northway-fuel", "ying-thai-kitchen", "kedai-maju-jaya"]
    (tmp_path / "in").mkdir()
    _side_by_side(tmp_path / "in" / "flatbed.png", names, gap=60, scale=0.7)
    assert _records(tmp_path) == _parts_of(names)


def _records(tmp_path: Path, *options: str) -> list[tuple[str, str | None, str | None]]:
    """(id, total, date) of each record ``icr ingest`` makes of the files in ``tmp_path / "in"``."""
    db = f"sqlite:///{tmp_path / 'x.db'}"
    res = CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--db", db, "-q", "-j", "1", *options])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["export", "--db", db, "--no-text"])
    found = [json.loads(line) for line in res.stdout.splitlines()]
    return [(r["id"], r["fields"].get("total"), r["fields"].get("date")) for r in found]


def _parts_of(names: list[str]) -> list[tuple[str, str | None, str | None]]:
    """The records a page of the samples ``names`` should make, in order."""
    want = [json.loads((SAMPLES / f"{name}.json").read_text()) for name in names]
    return [(f"flatbed#page=1&part={k}", w["total"], w["date"]) for k, w in enumerate(want, 1)]


class _TwoReceipts:
    """A recognizer that reads two receipts side by side off any page (``right``: the right one's
    rows)."""

    name = "two-receipts"

    def __init__(self, right: Sequence[str] = RECEIPTS[1]) -> None:
        self.right = right

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        rows = list(zip(RECEIPTS[0], self.right, strict=True))
        words = [
            _word(token, left + 70 * k, 30 + 40 * i, line=i + 1)
            for i, row in enumerate(rows)
            for left, text in zip((50, 600), row, strict=True)
            for k, token in enumerate(text.split())
        ]
        return OcrResult([page_from_words(words, 1000, 800, 1) for _ in pages], engine=self.name, language="eng")

    def close(self) -> None:
        return None


def test_receipts_side_by_side_are_no_form_when_their_spread_looks_like_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # text across the whole page is what the kind rules take for a form; columns that each read as a
    # receipt are receipts all the same
    stages = replace(
        build_stages(load_settings(profile="fast")), recognizer=_TwoReceipts(), second_read=None, date_check=False
    )
    assert stages.forms is not None
    monkeypatch.setattr(stages.forms, "kind", lambda *args, **kwargs: FORM)
    result = _flatbed(tmp_path, stages)
    assert result.ok and result.form is None
    assert [
        (str(p.extraction.fields["total"].value), str(p.extraction.fields["date"].value)) for p in result.parts
    ] == [("12.50", "2024-02-01"), ("4.20", "2024-04-03")]


def _flatbed(tmp_path: Path, stages: Stages) -> DocumentResult:
    """A blank page read by ``stages`` (their fake recognizer makes up its words)."""
    path = tmp_path / "flatbed.png"
    Image.new("RGB", (1000, 800), "white").save(path)
    return process_document(Task(str(path), "0" * 64), stages)


def _found(result: DocumentResult) -> list[tuple[str, str]]:
    """(total, date) of each record a page was cut into."""
    return [
        (str(p.extraction.fields["total"].value), str(p.extraction.fields["date"].value))
        for p in result.parts
        if p.extraction
    ]


@pytest.mark.parametrize(
    ("right", "records"),
    [
        (("CARD SLIP", "DATE 01/02/2024", "TOTAL 12.50"), []),  # the same total and date: its card slip
        (("CARD SLIP", "DATE 02/01/2024", "TOTAL 12.50"), []),  # its day and month read the other way
        (("CAFE TWO", "DATE 03/04/2024", "TOTAL 12.50"), [("12.50", "2024-02-01"), ("12.50", "2024-04-03")]),
    ],
)
def test_a_receipt_with_its_card_slip_beside_it_is_one_record(
    tmp_path: Path, right: tuple[str, ...], records: list[tuple[str, str]]
) -> None:
    result = _flatbed(tmp_path, _stages_with(_TwoReceipts(right)))
    assert result.ok and result.extraction is not None and _found(result) == records
    if not records:  # one purchase, not flagged as two receipts on the page
        assert str(result.extraction.fields["total"].value) == "12.50"
        assert not any("print a total" in r for r in result.extraction.review_reasons)


def test_gutter_cuts_fall_midway_and_columns_read_apart_come_back_in_page_coordinates() -> None:
    assert gutter_cuts([(50, 190), (500, 640)], 1000) == [0, 345, 1000]
    assert gutter_cuts([(50, 190)], 1000) == [0, 1000]
    page = _page([_word("X", 10, 10)])
    left = OcrPage("", [_word("SHOP", 50, 30, line=1), _word("ONE", 120, 30, line=1)])
    right = OcrPage("", [_word("CAFE", 155, 30, line=1)])
    both = side_by_side(page, [left, right], [0, 345, 1000])
    assert [(w.text, w.left) for w in both.words] == [("SHOP", 50), ("ONE", 120), ("CAFE", 500)]
    assert (both.width, both.height) == (1000, 800)
    # the columns' rows stay apart though each column numbered its own from 1
    assert [line.text for line in both.lines()] == ["SHOP ONE", "CAFE"]


def _rows(rows: Sequence[Sequence[str]], lefts: Sequence[int]) -> list[Word]:
    return [
        _word(token, left + 70 * k, 30 + 40 * i, line=i + 1)
        for i, row in enumerate(rows)
        for left, text in zip(lefts, row, strict=True)
        for k, token in enumerate(text.split())
    ]


class _RowsAcross:
    """A recognizer that reads a page of two receipts side by side with its rows run across the
    gutter, as Tesseract does, losing the left one's date so; each column alone reads right.
    With ``prices``: one receipt whose prices stand in a small column far right."""

    name = "rows-across"

    def __init__(self, prices: bool = False) -> None:
        self.widths: list[int] = []
        self.prices = prices

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        out = []
        for page in pages:
            width = page.image.shape[1]
            if self.prices:
                rows = [("SHOP ONE", ""), ("DATE 01/02/2024", ""), ("COFFEE", "12.50"), ("TOTAL", "12.50")]
                words = _rows(rows, (50, 600))
            elif width == 1000:
                words = _rows(list(zip(("SHOP ONE", "", "TOTAL 12.50"), RECEIPTS[1], strict=True)), (50, 600))
            else:  # the n-th column alone, in its own coordinates
                words = _rows([(text,) for text in RECEIPTS[len(self.widths) - 1]], (50,))
            self.widths.append(width)
            out.append(page_from_words(words, width, 800, page.number))
        return OcrResult(out, engine=self.name, language="eng")

    def close(self) -> None:
        return None


def _under(words: list[Word]) -> list[Word]:
    """``words`` 10 of a receipt's lines lower on the page: a receipt under another, a blank band between."""
    return [replace(w, top=w.top + 400, line=w.line + 10) for w in words]


def _stages_with(recognizer: Recognizer) -> Stages:
    stages = build_stages(load_settings(profile="fast"))
    return replace(stages, recognizer=recognizer, second_read=None, date_check=False)


def test_receipts_whose_rows_were_read_across_the_gutter_are_read_again_column_by_column(tmp_path: Path) -> None:
    reader = _RowsAcross()
    result = _flatbed(tmp_path, _stages_with(reader))
    assert result.ok
    # read whole, then each column cut at the middle of the gutter
    right_of_left = 50 + 70 + 60  # "TOTAL 12.50": two words 70 apart, 60 wide
    assert reader.widths == [1000, (right_of_left + 600) // 2, 1000 - (right_of_left + 600) // 2]
    assert [
        (str(p.extraction.fields["total"].value), str(p.extraction.fields["date"].value)) for p in result.parts
    ] == [("12.50", "2024-02-01"), ("4.20", "2024-04-03")]
    # back in the page's coordinates: 50 px into the right column's cut
    assert result.parts[1].ocr and min(w.left for w in result.parts[1].ocr.words) == reader.widths[1] + 50
    assert "read_apart" in result.timings


def test_a_receipt_with_a_small_column_of_prices_is_not_read_again(tmp_path: Path) -> None:
    reader = _RowsAcross(prices=True)
    result = _flatbed(tmp_path, _stages_with(reader))
    assert result.ok and not result.parts and reader.widths == [1000]
    assert result.extraction is not None and str(result.extraction.fields["total"].value) == "12.50"



class _Stacked:
    """A recognizer that reads two receipts one above another off any page, or with ``slip`` one
    receipt with its card slip under it, the slip repeating its total and date."""

    name = "stacked"

    def __init__(self, slip: bool = False) -> None:
        self.slip = slip

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        lower = ("CARD SLIP", "DATE 01/02/2024", "TOTAL 12.50") if self.slip else RECEIPTS[1]
        words = _rows([(text,) for text in RECEIPTS[0]], (50,)) + _under(_rows([(text,) for text in lower], (50,)))
        return OcrResult([page_from_words(words, 1000, 800, 1) for _ in pages], engine=self.name, language="eng")

    def close(self) -> None:
        return None


@pytest.mark.parametrize("slip", [False, True])
def test_receipts_one_above_another_are_records_of_their_own_but_a_card_slip_is_not(
    tmp_path: Path, slip: bool
) -> None:
    result = _flatbed(tmp_path, _stages_with(_Stacked(slip)))
    assert result.ok and result.extraction is not None
    found = _found(result)
    if slip:  # it repeats its receipt's total: one receipt, not flagged for two
        assert found == [] and not any("print a total" in r for r in result.extraction.review_reasons)
    else:
        assert found == [("12.50", "2024-02-01"), ("4.20", "2024-04-03")]


@pytest.mark.slow
def test_receipts_one_above_another_on_one_scan_are_records_of_their_own(tmp_path: Path) -> None:
    requires_tesseract()
    names = ["kedai-maju-jaya", "northway-fuel", "green-valley-grocer"]
    images = [Image.open(SAMPLES / f"{name}.png").convert("RGB") for name in names]
    page = Image.new("RGB", (max(im.width for im in images), sum(im.height + 100 for im in images)), "white")
    y = 0
    for im in images:
        page.paste(im, (0, y))
        y += im.height + 100
    (tmp_path / "in").mkdir()
    page.save(tmp_path / "in" / "flatbed.png")
    assert _records(tmp_path, "--profile", "fast") == _parts_of(names)


def test_receipts_one_above_another_kept_whole_are_flagged(tmp_path: Path) -> None:
    result = _flatbed(tmp_path, replace(_stages_with(_Stacked()), split="none"))
    assert result.ok and result.extraction is not None and not result.parts
    assert result.extraction.needs_review and any("print a total" in r for r in result.extraction.review_reasons)


class _Grid:
    """Two receipts side by side, the left one with another under it whose date went unread, or
    with ``unlabelled``, whose total's label did."""

    name = "grid"

    def __init__(self, unlabelled: bool = False) -> None:
        self.lower = ("SHOP THREE", "DATE 05/06/2024", "7.00") if unlabelled else ("SHOP THREE", "TOTAL 7.00")

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        below = _under(_rows([(text,) for text in self.lower], (50,)))
        words = _rows(list(zip(RECEIPTS[0], RECEIPTS[1], strict=True)), (50, 600)) + below
        return OcrResult([page_from_words(words, 1000, 800, 1) for _ in pages], engine=self.name, language="eng")

    def close(self) -> None:
        return None


@pytest.mark.parametrize("unlabelled", [False, True])
def test_a_receipt_cut_from_beside_another_is_flagged_when_one_may_lie_under_it(
    tmp_path: Path, unlabelled: bool
) -> None:
    result = _flatbed(tmp_path, _stages_with(_Grid(unlabelled)))
    assert result.ok and len(result.parts) == 2
    reasons = [p.extraction.review_reasons for p in result.parts if p.extraction]
    assert [any(r.startswith("one above another") for r in rs) for rs in reasons] == [True, False]
    doubt = next(r for r in reasons[0] if r.startswith("one above another"))
    assert ("read a total and a date" in doubt) == unlabelled


class _Shrunk:
    """Two receipts one above another, as a detector that scales the whole page down reads them:
    the lower one's date lost; each band read alone reads right. With ``beside``, a third receipt
    stands beside them in a column of its own (a grid of receipts)."""

    name = "shrunk"

    def __init__(self, beside: bool = False) -> None:
        self.sizes: list[tuple[int, int]] = []
        self.beside = beside

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        out = []
        for page in pages:
            height, width = page.image.shape[:2]
            if (width, height) == (1000, 800):
                lower = _under(_rows([("CAFE TWO",), ("TOTAL 4.20",)], (50,)))
                words = _rows([(text,) for text in RECEIPTS[0]], (50,)) + lower
                if self.beside:
                    words += _rows([("SHOP THREE",), ("DATE 05/06/2024",), ("TOTAL 7.00",)], (600,))
            else:  # the n-th band (of the left column) alone, in its own coordinates
                words = _rows([(text,) for text in RECEIPTS[len(self.sizes) - 1]], (50,))
            self.sizes.append((width, height))
            out.append(page_from_words(words, width, height, page.number))
        return OcrResult(out, engine=self.name, language="eng")

    def close(self) -> None:
        return None


def test_receipts_one_above_another_read_short_of_a_date_are_read_again_band_by_band(tmp_path: Path) -> None:
    reader = _Shrunk()
    result = _flatbed(tmp_path, replace(_stages_with(reader), stacked_apart=True))
    assert result.ok and len(reader.sizes) == 3 and sum(h for _, h in reader.sizes[1:]) == 800
    fields = [p.extraction.fields for p in result.parts if p.extraction]
    found = [(str(f["total"].value), str(f["date"].value)) for f in fields]
    assert found == [("12.50", "2024-02-01"), ("4.20", "2024-04-03")]
    # the lower band's words back in the page's coordinates: below the cut
    assert result.parts[1].ocr and min(w.top for w in result.parts[1].ocr.words) >= reader.sizes[1][1]


def test_a_column_of_two_receipts_beside_another_is_read_again_band_by_band(tmp_path: Path) -> None:
    reader = _Shrunk(beside=True)
    result = _flatbed(tmp_path, replace(_stages_with(reader), stacked_apart=True))
    assert result.ok
    # the left column (its text ends at 180, the right one's starts at 600) cut into its two bands
    (whole, upper, lower) = reader.sizes
    assert whole == (1000, 800) and upper[0] == lower[0] == (180 + 600) // 2 and upper[1] + lower[1] == 800
    fields = [p.extraction.fields for p in result.parts if p.extraction]
    found = [(str(f["total"].value), str(f["date"].value)) for f in fields]
    assert found == [("12.50", "2024-02-01"), ("4.20", "2024-04-03"), ("7.00", "2024-06-05")]
    # the lower band's words back in the page's coordinates: below the cut, in the left column
    assert result.parts[1].ocr and min(w.top for w in result.parts[1].ocr.words) >= upper[1]
    assert max(w.left + w.width for w in result.parts[1].ocr.words) <= upper[0]
    assert result.parts[2].ocr and min(w.left for w in result.parts[2].ocr.words) == 600
