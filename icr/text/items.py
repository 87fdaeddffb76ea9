"""Line items: description lines with an amount, between the header and the totals."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import regex

from icr.text.amounts import AmountHit
from icr.text.lines import Line
from icr.text.locales import SPACELESS, Lexicon, default_lexicon
from icr.types import LineItem

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
        desc = _description(ln.text, lex)
        if not desc:
            prev = by_index.get(h.line - 1)
            if prev is not None and prev.index not in header:
                desc = _description(prev.text, lex)
        if not desc or lex.not_item.search(desc):
            continue
        qty, price = _quantity_and_price(ln.text, h.value, lex)
        amounts_on_line = [x for x in hits if x.line == h.line]
        amount = amounts_on_line[-1].value
        used.add(h.line)
        items.append(LineItem(desc, amount, qty, price, ln.text))
    return items


@dataclass(frozen=True)
class _ItemPatterns:
    qty_price: regex.Pattern[str]
    """``2 x 4.50``, ``3 @ RM1.20``: a quantity and its unit price."""
    number: regex.Pattern[str]
    """A quantity, a price or an amount on an item line, its currency mark before it (a word that mixes
    letters and digits, A4 or 500ml, is part of the description)."""
    not_word: regex.Pattern[str]
    """A times sign, a currency mark or a rule: no word of a description."""


@functools.cache
def _patterns(currency_alt: str) -> _ItemPatterns:
    """The item patterns for the currency marks of the applied locale packs."""
    mark = rf"(?:{currency_alt})"
    return _ItemPatterns(
        regex.compile(rf"(?<![\d.])(?P<qty>\d{{1,4}}(?:\.\d{{1,3}})?)\s*[xX*@]\s*{mark}?\s*(?P<price>\d+[.,]\d{{2,4}})"),
        regex.compile(rf"(?<![\w.]){mark}?(?P<n>\d+(?:[.,]\d{{1,4}})?)(?![\w])"),
        regex.compile(rf"^(?:[xX*@]|{mark}|-+)$"),
    )


def _quantity_and_price(
    text: str, amount: Decimal | None, lexicon: Lexicon | None = None
) -> tuple[Decimal | None, Decimal | None]:
    """``2 x 4.50`` (or ``2 @ 4.50``), else three numbers ``qty price amount`` where qty x price
    is the amount (a table's columns)."""
    found = _patterns((lexicon or default_lexicon()).currency_alt)
    m = found.qty_price.search(text)
    if m:
        return _decimal(m["qty"]), _decimal(m["price"])
    numbers = [_decimal(n["n"]) for n in found.number.finditer(text)]
    if amount is not None and len(numbers) >= 3:
        qty, price, last = numbers[-3:]
        if qty is not None and price is not None and last == amount and qty > 0 and qty * price == amount:
            return qty, price
    return None, None


def _description(text: str, lexicon: Lexicon | None = None) -> str:
    """The words before the numbers: every word with a letter in it (``A4 copy paper``), not the
    quantity, price, amount or currency marks."""
    found = _patterns((lexicon or default_lexicon()).currency_alt)
    cut = found.qty_price.search(text)
    head = text[: cut.start()] if cut else text
    words = [w for w in head.split() if any(c.isalpha() for c in w) and not found.not_word.match(w)]
    words = [w for w in words if not found.number.fullmatch(w)]
    # a letter of a script written without spaces ("面包") is a word's worth of another
    letters = sum(2 if _SPACELESS.match(c) else 1 for w in words for c in w if c.isalpha())
    return " ".join(words) if words and letters >= 3 else ""


_SPACELESS = regex.compile(SPACELESS)
