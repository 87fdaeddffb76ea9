"""Telephone numbers checked against the numbering plans of the document's countries (phonenumbers):
golden pairs of a receipt's lines and the number, and the numbers that are no telephone's."""

from __future__ import annotations

import pytest

from icr.text.fields import extract_phone
from icr.text.lines import Line
from icr.text.locales import detect_locales, lexicon_for
from icr.text.parsers import ParseOptions
from icr.text.phones import find_phone
from icr.text.scoring import load_scoring

GOLDEN = [
    # (a receipt's lines, the number in E.164 form)
    (["KEDAI MAJU SDN BHD", "NO 3, JALAN SATU, 43000 KAJANG, SELANGOR", "TEL: 03-6156 9266", "TOTAL RM 5.00"],
     "+60361569266"),
    (["KEDAI MAJU SDN BHD", "NO 3, JALAN SATU, 43000 KAJANG, SELANGOR", "TEL : + 6 03 2026 6386", "TOTAL RM 5.00"],
     "+60320266386"),
    (["BAGEL BOSS", "3 Jericho Tpke, Jericho, NY 11753", "Tel : 516.354.2858 Fax : 516.776.0587", "TOTAL 9.00"],
     "+15163542858"),
    (["Bäckerei Huber GmbH", "Musterweg 4, 10115 Berlin", "Tel. 030 1234567", "SUMME EUR 4,20"], "+49301234567"),
    (["ACME OFFICE SUPPLIES LTD", "8 RIVERSIDE WAY, BRISTOL BS1 6AB", "TEL", "0117 496 0321", "TOTAL £12.00"],
     "+441174960321"),
]


def _lines(texts: list[str]) -> tuple[list[Line], ParseOptions]:
    lex = lexicon_for(detect_locales(texts).tags)
    return [Line(i, t, 0.98) for i, t in enumerate(texts)], ParseOptions(lexicon=lex)


@pytest.mark.parametrize(("texts", "number"), GOLDEN, ids=[g[1] for g in GOLDEN])
def test_a_labelled_number_valid_in_the_country_is_stored_in_e164(texts: list[str], number: str) -> None:
    lines, opts = _lines(texts)
    found = extract_phone(lines, opts)
    assert found is not None and found.value == number
    assert found.confidence == pytest.approx(load_scoring().phone.valid * 0.98, abs=1e-3)


def test_a_number_after_a_stray_label_is_no_telephone_number() -> None:
    # the T of a registration number's "-T)" labels the GST number after it
    lines, opts = _lines(["KEDAI MAJU SDN BHD (Co No. 315481-T) GST No. 001287233536", "43000 KAJANG, SELANGOR",
                          "TOTAL RM 5.00"])  # fmt: skip
    assert opts.lex.countries == ("MY",)
    assert extract_phone(lines, opts) is None


def test_a_number_of_a_length_the_country_dials_is_kept_as_printed_but_unsure() -> None:
    # a Kuala Lumpur number a digit short, as a receipt printed it
    lines, opts = _lines(["RESTORAN MAJU", "JALAN PUDU, 55100 KUALA LUMPUR", "TELEPHONE: 03-9221345", "TOTAL RM 5.00"])
    found = extract_phone(lines, opts)
    assert found is not None and found.value == "03-9221345"
    assert found.confidence == pytest.approx(load_scoring().phone.possible * 0.98, abs=1e-3)


def test_an_unlabelled_number_valid_in_the_country_is_read_from_the_top_lines() -> None:
    lines, opts = _lines(["SURATI FARSAN MART", "11814 186TH STREET", "ARTESIA, CA 90701", "562-860-2310",
                          "Aug0819 07:33PM", "TOTAL 6.56"])  # fmt: skip
    found = extract_phone(lines, opts)
    assert found is not None and found.value == "+15628602310" and found.source == "position"
    assert found.confidence == pytest.approx(load_scoring().phone.unlabelled * 0.98, abs=1e-3)
    # a date and its time is no telephone number, nor one far down the page
    lines, opts = _lines(["KEDAI MAJU SDN BHD", "NO 3, JALAN SATU, 43000 KAJANG, SELANGOR", ": 01-06-2018 18:21:09",
                          *(["ITEM 1.00"] * 14), "03-7880 5750", "TOTAL RM 5.00"])  # fmt: skip
    assert extract_phone(lines, opts) is None


def test_amounts_after_a_stray_label_are_no_telephone_number() -> None:
    assert find_phone(" 6% 12.50 0.75 13.25", ("GB", "DE")) is None  # ten digits a plan could dial


def test_with_no_country_chosen_a_labelled_number_is_as_printed() -> None:
    lines, opts = _lines(["THE LITTLE SHOP", "PHONE 0117 496 0321", "TOTAL 9.00"])
    assert opts.lex.countries == ()
    found = extract_phone(lines, opts)
    assert found is not None and found.value == "0117 496 0321"
