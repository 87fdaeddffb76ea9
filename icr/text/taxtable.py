"""A receipt's tax read off its tax summary table, where no line labels the tax.

European receipts print their VAT as a table after the total, one row per rate and often no
labelled sum ("A 20.00% 5.42 1.08", "B 7% 6,99 0,49 7,48", "4% 3,60 0,14"). A row is known by its
arithmetic, not its column heads, which every country words differently: the row's rate of one of
its amounts (the net, or the gross less the tax) is the amount beside it. The rows together must
make the receipt's total, so a line item that prints a percentage is never taken for one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

import regex

from icr.text.amounts import Chosen, amounts_in
from icr.text.ledger import MAX_TAX_SHARE, Provenance
from icr.text.lines import Line
from icr.text.parsers import ParseOptions

ROW_TOLERANCE = Decimal("0.02")
"""How far a row's tax may stray from its rate of the net: the cents a till rounds each item's tax to."""
_RATE_CELL = regex.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,3})?)\s?%")
_TAX_KINDS = ("", "tax", "note")
"""The kinds a row's label may have: none (a rate code such as "A" or "S"), a tax's name, a note."""


@dataclass(frozen=True)
class TaxRow:
    """One rate's row: its tax and what the row adds to the total (the net and the tax)."""

    line: int
    tax: Decimal
    gross: Decimal
    raw: str
    confidence: float


def _fits(rate: Decimal, base: Decimal, tax: Decimal) -> bool:
    return abs(base * rate / 100 - tax) <= ROW_TOLERANCE


def tax_row(line: Line, opts: ParseOptions) -> TaxRow | None:
    """The line as a row of a tax table: one rate and, after it, two neighbouring amounts of which
    the second is the rate of the first (net, tax) or of the first less it (gross, tax)."""
    rates = _RATE_CELL.findall(line.text)
    if len(rates) != 1:
        return None
    rate = Decimal(rates[0].replace(",", "."))
    at = _RATE_CELL.search(line.text)
    assert at is not None
    label = line.text[: at.start()]
    if opts.lex.classify(label) not in _TAX_KINDS:
        return None  # "Discount 10% 20.00 2.00", "Service 10% 50.00 5.00"
    cells = [(v, raw) for v, raw, start in amounts_in(line.text, opts) if start >= at.end()]
    for (first, _), (second, raw) in pairwise(cells):
        if first <= 0 or second < 0 or second >= first:
            continue
        if _fits(rate, first, second):
            return TaxRow(line.index, second, first + second, raw, line.confidence)
        if _fits(rate, first - second, second):
            return TaxRow(line.index, second, first, raw, line.confidence)
    return None


def table_tax(
    lines: Sequence[Line], total: Decimal, opts: ParseOptions, share: float, labelled: Decimal | None = None
) -> Chosen | None:
    """The tax of the receipt's tax table: the sum of its rows' taxes, when the rows together make
    ``total`` (else None). ``labelled``: the tax a line labels, which the table replaces only where
    it is one of several rates' ("A 10% Netto 5,90 MwSt 0,58 / B 20% Netto 7,41 MwSt 1,48").
    ``share``: the confidence a part takes of its line's."""
    rows = [r for r in (tax_row(ln, opts) for ln in lines) if r is not None]
    if not rows:
        return None
    tax = sum((r.tax for r in rows), Decimal(0))
    gross = sum((r.gross for r in rows), Decimal(0))
    if abs(gross - total) > ROW_TOLERANCE or not 0 <= tax <= MAX_TAX_SHARE * total:
        return None
    if labelled is not None and (labelled == tax or labelled not in {r.tax for r in rows}):
        return None
    sure = min(r.confidence for r in rows)
    return Chosen(tax, rows[-1].raw, rows[-1].line, round(share * sure, 3), Provenance.ARITHMETIC)
