"""Issue 22, item 6: a PDF's typed text is never respelled; line items keep their words and
read quantity x unit price."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from test_pdf import text_pdf

import icr
from icr.text.items import _description, _quantity_and_price

LINES = [
    "CONTOSO TRADING",
    "12 Harbour Road",
    "Date: 04/07/2013",
    "A4 copy paper 2 x 4.50 9.00",
    "Stapler 1 12.00 12.00",
    "Blue pens 10 @ 0.80 8.00",
    "TOTAL 29.00",
]


@pytest.mark.slow
def test_a_typed_pdf_keeps_its_words_and_item_quantities(tmp_path: Path) -> None:
    pytest.importorskip("pypdfium2", reason="the pdf extra (pypdfium2) is not installed")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(text_pdf([LINES]))
    doc = icr.read(path)
    assert "Contest" not in doc.text and "Staples" not in doc.text
    assert doc.fields["company"] == "CONTOSO TRADING"
    items = [(i.description, i.quantity, i.unit_price, i.amount) for i in doc.line_items]
    assert items == [
        ("A4 copy paper", Decimal("2"), Decimal("4.50"), Decimal("9.00")),
        ("Stapler", Decimal("1"), Decimal("12.00"), Decimal("12.00")),
        ("Blue pens", Decimal("10"), Decimal("0.80"), Decimal("8.00")),
    ]


@pytest.mark.parametrize(
    ("line", "amount", "want"),
    [
        ("A4 copy paper 2 x 4.50 9.00", "9.00", ("A4 copy paper", "2", "4.50")),
        ("500ml Water 3 x RM1.20 3.60", "3.60", ("500ml Water", "3", "1.20")),
        ("Stapler 1 12.00 12.00", "12.00", ("Stapler", "1", "12.00")),
        ("Cable 2m 7.90", "7.90", ("Cable 2m", None, None)),
        ("NOODLES 2 3.00 5.00", "5.00", ("NOODLES", None, None)),  # 2 x 3.00 is not 5.00: no reading
        # any pack's currency marks, not only RM, $, € and £
        ("ALMARAI MILK 2L AED 12.75", "12.75", ("ALMARAI MILK 2L", None, None)),
        ("LEITE R$ 4,99", "4.99", ("LEITE", None, None)),
        ("VITASOY 250ML 3 x HK$1.20 3.60", "3.60", ("VITASOY 250ML", "3", "1.20")),
    ],
)
def test_item_lines(line: str, amount: str, want: tuple[str, str | None, str | None]) -> None:
    qty, price = _quantity_and_price(line, Decimal(amount))
    got = (_description(line), None if qty is None else str(qty), None if price is None else str(price))
    assert got == want
