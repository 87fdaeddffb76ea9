"""Amounts read a line off their labels (a curled photo) are put back when the money then adds up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from icr.config import load_settings
from icr.text.corrector import DefaultTextCorrector
from icr.text.lines import Line, ocr_from_lines
from icr.text.parsers import ParseOptions
from icr.text.realign import realign


def lines_of(texts: list[str]) -> list[Line]:
    return [Line(i, t, 0.95) for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def corrector() -> DefaultTextCorrector:
    return DefaultTextCorrector(load_settings())


def money(corrector: DefaultTextCorrector, texts: list[str]) -> dict[str, Decimal]:
    fields = corrector.extract(ocr_from_lines(texts, confidence=0.95)).fields
    return {k: v.typed for k in ("total", "subtotal", "tax", "paid", "change") if (v := fields.get(k)) is not None
            and isinstance(v.typed, Decimal)}  # fmt: skip


# the column of amounts drifted half a line down at the bottom of a bent receipt
DRIFTED = [
    "IN-N-OUT BURGER SANTA CLARA",
    "2012-04-27 12:48 PM",
    "HAMB 2.00",
    "Counter-Take Out",
    "TAX 8.25% 2.00",
    "Amount Due .17",
    "$2.17",
    "Cash Tender",
    "Change $3.00",
    "THANK YOU! $.83",
    "2012-04-27 L1 T1",
]


def test_amounts_move_up_to_their_labels_when_the_money_then_adds_up(corrector: DefaultTextCorrector) -> None:
    moved, hits = realign(lines_of(DRIFTED), ParseOptions())
    texts = [ln.text for ln in moved]
    assert "TAX 8.25% .17" in texts and "Amount Due $2.17" in texts and "Change $.83" in texts
    assert "$2.17" not in texts  # the amount left its line alone
    assert {h.kind: h.value for h in hits if h.kind in ("tax", "paid", "change")} == {
        "tax": Decimal("0.17"), "paid": Decimal("3.00"), "change": Decimal("0.83"),
    }  # fmt: skip
    got = money(corrector, DRIFTED)
    assert (got["total"], got["tax"]) == (Decimal("2.17"), Decimal("0.17"))


@pytest.mark.parametrize(
    "texts",
    [
        # nothing impossible: read as printed
        ["SUBTOTAL 10.00", "TAX 0.60", "TOTAL 10.60", "CASH 20.00", "CHANGE 9.40"],
        # impossible, but no move makes it add up better: read as printed
        ["ITEM 5.00", "TAX 9.00", "TOTAL 5.00"],
        # a bill whose total the photo cut off: moved, nothing adds up more
        ["1 House Recipe 12.00", "1 Taquitos 140.00", "Sub-total 152.00", "Sub-total", "Sales Tax 152.00",
         "TOTAL 0.00"],
        # cash that lost a digit: no move may take the rounded total's amount away to make the items add up
        ["MILO 10.90 SR", "BREAD 3.83 SR", "TOTAL INCL GST 14.73", "R0UNDING ADJ -0.03", "TOTAL ROUNDED 14.70",
         "CASH 2.00", "CHANGE 5.30", "Date : 05/04/2018 Time 13:20"],
        # a negative group total is no impossibility ("TOTAL 0% SUPPLIES -7.43")
        ["TOTAL 6% SUPPLIES (INC GST) 30.01", "TOTAL 0% SUPPLIES -7.43", "TOTAL PAYABLE 22.58", "CASH 50.00",
         "CHANGE 27.42"],
    ],
)
def test_lines_stay_as_read_unless_a_move_adds_up(texts: list[str]) -> None:
    moved, _ = realign(lines_of(texts), ParseOptions())
    assert [ln.text for ln in moved] == texts


def test_a_label_run_with_one_value_too_many_pairs_by_the_sums() -> None:
    # labels in one column, values in the next, one value more than labels: the move that makes
    # paid - change = total and subtotal + tax = total wins
    texts = ["SUB TOTAL RM", "LESS DISCOUNT:", "ROUND:", "TOTAL DUE (GST INC):", "PAID: CASH", "CHANGE:",
             "S:GST(0%):", "28.15", "0.00", "0.00", "28.15", "50.00", "21.85", "28.15", "0.00",
             "PLEASE COME AGAIN!", "16/06/2018 06:18:40 PM"]  # fmt: skip
    _, hits = realign(lines_of(texts), ParseOptions())
    kinds = {h.kind: h.value for h in hits if h.kind in ("subtotal", "paid", "change")}
    assert kinds == {"subtotal": Decimal("28.15"), "paid": Decimal("50.00"), "change": Decimal("21.85")}


def test_cents_after_a_currency_sign_are_an_amount() -> None:
    from icr.text.parsers import find_amounts

    assert [v for v, _, _ in find_amounts("Change $.83")] == [Decimal("0.83")]
    assert [v for v, _, _ in find_amounts("CHANGE RM .40")] == [Decimal("0.40")]


def test_a_cash_amount_that_lost_its_first_digit_leaves_the_total_alone(corrector: DefaultTextCorrector) -> None:
    got = money(corrector, ["Dunnes Stores", "MILK 1.19", "BREAD 2.10", "TOTAL 3.29", "CARD €.29"])
    assert got["total"] == Decimal("3.29")


def test_amounts_a_line_below_their_labels_move_up_when_the_items_then_add_up(
    corrector: DefaultTextCorrector,
) -> None:
    texts = ["Albert Česká republika", "Radlická 117", "158 00 Praha 5", "Rohlík", "Mléko 3,90", "Sýr 24,90",
             "Pivo 89,90", "CELKEM Kč 128,20", "Platba kartou 246,90", "DPH 12% 246,90", "26,45",
             "15.07.2023 19:01"]  # fmt: skip
    got = money(corrector, texts)
    assert (got["total"], got["tax"]) == (Decimal("246.90"), Decimal("26.45"))


def test_a_template_reads_the_amounts_back_beside_their_labels(corrector: DefaultTextCorrector) -> None:
    texts = ["OLIVE GARDEN", "1234 Elm Street", "Dallas, TX 75201", "Server: Amy Table 12", "Guests: 2",
             "Check #4521", "1 Lasagna 17.99", "1 Chicken Alfredo 18.49", "2 Iced Tea 5.98", "Subtotal 42.46",
             "3.50", "Tax 45.96", "Total 8.00", "Tip 53.96", "Total", "Visa xxxxxxxxxxxXx4321",
             "Date: 08/19/2022 7:45 PM"]  # fmt: skip
    fields = corrector.extract(ocr_from_lines(texts, confidence=0.95)).fields
    assert {k: fields[k].value for k in ("total", "subtotal", "tax", "tip")} == {
        "total": "53.96", "subtotal": "42.46", "tax": "3.50", "tip": "8.00",
    }  # fmt: skip


def test_a_times_minutes_start_no_amount() -> None:
    from icr.text.locales import lexicon_for
    from icr.text.parsers import find_amounts

    german = lexicon_for(("de_DE",))
    # a drifted amount that joined the date line is read whole, not grouped with the minutes
    assert [v for v, _, _ in find_amounts("Datum 03.12.2023 10:15 210,59", german)] == [Decimal("210.59")]
    assert [v for v, _, _ in find_amounts("TOTAL:12.50")] == [Decimal("12.50")]
