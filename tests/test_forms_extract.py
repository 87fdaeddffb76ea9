"""Key/value extraction without a template, the form/receipt decision and the FUNSD scorer (fast, no OCR)."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from icr.errors import ConfigError
from icr.forms.checkbox import CheckboxOptions
from icr.forms.funsd import GoldForm, gold_labels, read_gold, score_forms
from icr.forms.keyvalue import (
    LinkOptions,
    _column_heading,
    label_segments,
    link_answers,
    name_lists,
    pairs_of,
    run_on_answers,
    unanswered_labels,
)
from icr.forms.reader import FormReader, text_span
from icr.forms.segments import SegmentOptions, segments_of
from icr.types import CorrectedPage, Extraction, FieldValue, FormPair, OcrPage, OcrResult, Word


def words(*items: tuple[str, int, int]) -> list[Word]:
    """Words of letter height 20 at (x, y); each word is 12 px a letter wide."""
    return [Word(text, x, y, 12 * len(text), 20, 0.95) for text, x, y in items]


def line(text: str, x: int, y: int) -> list[tuple[str, int, int]]:
    out, cursor = [], x
    for word in text.split():
        out.append((word, cursor, y))
        cursor += 12 * len(word) + 10
    return out


FORM_WORDS = words(
    *line("APPLICATION FOR LEAVE", 300, 40),
    *line("Name:", 50, 150), *line("Jane Q. Roe", 200, 150), *line("Date:", 600, 150), *line("12/03/2024", 700, 150),
    *line("Department", 50, 220), *line("4471", 260, 220),
    *line("Reason for leave:", 50, 290),
    *line("Family wedding abroad", 60, 330),
    *line("Supplier", 50, 420), *line("Cost", 400, 420),
    *line("Kapuler", 50, 460), *line("$33,675", 400, 460),
)  # fmt: skip


def test_segments_cut_rows_at_wide_gaps_and_colons() -> None:
    texts = [s.text for s in segments_of(FORM_WORDS, SegmentOptions())]
    assert "Name:" in texts and "Jane Q. Roe" in texts and "Reason for leave:" in texts
    assert "APPLICATION FOR LEAVE" in texts and "Family wedding abroad" in texts


def test_questions_link_to_answers_on_their_row_or_below() -> None:
    segments = segments_of(FORM_WORDS, SegmentOptions())
    options = LinkOptions()
    label_segments(segments, 1000, 1300, options)
    labels = {s.text: s.label for s in segments}
    assert labels["APPLICATION FOR LEAVE"] == "header"
    assert labels["Name:"] == labels["Department"] == "question"
    pairs = [(p.key, p.value) for p in pairs_of(link_answers(segments, options))]
    assert ("Name", "Jane Q. Roe") in pairs
    assert ("Date", "12/03/2024") in pairs
    assert ("Department", "4471") in pairs  # no colon: a label before a value on its row
    assert ("Reason for leave", "Family wedding abroad") in pairs  # the answer under its question
    assert ("Cost", "$33,675") in pairs  # a column heading over its value
    assert all(k != "APPLICATION FOR LEAVE" for k, _ in pairs)


def test_an_answer_runs_on_over_the_lines_under_it() -> None:
    form = words(
        *line("Suggestion:", 50, 100), *line("Discontinue coal retention", 220, 100),
        *line("analyses on licensee", 220, 122), *line("submitted samples.", 220, 144),
        *line("Date:", 50, 220), *line("9/3/92", 140, 220),
    )  # fmt: skip
    segments = segments_of(form, SegmentOptions())
    options = LinkOptions(answer_lines=4, line_gap=0.8, line_indent=1.5)
    label_segments(segments, 1000, 600, options)
    links = link_answers(segments, options)
    kept = run_on_answers(links, segments, options)
    pairs = [(p.key, p.value) for p in pairs_of(links)]
    assert ("Suggestion", "Discontinue coal retention analyses on licensee submitted samples.") in pairs
    assert ("Date", "9/3/92") in pairs
    assert len(kept) == len(segments) - 2  # the lines taken in are no segments of their own
    plain = segments_of(form, SegmentOptions())
    label_segments(plain, 1000, 600, LinkOptions())
    links = link_answers(plain, LinkOptions())
    assert run_on_answers(links, plain, LinkOptions()) == plain  # off unless asked for
    assert ("Suggestion", "Discontinue coal retention") in [(p.key, p.value) for p in pairs_of(links)]


TABLE_WORDS = words(
    *line("Organization Name:", 50, 40), *line("R. J. Reynolds Tobacco", 400, 40),
    *line("Lobbyist Name:", 50, 100), *line("Peter J. McGinn", 400, 100),
    *line("Approved By", 50, 200), *line("Date", 600, 200),
    *line("Note", 50, 250), *line("12 copies to file", 700, 250),
    *line("Brand", 50, 300), *line("Score", 300, 300), *line("Base", 500, 300), *line("Total", 700, 300),
    *line("Male", 50, 420), *line("2.0", 300, 420), *line("(51)", 500, 420), *line("31", 700, 420),
    *line("Female", 50, 460), *line("0.0", 300, 460), *line("(46)", 500, 460), *line("29", 700, 460),
)  # fmt: skip


def test_table_cells_answer_their_columns_and_a_lone_label_answers_nothing() -> None:
    segments = segments_of(TABLE_WORDS, SegmentOptions())
    options = LinkOptions(table_rows=False)
    label_segments(segments, 1000, 600, options)
    pairs = [(p.key, p.value) for p in pairs_of(link_answers(segments, options))]
    # a "Label: answer" row under another is no table: its answer is its own
    assert ("Lobbyist Name", "Peter J. McGinn") in pairs
    assert all(v != "Date" for _, v in pairs)  # a label word beside a label is another label
    assert all(k != "Note" for k, _ in pairs)  # 0.6 of the page's width apart: not asked and answered
    # each cell answers the heading of its column, even a few rows down
    assert {("Score", "2.0"), ("Base", "(51)"), ("Total", "31"), ("Score", "0.0"), ("Total", "29")} <= set(pairs)
    assert all(k not in {"Male", "Female"} for k, _ in pairs)
    rows = LinkOptions(table_rows=True)
    label_segments(segments, 1000, 600, rows)
    pairs = [(p.key, p.value) for p in pairs_of(link_answers(segments, rows))]
    # "Brand" heads the first column in the row of headings: its cells are values of a column, no headings
    assert ("Score", "2.0") in pairs and all(k not in {"Male", "Female"} for k, _ in pairs)
    cornerless = [w for w in TABLE_WORDS if w.text != "Brand"]
    segments = segments_of(cornerless, SegmentOptions())
    label_segments(segments, 1000, 600, rows)
    pairs = [(p.key, p.value) for p in pairs_of(link_answers(segments, rows))]
    assert ("Male", "2.0") in pairs and ("Score", "2.0") in pairs  # with table_rows, both headings
    assert ("Female", "29") in pairs  # its row's heading however far to the left


def test_a_row_heading_over_two_lines_answers_its_row() -> None:
    table = words(
        *line("Total", 300, 40), *line("Male", 500, 40), *line("Female", 700, 40),
        *line("(205)", 300, 62), *line("(99)", 500, 62), *line("(106)", 700, 62),
        *line("STRENGTH", 50, 120), *line("4.31", 300, 120), *line("4.59", 500, 120), *line("4.09", 700, 120),
        *line("(7=Stronger)", 70, 142),
        *line("SMOOTHNESS", 50, 190), *line("3.60", 300, 190), *line("3.42", 500, 190), *line("3.73", 700, 190),
        *line("(7=Smoother)", 70, 212),
    )  # fmt: skip
    options = LinkOptions(table_rows=True)
    plain = segments_of(table, SegmentOptions())
    assert "STRENGTH" in [s.text for s in plain]  # notes are lines of their own unless asked
    segments = segments_of(table, SegmentOptions(note_gap=1.0))
    assert {"STRENGTH (7=Stronger)", "Total (205)", "SMOOTHNESS (7=Smoother)"} <= {s.text for s in segments}
    label_segments(segments, 1000, 600, options)
    pairs = [(p.key, p.value) for p in pairs_of(link_answers(segments, options))]
    assert {("STRENGTH (7=Stronger)", "4.31"), ("STRENGTH (7=Stronger)", "4.09"), ("Total (205)", "4.31")} <= set(pairs)
    assert ("SMOOTHNESS (7=Smoother)", "3.73") in pairs and ("Female (106)", "3.73") in pairs


def test_a_long_column_finds_its_heading_over_its_cells() -> None:
    table = words(
        *line("Score", 300, 40), *line("Base", 500, 40), *line("Total", 700, 40),
        *line("Overall", 50, 100), *line("1.0", 300, 100), *line("(97)", 500, 100), *line("31", 700, 100),
        *line("Male", 50, 160), *line("2.0", 300, 160), *line("(51)", 500, 160), *line("33", 700, 160),
        *line("Under 35", 50, 220), *line("2.4", 300, 220), *line("(42)", 500, 220), *line("29", 700, 220),
        *line("21-34", 50, 280), *line("2.2", 300, 280), *line("(40)", 500, 280), *line("30", 700, 280),
        *line("35 & Over", 50, 340), *line("0.0", 300, 340), *line("(55)", 500, 340), *line("28", 700, 340),
    )  # fmt: skip
    segments = segments_of(table, SegmentOptions())
    cell = next(s for s in segments if s.text == "2.0")
    near = LinkOptions(table_rows=True, heading_reach=4)
    assert _column_heading(cell, segments, near) is None  # 5 letter heights under it: too far
    chain = LinkOptions(table_rows=True, heading_reach=4, heading_chain=True)
    assert getattr(_column_heading(cell, segments, chain), "text", None) == "Score"  # 2 under the cell over it
    label_segments(segments, 1000, 600, chain)
    pairs = [(p.key, p.value) for p in pairs_of(link_answers(segments, chain))]
    assert {("Score", "2.0"), ("Base", "(42)"), ("Total", "30")} <= set(pairs)  # each cell near the one above
    assert {("Male", "33"), ("Under 35", "2.4"), ("35 & Over", "28")} <= set(pairs)  # a heading may hold a number
    gap = [w for w in table if w.top < 200] + [replace(w, top=w.top + 300) for w in table if w.top >= 200]
    segments = segments_of(gap, SegmentOptions())
    label_segments(segments, 1000, 900, chain)
    pairs = [(p.key, p.value) for p in pairs_of(link_answers(segments, chain))]
    assert ("Score", "2.4") in pairs  # past a gap in the column: the question over the cell however far up
    assert all(k != "21-34" for k, _ in pairs)  # but be no number itself


def test_a_label_read_with_a_small_first_letter_is_still_a_label() -> None:
    form = words(*line("uPc NO", 50, 100), *line("MATERIAL NO", 400, 100), *line("272972", 50, 130))
    segments = segments_of(form, SegmentOptions())
    options = LinkOptions()
    label_segments(segments, 1000, 600, options)
    assert ("uPc NO", "272972") in [(p.key, p.value) for p in pairs_of(link_answers(segments, options))]


def test_a_label_keeps_its_colon_over_the_note_under_it() -> None:
    form = words(*line("Committed to Date:", 50, 100), *line("146,925", 400, 100), *line("(Current Year)", 60, 122))
    segments = segments_of(form, SegmentOptions(note_gap=1.0))
    assert [s.text for s in segments] == ["Committed to Date: (Current Year)", "146,925"]
    options = LinkOptions()
    label_segments(segments, 1000, 600, options)
    assert [(p.key, p.value) for p in pairs_of(link_answers(segments, options))] == [
        ("Committed to Date: (Current Year)", "146,925")
    ]


def test_a_line_carrying_on_the_one_above_joins_it() -> None:
    form = words(
        *line("Tested among a half sample", 50, 100), *line("of smokers, all of them", 50, 126),
        *line("MEMPHIS, PHILADELPHIA,", 50, 200), *line("PITTSBURGH", 50, 226),
        *line("Total", 50, 300), *line("Base", 50, 326),
        *line("Harvard Medical School and", 50, 400), *line("Dr. Gary Huber", 50, 426),
    )  # fmt: skip
    assert len(segments_of(form, SegmentOptions())) == 8
    texts = [s.text for s in segments_of(form, SegmentOptions(continue_gap=0.8, continue_words=("and",)))]
    assert texts == [
        "Tested among a half sample of smokers, all of them",
        "MEMPHIS, PHILADELPHIA, PITTSBURGH",
        "Total",
        "Base",
        "Harvard Medical School and Dr. Gary Huber",
    ]  # a small letter starts a line going on, as does a comma or a joining word ending the one above


def test_pair_boxes_are_in_pixels_of_the_page_as_loaded() -> None:
    enlarged = [Word(w.text, w.left * 2, w.top * 2, w.width * 2, w.height * 2, w.confidence) for w in FORM_WORDS]
    page = CorrectedPage(np.zeros((2600, 2000), np.uint8), info={"scale": 2.0})
    form = FormReader().read(OcrResult([OcrPage("", enlarged)]), [page])
    name = next(p for p in form.pairs if p.key == "Name")
    assert name.key_box == (50, 150, 110, 170) and name.value_box == (200, 150, 328, 170)
    assert ("question", "Name:") in form.segments


def _ocr(lines: list[str]) -> OcrResult:
    return OcrResult([OcrPage("\n".join(lines), [])])


def _money(*names: str, confidence: float = 0.9) -> Extraction:
    fields = {n: FieldValue(n, "1.00", Decimal("1.00"), "", confidence, "keyword") for n in names}
    return Extraction(fields=fields, template="generic_receipt")


def test_a_page_of_labels_is_a_form_and_a_till_slip_a_receipt() -> None:
    reader = FormReader()
    form_lines = ["R&D QUALITY IMPROVEMENT FORM", "Name/Phone Ext.: M. Hamann", "Date: 9/3/92",
                  "Supervisor/Manager: J. S. Wigand", "Suggestion: discontinue coal retention analyses"]  # fmt: skip
    assert reader.kind(_money("total", confidence=0.3), _ocr(form_lines)) == "form"
    receipt_lines = ["KEDAI MAJU", "BREAD 2.50", "MILK 3.10", "TOTAL 5.60", "CASH 10.00", "CHANGE 4.40"]
    assert reader.kind(_money("total", "paid", "change"), _ocr(receipt_lines)) == "receipt"
    # A receipt read badly (a photo: no sure total, few amounts) is still a receipt: its lines are short.
    blurred = ["KEDAI MAJU JAYA", "N0 12 JALAN", "BREAD 2.5O", "MILK", "T0TAL 5.6O", "THANK Y0U"]
    assert reader.kind(_money("total", confidence=0.3), _ocr(blurred)) == "receipt"
    # A form printing amounts on many of its lines is still a form when no sure total is read ...
    budget = [
        "PROJECT BUDGET AUTHORIZATION REQUEST",
        "Total Area Budget: 370,000.00",
        "Current Balance Available: 199,900.00",
        "New Balance after change: 164,225.00",
        "Approved by: L. Gravely",
    ]
    assert reader.kind(_money("total", confidence=0.3), _ocr(budget)) == "form"
    # ... and a template that names its kind decides.
    invoice = Extraction(fields={}, template="invoice", doc_type="invoice")
    assert reader.kind(invoice, _ocr(form_lines)) == "invoice"
    assert reader.kind(_money(), _ocr(receipt_lines), template_kind="form") == "form"


def _page(rows: list[list[tuple[str, int, int]]]) -> OcrResult:
    ws = [replace(w, line=i) for i, row in enumerate(rows) for w in words(*row)]
    return OcrResult([OcrPage("\n".join(" ".join(t for t, _, _ in row) for row in rows), ws)])


def test_text_across_a_page_is_a_form_and_down_a_till_roll_a_receipt() -> None:
    reader = FormReader()
    # Label: answer lines, a total and a change found on them: how wide the text runs decides.
    texts = ["Claimant: Peter Okafor", "Date: 03/12/2024", "Total: 45.20", "Change: 0.00", "Signed: P. Okafor"]
    page = _page([line(t, 50, 40 * i) + line("Office use only", 900, 40 * i) for i, t in enumerate(texts)])
    slip = _page([line(t, 20, 40 * i) for i, t in enumerate(texts)])
    assert reader.kind(_money("total", "change"), page) == "form"  # 85 characters across
    assert reader.kind(_money("total", "change"), slip) == "receipt"  # 22: a till roll's width


def test_a_budget_form_across_a_page_is_a_form_whatever_sums_it_prints() -> None:
    # The receipt arithmetic finds a total, a tax and a change in a budget form's whole-dollar sums;
    # across a page that prints no amount in cents they make no receipt. A wide receipt prints cents.
    reader = FormReader()
    texts = ["Total Area Authorized: 500,000", "Tax Reserve: 12,000", "This Change: 29,500", "New Balance: 353,075"]
    budget = _page([line(t, 50, 40 * i) + line("Wave(s) 3/20/95", 900, 40 * i) for i, t in enumerate(texts)])
    assert reader.kind(_money("total", "tax", "change"), budget) == "form"
    cents = [t + ".00" for t in texts]
    wide = _page([line(t, 50, 40 * i) + line("Wave(s) 3/20/95", 900, 40 * i) for i, t in enumerate(cents)])
    assert reader.kind(_money("total", "tax", "change"), wide) == "receipt"
    narrow = _page([line(t, 20, 40 * i) for i, t in enumerate(texts)])
    assert reader.kind(_money("total", "tax", "change"), narrow) == "receipt"


def test_short_labels_across_more_than_a_till_roll_with_no_amount_are_a_form() -> None:
    # an order form's blanks ("City ____", "Zip ____") read as short lines, no amount anywhere
    reader = FormReader()
    labels = ["Direct Account", "Please Ship To", "Address", "City", "State", "Zip", "Delivery Date", "BRAND"]
    zip_beside = {"State": [("Zip", 560, 160)]}
    blanks = _page([line(t, 20, 40 * i) + zip_beside.get(t, []) for i, t in enumerate(labels)])
    assert reader.kind(_money(), blanks) == "form"
    # a receipt photo read so badly that no amount came out stays one within a till roll's width
    narrow = _page([line(t, 20, 40 * i) for i, t in enumerate(labels)])
    assert reader.kind(_money(), narrow) == "receipt"


def test_funsd_scoring_counts_linked_pairs_and_labels(tmp_path: Path) -> None:
    gold = {
        "form": [
            {"id": 0, "text": "Date:", "label": "question", "box": [0, 0, 1, 1], "words": [], "linking": [[0, 1]]},
            {"id": 1, "text": "9/3/92", "label": "answer", "box": [0, 0, 1, 1], "words": [], "linking": [[0, 1]]},
            {"id": 2, "text": "Name", "label": "question", "box": [0, 0, 1, 1], "words": [], "linking": [[2, 3]]},
            {"id": 3, "text": "M. Hamann", "label": "answer", "box": [0, 0, 1, 1], "words": [], "linking": [[2, 3]]},
            {"id": 4, "text": "FORM", "label": "header", "box": [0, 0, 1, 1], "words": [], "linking": []},
        ]
    }
    (tmp_path / "a.json").write_text(json.dumps(gold))
    assert read_gold(tmp_path / "a.json").pairs == [("DATE:", "9/3/92"), ("NAME", "M. HAMANN")]
    report = score_forms(
        tmp_path,
        {"a": [("Date", "9/3/92"), ("Name", "M.  hamann"), ("Name", "M. Hamann"), ("Form", "x")]},
        {"a": [("question", "Date:"), ("answer", "9/3/92"), ("answer", "Name"), ("header", "FORM")]},
    )
    d = report.as_dict()
    assert (d["pairs"]["correct"], d["pairs"]["predicted"], d["pairs"]["gold"]) == (2, 4, 2)
    assert d["pairs"]["precision"] == 0.5 and d["pairs"]["recall"] == 1.0
    assert (d["labelling"]["correct"], d["labelling"]["predicted"], d["labelling"]["gold"]) == (3, 4, 5)


def test_tick_boxes_ticked_empty_or_unsure_by_their_ink() -> None:
    import cv2

    from icr.forms.checkbox import find_boxes, ink_mask, inside_ink, state

    page = np.full((200, 600), 255, np.uint8)
    for x in (50, 250, 450):
        cv2.rectangle(page, (x, 80), (x + 34, 114), 0, 3)
    cv2.line(page, (56, 98), (64, 108), 0, 5)
    cv2.line(page, (64, 108), (79, 85), 0, 5)  # a tick
    cv2.circle(page, (467, 97), 4, 0, -1)  # a speck: a person should look
    cv2.putText(page, "O", (150, 112), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)  # a letter is no box
    boxes = find_boxes(page, letter_height=30)
    assert [b[0] for b in boxes] == [48, 248, 448]  # the outline drawn 3 px wide around x
    mask = ink_mask(page)
    assert [state(inside_ink(mask, b), CheckboxOptions()) for b in boxes] == [True, False, None]


def test_rule_confidence_weighs_pairs_and_the_threshold_drops_weak_ones() -> None:
    words = [
        Word(t, x, y, 12 * len(t), 20, 0.9)
        for t, x, y in [
            ("Name:", 40, 100),
            ("Ann", 200, 100),
            ("Colour", 40, 200),
            ("light", 200, 200),
            ("blue", 270, 200),
        ]
    ]
    weights = {"colon_row": 0.8, "two_on_row": 0.2}
    segments = segments_of(words, SegmentOptions())
    options = LinkOptions(rule_confidence=weights)
    label_segments(segments, 800, 600, options)
    pairs = {p.key: p.confidence for p in pairs_of(link_answers(segments, options), 1, options)}
    assert pairs == {"Name": pytest.approx(0.72), "Colour": pytest.approx(0.18)}
    strict = LinkOptions(rule_confidence=weights, min_pair_confidence=0.3)
    assert [p.key for p in pairs_of(link_answers(segments, strict), 1, strict)] == ["Name"]
    with pytest.raises(ConfigError, match=r"rule_confidence\.guess"):
        FormReader.from_section({"links": {"rule_confidence": {"guess": 0.5}}})


def test_gold_labels_by_text_else_by_the_box_they_overlap() -> None:
    gold = GoldForm([("question", "DATE:"), ("answer", "12 MARCH 1994")], [], [(10, 10, 60, 30), (80, 10, 300, 30)])
    labels = gold_labels(
        ["Date:", "12 Mrch", "scribble"], [(20, 20, 120, 60), (160, 20, 300, 60), (0, 200, 50, 220)], gold, 2.0
    )
    assert labels == ["question", "answer", "other"]


def test_a_name_goes_on_after_its_initials_and_an_answer_in_another_case_weighs_more() -> None:
    # "R.P." then a typed space of 30 px (1.5 letter heights): one name only when initials may run on
    form = [Word(t, x, 100, w, 20, 0.9) for t, x, w in [("cc:", 40, 36), ("R.P.", 140, 48), ("Bonomo", 218, 72)]]
    assert [s.text for s in segments_of(form, SegmentOptions())] == ["cc:", "R.P.", "Bonomo"]
    assert [s.text for s in segments_of(form, SegmentOptions(initial_gap=2.0))] == ["cc:", "R.P. Bonomo"]
    weights = {"two_on_row": 0.2, "case_row": 0.7}
    rows = words(
        *line("Size", 40, 100), *line("FULL PAGE", 300, 100),  # typed in capitals after a printed label
        *line("Colour", 40, 200), *line("light blue", 300, 200),  # the same case: a weak pair
        *line("Packaging", 40, 300), *line("Permanent", 300, 300),  # one more capitalised word: a label
        *line("POSTER", 40, 400), *line("(if approved)", 300, 400),  # a note in brackets
        *line("Written by", 40, 500), *line("W. E. Routh", 300, 500),  # a name with initials
        *line("BRAND", 40, 600), *line("KOOL Natural", 300, 600),  # two words in another case
    )  # fmt: skip
    segments = segments_of(rows, SegmentOptions())
    options = LinkOptions(rule_confidence=weights, case_contrast=True)
    label_segments(segments, 800, 700, options)
    rules = {s.text: s.rule.value for s in segments if s.label == "answer"}
    assert rules == {
        "FULL PAGE": "case_row",
        "light blue": "two_on_row",
        "(if approved)": "two_on_row",
        "W. E. Routh": "case_row",
        "KOOL Natural": "case_row",
    }
    pairs = {p.key: p.confidence for p in pairs_of(link_answers(segments, options), 1, options)}
    assert pairs["Size"] == pytest.approx(0.95 * 0.7) and pairs["Colour"] == pytest.approx(0.95 * 0.2)


def read_pairs(form: list[Word], options: LinkOptions) -> list[FormPair]:
    """The rules' pairs of a 1000 x 600 page, in the order the forms step applies them."""
    segments = segments_of(form, SegmentOptions())
    label_segments(segments, 1000, 600, options)
    links = name_lists(link_answers(segments, options), segments, options)
    run_on_answers(links, segments, options)
    return pairs_of(links, 1, options)


def test_a_table_cell_finds_its_heading_past_a_unit_under_it() -> None:
    table = words(
        *line("Brand", 50, 100), *line("Score", 300, 100), *line("Base", 500, 100), *line("Share", 700, 100),
        *line("%", 310, 130), *line("%", 710, 130),  # units printed under two of the headings
        *line("Male", 50, 170), *line("2.0", 300, 170), *line("(51)", 500, 170), *line("31", 700, 170),
    )  # fmt: skip
    found = {
        skip: {(p.key, p.value) for p in read_pairs(table, LinkOptions(skip_marks=skip))} for skip in (False, True)
    }
    assert ("Base", "(51)") in found[False] and ("Score", "2.0") not in found[False]
    assert {("Score", "2.0"), ("Base", "(51)"), ("Share", "31")} <= found[True]


def test_a_block_of_names_after_cc_answers_it_name_by_name() -> None:
    memo = words(
        *line("cc:", 40, 100), *line("A. H. Tisch", 120, 100), *line("V. D. Lindsley", 520, 100),
        *line("R. H. Orcutt", 120, 125), *line("R. C. Bondy", 520, 125),
        *line("M. L. Peterson", 120, 150),
        *line("Return to:", 40, 300), *line("Marden-Kane, Inc.", 200, 300),
        *line("666 Fifth Avenue", 200, 325),
    )  # fmt: skip
    pairs = {}
    for lists in (False, True):
        options = LinkOptions(answer_lines=4, name_lists=lists, rule_confidence={"name_list": 0.8})
        pairs[lists] = [(p.key, p.value, p.confidence) for p in read_pairs(memo, options)]
    assert {v for k, v, _ in pairs[False] if k == "cc"} == {"A. H. Tisch"}  # off: the others are labels
    names = {v: c for k, v, c in pairs[True] if k == "cc"}  # not the address lines further down
    assert set(names) == {"A. H. Tisch", "R. H. Orcutt", "M. L. Peterson", "V. D. Lindsley", "R. C. Bondy"}
    assert all(c == pytest.approx(0.95 * 0.8) for c in names.values())


def test_an_answer_takes_no_question_far_to_its_left_on_its_row() -> None:
    page = words(*line("From:", 40, 100), *line("Sent", 900, 60), *line("FEB 17", 900, 100))
    segments = segments_of(page, SegmentOptions())
    by_text = {s.text: s for s in segments}
    by_text["From:"].label = by_text["Sent"].label = "question"
    by_text["FEB 17"].label = "answer"
    for reach, asker in ((0.0, "From:"), (20.0, "Sent")):
        links = link_answers(segments, LinkOptions(left_reach=reach))
        assert [(q.text, a.text) for q, a in links] == [(asker, "FEB 17")]


def test_an_answer_takes_no_question_far_above_it_but_a_table_cell_does() -> None:
    page = words(*line("Source", 40, 100), *line("Lorillard", 40, 130), *line("9/3/80", 40, 400))
    page += words(*line("4.67", 40, 440))
    segments = segments_of(page, SegmentOptions())
    by_text = {s.text: s for s in segments}
    by_text["Source"].label = "question"
    for text in ("Lorillard", "9/3/80", "4.67"):
        by_text[text].label = "answer"
    by_text["4.67"].extra["table"] = 1.0
    for reach, answered in ((0.0, {"Lorillard", "9/3/80", "4.67"}), (3.0, {"Lorillard", "4.67"})):
        links = link_answers(segments, LinkOptions(above_reach=reach))
        assert {a.text for q, a in links if q.text == "Source"} == answered


def test_specks_read_unsurely_at_the_edges_do_not_widen_a_receipt_to_a_page() -> None:
    reader = FormReader()
    # A till slip photographed with a black border: Tesseract reads specks at both edges as words.
    texts = ["Card Type: VISA", "Acct #: XXXXXXXXXXXX3862", "Card Entry: SWIPED", "Trans Type: PURCHASE",
             "Auth Code: 071410", "Server: 1041 Melanie", "Total 17.80"]  # fmt: skip
    rows = [line(t, 300, 40 * i) for i, t in enumerate(texts)]
    slip = [replace(w, line=i) for i, row in enumerate(rows) for w in words(*row)]
    specks = [Word("Boe", 1000, 0, 36, 20, 0.35, line=0), Word("Ch:", 20, 240, 36, 20, 0.0, line=6)]
    photo = OcrResult([OcrPage("\n".join(texts), slip + specks)])
    assert text_span(photo) > 80  # every word: across a page
    assert text_span(photo, 0.5) < 30  # the words read surely: a till roll's width
    assert reader.kind(_money("total", confidence=0.3), photo) == "receipt"
    # A form read as surely at its edges stays as wide.
    sure = OcrResult([OcrPage("", slip + [replace(w, confidence=0.9) for w in specks])])
    assert text_span(sure, 0.5) > 80
    assert reader.kind(_money("total", confidence=0.3), sure) == "form"



def _linked(form: list[Word], options: LinkOptions) -> list[tuple[str, str]]:
    """The (key, value) pairs the rules of ``options`` link on ``form``, a 1000 x 600 page."""
    segments = segments_of(form, SegmentOptions())
    label_segments(segments, 1000, 600, options)
    return [(p.key, p.value) for p in pairs_of(link_answers(segments, options))]

def test_a_sure_answer_asks_nothing_itself() -> None:
    form = words(
        *line("FROM:", 50, 100), *line("R. W. Richardson", 200, 100), *line("JUNE 29", 500, 100),
        *line("Brand", 50, 200), *line("SALEM LIGHTS", 250, 200),
        *line("12 packs", 260, 230),
    )  # fmt: skip

    pairs = functools.partial(_linked, form)

    plain = pairs(LinkOptions(case_contrast=True))
    assert ("R. W. Richardson", "JUNE 29") in plain  # the answer to "FROM:" taken to ask the date
    assert ("SALEM LIGHTS", "12 packs") in plain and ("Brand", "SALEM LIGHTS") not in plain
    sure = pairs(LinkOptions(case_contrast=True, sure_answers=("colon_row", "case_row")))
    assert ("FROM", "R. W. Richardson") in sure and all(k != "R. W. Richardson" for k, _ in sure)
    assert ("Brand", "SALEM LIGHTS") in sure  # a case contrast's answer heads no column under it
    with pytest.raises(ConfigError, match=r"sure_answers\.guess"):
        FormReader.from_section({"links": {"sure_answers": ["colon_row", "guess"]}})


def test_a_row_of_two_in_the_forms_columns_is_a_label_and_its_answer() -> None:
    form = words(
        *line("PROJECT CODE", 50, 100), *line("BD-FF", 300, 100),
        *line("DATE", 50, 160), *line("1/4/90", 300, 160),
        *line("WORK REQUESTED BY", 50, 220), *line("KING SIZE MENTHOL", 300, 220),
        *line("PACKAGING", 50, 320), *line("TEMPORARY, TRIAL", 450, 320),
    )  # fmt: skip
    weights = {"two_on_row": 0.25, "aligned_row": 0.65, "label_value": 0.55}

    def pairs(options: LinkOptions) -> list[tuple[str, str]]:
        segments = segments_of(form, SegmentOptions())
        label_segments(segments, 1000, 600, options)
        return [(p.key, p.value) for p in pairs_of(link_answers(segments, options), 1, options)]

    plain = pairs(LinkOptions(rule_confidence=weights, min_pair_confidence=0.3))
    assert plain == [("DATE", "1/4/90")]  # rows of two alone are too weak to keep
    aligned = LinkOptions(rule_confidence=weights, min_pair_confidence=0.3, align=1.0, align_rules=("label_value",))
    found = pairs(aligned)
    # both start where "DATE" and its value start: the form's columns of labels and answers
    assert ("PROJECT CODE", "BD-FF") in found and ("WORK REQUESTED BY", "KING SIZE MENTHOL") in found
    assert all(k != "PACKAGING" for k, _ in found)  # its answer starts elsewhere
    with pytest.raises(ConfigError, match=r"align_rules\.guess"):
        FormReader.from_section({"links": {"align_rules": ["guess"]}})


def test_a_label_and_the_answer_after_a_wider_gap_are_two_segments() -> None:
    def at(*items: tuple[str, int]) -> list[Word]:
        return [Word(text, x, 100, 12 * len(text), 20, 0.95) for text, x in items]

    row = at(("Date", 50), ("Ordered", 108), ("Unknown", 236))  # gaps of 10 px, then 44 px
    after_colon = at(("Subject:", 50), ("MAVERICK", 160), ("SPECIALS", 266), ("REPORT", 400))
    digits = at(("20", 50), ("mm", 94), ("filter", 128))  # a value's words before the gap: no label
    plain = SegmentOptions(gap=2.5)
    assert [s.text for s in segments_of(row, plain)] == ["Date Ordered Unknown"]
    cut = SegmentOptions(gap=2.5, gap_contrast=1.7, gap_floor=0.6)
    assert [s.text for s in segments_of(row, cut)] == ["Date Ordered", "Unknown"]
    assert [s.text for s in segments_of(after_colon, cut)] == ["Subject:", "MAVERICK SPECIALS REPORT"]
    assert [s.text for s in segments_of(digits, cut)] == ["20 mm filter"]


def test_a_counts_heading_or_a_question_asked_is_no_answer() -> None:
    form = words(
        *line("Invitations:", 50, 100), *line("# Requested", 50, 130),
        *line("Contacted your", 50, 250), *line("Manager?", 400, 250),
        *line("Stores:", 50, 350), *line("# 12", 200, 350),
    )  # fmt: skip

    pairs = functools.partial(_linked, form)

    plain = pairs(LinkOptions())
    assert ("Invitations", "# Requested") in plain and ("Contacted your", "Manager?") in plain
    marked = pairs(LinkOptions(heading_marks=("#", "%"), asking_marks=("?",)))
    assert all(v not in {"# Requested", "Manager?"} for _, v in marked)  # labels, not answers
    assert ("Stores", "# 12") in marked  # a sign before digits is a value's


def test_a_counts_label_after_its_sign_asks_for_the_count_on_its_row() -> None:
    form = words(
        *line("# Customers Invited", 50, 100), *line("40", 500, 100),
        *line("% of stores", 50, 200), *line("12", 500, 200),
    )  # fmt: skip

    pairs = functools.partial(_linked, form)

    assert pairs(LinkOptions()) == []  # a sign first: no label
    marked = pairs(LinkOptions(heading_marks=("#", "%")))
    assert ("# Customers Invited", "40") in marked  # the label after the sign asks
    assert all(k != "% of stores" for k, _ in marked)  # words in small letters after it: still no label


def test_touching_rows_are_no_paragraph_unless_rows_are_joined() -> None:
    # a heading over two sub-headings, the lower row's letters starting where the upper's end
    form = words(*line("Proved Recall", 300, 100), *line("Score", 300, 120), *line("Base", 400, 120))
    assert [s.text for s in segments_of(form, SegmentOptions())] == ["Proved Recall", "Score", "Base"]
    joined = segments_of(form, SegmentOptions(join_gap=0.5))
    assert [s.text for s in joined] == ["Proved Recall Score", "Base"]


def test_a_tables_first_cell_under_its_heading_stays_a_tables_cell() -> None:
    form = words(
        *line("Supplier", 50, 100), *line("Cost", 400, 100), *line("Travel", 550, 100), *line("Total", 700, 100),
        *line("Acme Inc.", 50, 150), *line("27,000", 400, 150), *line("2,500", 550, 150), *line("29,500", 700, 150),
        *line("Bolt Ltd.", 50, 200), *line("29,216", 400, 200), *line("2,500", 550, 200), *line("31,716", 700, 200),
    )  # fmt: skip
    options = LinkOptions(rule_confidence={"table": 0.4, "under_question": 0.35}, min_pair_confidence=0.37)
    segments = segments_of(form, SegmentOptions())
    label_segments(segments, 1000, 600, options)
    found = [(p.key, p.value) for p in pairs_of(link_answers(segments, options), 1, options)]
    # the first row's cells weigh as a table's, not as answers written under a question
    assert ("Cost", "27,000") in found and ("Total", "29,500") in found and ("Cost", "29,216") in found


def test_an_answer_wrapped_back_to_the_margin_answers_the_label_too() -> None:
    form = words(
        *line("Manager Comments:", 50, 100), *line("Manager, please contact suggester and forward", 300, 100),
        *line("comments to the Quality Council.", 50, 130),
        *line("Original:", 50, 300), *line("Project File", 200, 300),
        *line("cc", 50, 330), *line("H. Williams", 200, 330),
    )  # fmt: skip

    pairs = functools.partial(_linked, form)

    assert all(v != "comments to the Quality Council." for _, v in pairs(LinkOptions()))
    wrapped = pairs(LinkOptions(wrapped_lines=True))
    assert ("Manager Comments", "comments to the Quality Council.") in wrapped
    assert ("Manager Comments", "Manager, please contact suggester and forward") in wrapped
    assert all(v != "cc" for _, v in wrapped)  # a label in small letters with its own answer on its row


def test_a_row_of_three_labels_and_values_is_no_tables_row_as_shipped() -> None:
    from icr.config import load_settings

    options = FormReader.from_section(load_settings().section("forms")).link_options
    form = words(
        *line("DESIGN NO", 50, 100), *line("15", 200, 100), *line("UPC NO", 350, 100), *line("272972", 500, 100),
        *line("MATERIAL NO", 650, 100), *line("50-034A", 850, 100),
        *line("Score", 200, 200), *line("Base", 350, 200), *line("Index", 500, 200), *line("Share", 650, 200),
        *line("Male", 50, 250), *line("2.0", 200, 250), *line("(83)", 350, 250), *line("31", 500, 250),
        *line("12%", 650, 250),
    )  # fmt: skip
    found = _linked(form, options)
    assert ("UPC NO", "272972") in found and ("MATERIAL NO", "50-034A") in found  # each label its value
    assert all(k != "DESIGN NO" or v == "15" for k, v in found)  # not a table's row under its first label
    assert ("Male", "(83)") in found and ("Base", "(83)") in found  # four values: a table's row


def test_a_colon_ending_a_sentence_asks_nothing() -> None:
    form = words(
        *line("in Mice:", 50, 100), *line("Chromosome Aberrations", 250, 100),
        *line("cc:", 50, 200), *line("Jane Q. Roe", 150, 200),
        *line("Date:", 50, 300), *line("3/3/95", 200, 300),
    )  # fmt: skip

    pairs = functools.partial(_linked, form)

    assert ("in Mice", "Chromosome Aberrations") in pairs(LinkOptions())
    found = pairs(LinkOptions(sentence_colon=3))
    assert all(k != "in Mice" for k, _ in found)  # the end of a sentence run on from the line above
    assert ("cc", "Jane Q. Roe") in found and ("Date", "3/3/95") in found  # a short word in small letters asks


def test_a_scrawl_over_two_lines_does_not_make_them_one_row_nor_answers() -> None:
    form = [
        *words(
            *line("Amount", 50, 100), *line("12.50", 300, 100), *line("Code", 500, 100),
            *line("Tax", 50, 140), *line("1.10", 300, 140), *line("Ref", 500, 140),
            *line("Initials:", 700, 40),
        ),
        Word("8", 700, 85, 40, 80, 0.9),  # a stamp or a scrawl four letters tall
    ]  # fmt: skip

    pairs = functools.partial(_linked, form)

    assert pairs(LinkOptions()) == [("Initials", "8")]  # one row through the scrawl: its values a table's
    assert pairs(LinkOptions(tall_row=3.0)) == [("Amount", "12.50"), ("Tax", "1.10")]  # and it answers nothing


def test_a_tick_answers_the_choice_it_follows_not_the_colon() -> None:
    form = words(
        *line("Region:", 50, 100), *line("FULL", 300, 100), *line("X", 400, 100), *line("PARTIAL", 600, 100),
        *line("Budgeted:", 50, 200), *line("Yes", 300, 200), *line("No", 450, 200), *line("[x]", 520, 200),
        *line("Brand:", 50, 300), *line("SALEM", 300, 300),
    )  # fmt: skip

    pairs = functools.partial(_linked, form)

    sure = LinkOptions(sure_answers=("colon_row",))
    assert ("Region", "FULL") in pairs(sure)  # the first choice taken for the colon's answer
    ticks = pairs(replace(sure, tick_marks=("X", "x"), choice_words=2))
    assert ("FULL", "X") in ticks and ("No", "[x]") in ticks  # the mark answers the choice before it
    assert all(k not in {"Region", "Budgeted"} for k, _ in ticks)  # the colon asks none of the choices
    assert ("Brand", "SALEM") in ticks  # one answer, no mark: as before


def test_a_month_before_its_day_is_a_date_not_a_label() -> None:
    form = words(
        *line("AUGUST", 50, 100), *line("15-18, 1996", 250, 100),
        *line("OCT 3", 50, 200), *line("DEC 26", 250, 200), *line("OCT 31", 50, 230),
        *line("Date", 50, 300), *line("3/3/95", 250, 300),
    )  # fmt: skip

    pairs = functools.partial(_linked, form)

    assert ("AUGUST", "15-18, 1996") in pairs(LinkOptions())
    months = pairs(LinkOptions(month_languages=("en",)))
    assert months == [("Date", "3/3/95")]  # two dates and a label with its date


def test_a_label_left_unanswered_is_still_a_question() -> None:
    form = words(
        *line("Date:", 50, 100), *line("3/3/95", 200, 100),
        *line("Approved by", 50, 200),
        *line("Signature of Retail Purchaser", 50, 260),
        *line("please complete the following.", 50, 350),
        *line("1982", 50, 450),
    )  # fmt: skip

    def labels(options: LinkOptions) -> tuple[dict[str, str], list[tuple[str, str]]]:
        segments = segments_of(form, SegmentOptions())
        label_segments(segments, 1000, 600, options)
        links = link_answers(segments, options)
        unanswered_labels(segments, options)
        return {s.text: s.label for s in segments}, [(p.key, p.value) for p in pairs_of(links)]

    before, pairs = labels(LinkOptions())
    assert before["Approved by"] == "other" and before["Signature of Retail Purchaser"] == "other"
    after, same = labels(LinkOptions(unanswered_labels=True))
    assert after["Approved by"] == "question" and after["Signature of Retail Purchaser"] == "question"
    assert after["please complete the following."] == "other" and after["1982"] == "other"  # prose, a number
    assert after["Date:"] == "question" and after["3/3/95"] == "answer"
    assert same == pairs == [("Date", "3/3/95")]  # the pairs are the same


def test_an_answer_runs_on_over_no_line_after_a_label_of_its_own() -> None:
    form = words(
        *line("Original:", 50, 100), *line("Project File", 200, 100),
        *line("cc", 50, 130), *line("H. Williams", 200, 130),
        *line("Address:", 50, 300), *line("12 Main Street", 200, 300),
        *line("Springfield", 200, 330),
    )  # fmt: skip

    def pairs(options: LinkOptions) -> list[tuple[str, str]]:
        return [(p.key, p.value) for p in read_pairs(form, options)]

    assert ("Original", "Project File H. Williams") in pairs(LinkOptions(answer_lines=4))
    alone = pairs(LinkOptions(answer_lines=4, run_on_alone=True))
    assert ("Original", "Project File") in alone  # "H. Williams" follows "cc" on its row
    assert ("Address", "12 Main Street Springfield") in alone  # a line alone on its row still carries on


def test_an_answer_typed_a_little_above_its_labels_line_answers_it() -> None:
    form = words(
        *line("Manager", 250, 140),
        *line("Brand & Style", 50, 200), *line("CARLTON 100's FMSP", 250, 185),
        *line("Region", 50, 400), *line("EAST DIVISION", 250, 385),
    )  # fmt: skip

    pairs = functools.partial(_linked, form)

    assert pairs(LinkOptions()) == [("Manager", "CARLTON 100's FMSP")]  # no row with its label: a column's cell
    assert pairs(LinkOptions(raised_answers=True)) == [("Brand & Style", "CARLTON 100's FMSP")]  # no label answers
