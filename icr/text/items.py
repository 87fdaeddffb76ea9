"""Line items: description lines with an amount, between the header and the totals."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal, InvalidOperation

import regex

from icr.text.amounts import AmountHit
from icr.text.lines import Line
from icr.text.locales import SPACELESS, Lexicon
from icr.types import LineItem

QTY_PRICE = regex.compile(
    r"(?<![\d.])(?P<qty>\d{1,4}(?:\.\d{1,3})?)\s*[xX*@]\s*(?:RM|\$|€|£)?\s*(?P<price>\d+[.,]\d{2,4})"
)
_FIRST_TOTAL = ("total", "total_rounded", "subtotal", "tax", "paid", "change", "rounding")


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def extract_line_items(
    lines: Sequence[Line], hits: Sequence[AmountHit], header: Collection[int], lex: Lexicon
) -> list[LineItem]:
    """Items: unlabelled-kind amounts whose line (or the line above) has a description, before the totals."""
    stop = min((h.line for h in hits if h.kind in _FIRST_TOTAL), default=len(lines))
    by_index = {ln.index: ln for ln in lines}
    items: list[LineItem] = []
    used: set[int] = set()
    for h in hits:
        if h.line >= stop or h.kind or h.line in header or h.line in used:
            continue
        ln = by_index.get(h.line)
        if ln is None:
            continue
        desc = _description(ln.text)
        if not desc:
            prev = by_index.get(h.line - 1)
            if prev is not None and prev.index not in header:
                desc = _description(prev.text)
        if not desc or lex.not_item.search(desc):
            continue
        qty, price = _quantity_and_price(ln.text, h.value)
        amounts_on_line = [x for x in hits if x.line == h.line]
        amount = amounts_on_line[-1].value
        used.add(h.line)
        items.append(LineItem(desc, amount, qty, price, ln.text))
    return items


NUMBER = regex.compile(r"(?<![\w.])(?:RM|\$|€|£)?\d+(?:[.,]\d{1,4})?(?![\w])")
"""A quantity, a price or an amount on an item line (a word that mixes letters and digits, A4 or
500ml, is part of the description)."""
NOT_WORD = regex.compile(r"^(?:[xX*@]|RM|\$|€|£|-+)$")


def _quantity_and_price(text: str, amount: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    """``2 x 4.50`` (or ``2 @ 4.50``), else three numbers ``qty price amount`` where qty x price
    is the amount (a table's columns)."""
    m = QTY_PRICE.search(text)
    if m:
        return _decimal(m["qty"]), _decimal(m["price"])
    numbers = [_decimal(n.lstrip("RM$€£")) for n in NUMBER.findall(text)]
    if amount is not None and len(numbers) >= 3:
        qty, price, last = numbers[-3:]
        if qty is not None and price is not None and last == amount and qty > 0 and qty * price == amount:
            return qty, price
    return None, None


def _description(text: str) -> str:
    """The words before the numbers: every word with a letter in it (``A4 copy paper``), not the
    quantity, price, amount or currency marks."""
    cut = QTY_PRICE.search(text)
    head = text[: cut.start()] if cut else text
    words = [w for w in head.split() if any(c.isalpha() for c in w) and not NOT_WORD.match(w)]
    words = [w for w in words if not NUMBER.fullmatch(w)]
    # a letter of a script written without spaces ("面包") is a word's worth of another
    letters = sum(2 if _SPACELESS.match(c) else 1 for w in words for c in w if c.isalpha())
    return " ".join(words) if words and letters >= 3 else ""


_SPACELESS = regex.compile(SPACELESS)
