"""How a receipt was paid comes from its tender lines, not from any line that says "check" or "card"."""

from __future__ import annotations

import pytest

from icr.config import load_settings
from icr.text.corrector import DefaultTextCorrector
from icr.text.lines import ocr_from_lines


@pytest.fixture(scope="module")
def corrector() -> DefaultTextCorrector:
    return DefaultTextCorrector(load_settings())


def paid_by(corrector: DefaultTextCorrector, lines: list[str], confidence: float = 1.0) -> str | None:
    field = corrector.extract(ocr_from_lines(lines, confidence=confidence)).fields.get("payment_method")
    return None if field is None else str(field.value)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # a US bill's number, a heading, a policy, an advertisement: no payment
        (["ZOCA RESTAURANT", "Check #: 5033 7/30/19", "Table: 31/2 Guests: 5", "Sub-total 152.00", "TOTAL 152.00"],
         None),
        (["- GUEST CHECK -", "1 Burger 9.50", "TOTAL 9.50", "Gift Card activation is free", "STRICTLY NO CASH REFUND."],
         None),
        (["TABLE 403 CHECK 39", "Hamb 2.00", "Amount Due 2.17"], None),
        # a tender line, whatever else the receipt says
        (["- GUEST CHECK -", "Burger 9.50", "TOTAL 9.50", "CASH 20.00", "CHANGE 10.50"], "cash"),
        (["BE A POPULAR CARD MEMBER", "TOTAL 12.00", "CASH 12.00"], "cash"),
        # labels in one column, their amounts in the next
        (["TOTAL", "CASH", "CHANGE", "10.00", "20.00", "10.00"], "cash"),
        # a table head above the tender
        (["NETT TOTAL: 8.20", "PAYMENT MODE", "AMOUNT", "CASH", "8.20", "CHANGE", "0.00"], "cash"),
        # named without the amount beside it
        (["TOTAL 35.10", "PAYMENT TYPE:", "CASH"], "cash"),
        (["TOTAL 35.10", "Card Type: VISA", "XXXXXXXXXXXX1234"], "card"),
        # a tender's label alone, its amount in a column the reading lost
        (["TOTAL AMOUNT", "CASH", "RM", "THANK YOU. PLEASE COME AGAIN"], "cash"),
        (["TOTAL 9.50", "CHECK #:", "1234"], None),
        # a card slip beside a cash line: the card
        (["TOTAL 40.00", "VISA 30.00", "CASH 10.00"], "card"),
    ],
)
def test_payment_method_from_tender_lines(
    corrector: DefaultTextCorrector, lines: list[str], expected: str | None
) -> None:
    assert paid_by(corrector, lines) == expected
    assert paid_by(corrector, lines, confidence=0.9) == expected  # read by OCR: the speller runs too
