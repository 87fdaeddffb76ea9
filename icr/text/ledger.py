"""The receipt's arithmetic, written once, and what it settles after the total is chosen.

A :class:`Relation` is one sum a receipt prints (subtotal + tax + service + tip + rounding -
discount = total; tendered - change = total; total + rounding = rounded total; net + VAT =
gross). :func:`icr.text.amounts.choose_amounts` scores candidates with them; :func:`settle`
then uses the same relations to put right a total OCR misread by one digit, to take the payable
total from a garbled final line, to fill a subtotal or tax the page shows but OCR could not
read, and to mark a total the other amounts confirm. Where a value came from is a
:class:`Provenance`.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from icr.text.lines import Line
from icr.text.locales import Lexicon
from icr.text.parsers import normalize
from icr.types import FieldValue

ZERO = Decimal(0)


class Provenance(StrEnum):
    """How a field's value was found (stored as ``FieldValue.source``)."""

    HEADER = "header"
    KEYWORD = "keyword"
    POSITION = "position"
    ARITHMETIC = "arithmetic"
    TEMPLATE = "template"
    STATIC = "static"
    LOCALE = "locale"
    """Not printed: the one currency of the country the document's locale pack names."""
    KEYWORD_CHECKED = "keyword+arithmetic"
    POSITION_CHECKED = "position+arithmetic"
    TEMPLATE_CHECKED = "template+arithmetic"

    @property
    def arithmetic(self) -> bool:
        """The receipt's arithmetic gave or confirmed the value."""
        return self in _BY_ARITHMETIC

    def checked(self) -> Provenance:
        """This provenance with the arithmetic confirming the value."""
        return _CHECKED.get(self, self)


_CHECKED = {
    Provenance.KEYWORD: Provenance.KEYWORD_CHECKED,
    Provenance.POSITION: Provenance.POSITION_CHECKED,
    Provenance.TEMPLATE: Provenance.TEMPLATE_CHECKED,
}
_BY_ARITHMETIC = frozenset({Provenance.ARITHMETIC, *_CHECKED.values()})
_SOURCES = frozenset(p.value for p in Provenance)


def supported(source: str) -> bool:
    """The arithmetic of the receipt gave or confirmed a value found this way."""
    try:
        return Provenance(source).arithmetic
    except ValueError:
        return False


Amounts = Mapping[str, Decimal | None]


@dataclass(frozen=True)
class Relation:
    """``result = plus[0] + plus[1] + ... - |minus[0]| - ...``; the first ``plus`` term is required,
    the others count as zero when absent. A discount counts whatever its printed sign."""

    result: str
    plus: tuple[str, ...]
    minus: tuple[str, ...] = ()

    def value(self, amounts: Amounts) -> Decimal | None:
        """The result the terms give, or ``None`` without the first term."""
        first = amounts.get(self.plus[0])
        if first is None:
            return None
        rest = sum((amounts.get(t) or ZERO for t in self.plus[1:]), ZERO)
        return first + rest - sum((abs(amounts.get(t) or ZERO) for t in self.minus), ZERO)

    def solve(self, amounts: Amounts, term: str) -> Decimal | None:
        """The term ``term`` the result and the other terms give (a ``minus`` term as the amount
        taken off), or ``None`` without the result."""
        result = amounts.get(self.result)
        if result is None:
            return None
        plus = sum((amounts.get(t) or ZERO for t in self.plus if t != term), ZERO)
        minus = sum((abs(amounts.get(t) or ZERO) for t in self.minus if t != term), ZERO)
        return plus - minus - result if term in self.minus else result - plus + minus


PARTS = Relation("total", ("subtotal", "tax", "service_charge", "tip", "rounding"), ("discount",))
TENDER = Relation("total", ("paid",), ("change",))
ROUNDED = Relation("total_rounded", ("total", "rounding"))
VAT_TABLE = Relation("gross", ("net", "vat"))


def items_sum(prices: Sequence[Decimal]) -> Decimal:
    """Items -> subtotal: what the item lines add up to."""
    return sum(prices, ZERO)


def one_digit_apart(a: Decimal, b: Decimal) -> bool:
    """``30.30`` and ``30.90``: the same length, one digit different (a likely OCR misreading). Cents
    alone and a whole amount are not (``.29`` printed is no misreading of ``3.29``)."""
    x, y = f"{a:.2f}", f"{b:.2f}"
    return (abs(a) < 1) == (abs(b) < 1) and len(x) == len(y) and sum(c != d for c, d in zip(x, y, strict=True)) == 1


def one_digit_lost(printed: Decimal, value: Decimal) -> bool:
    """``5.80`` for ``35.80``: ``value`` with one digit OCR did not read."""
    x, y = f"{printed:.2f}", f"{value:.2f}"
    return len(y) == len(x) + 1 and any(y[:i] + y[i + 1 :] == x for i in range(len(y)) if y[i].isdigit())


def sign_as_digit(printed: Decimal, value: Decimal) -> bool:
    """``859.00`` for ``59.00``: ``value`` read with the currency sign before it as a digit (``฿59.00``,
    ``$59.00``)."""
    x = f"{printed:.2f}"
    return x[0] in SIGN_DIGITS and x[1:] == f"{value:.2f}"


class _Hit(Protocol):
    """What :func:`settle` reads of an amount on the page (an ``AmountHit``)."""

    @property
    def value(self) -> Decimal: ...
    @property
    def raw(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def confidence(self) -> float: ...


def _amounts(fields: Mapping[str, FieldValue]) -> dict[str, Decimal | None]:
    return {n: f.typed if isinstance(f.typed, Decimal) else None for n, f in fields.items()}


def _field(name: str, value: Decimal, raw: str, confidence: float) -> FieldValue:
    return FieldValue(name, normalize(value), value, raw, round(confidence, 3), Provenance.ARITHMETIC.value)


def settle(
    fields: dict[str, FieldValue],
    hits: Sequence[_Hit],
    lines: Sequence[Line],
    rate: Decimal | None,
    lex: Lexicon,
) -> None:
    """After the total is chosen: a misread total put right, the payable total of a garbled final
    line, a subtotal or tax the page shows but OCR garbled, and the total's confidence raised when
    the other amounts add up to it; each by the relations above."""
    _total_before_tax(fields, hits)
    _reconcile_total(fields, hits)
    _garbled_final_total(fields, hits, lines, lex)
    _infer_subtotal(fields, hits)
    _swapped_parts(fields, rate)
    fitted = _parts_by_sum(fields, hits)
    signs = set() if fitted else _sign_read_as_digit(fields, hits)
    _derive_unreadable(fields, hits, lines, rate, lex)
    cut_off = _total_cut_off(fields, hits, lines, lex)
    _check_total(fields, parts=not (fitted or signs or cut_off), tender="change" not in signs)


def _total_before_tax(fields: dict[str, FieldValue], hits: Sequence[_Hit]) -> None:
    """The total chosen is the amount before tax ("Net Total 145.00 / Tax 12.51 / TOTAL 157.51",
    "SUBTOTAL" read as a total): when the chosen amount plus the tax (and the other parts) is
    printed as another total, or paid exactly with no change, that sum is the total and the chosen
    amount the subtotal."""
    total, tax = fields.get("total"), fields.get("tax")
    if total is None or tax is None or not isinstance(total.typed, Decimal) or not isinstance(tax.typed, Decimal):
        return
    if tax.typed <= 0 or total.source in (Provenance.TEMPLATE, Provenance.STATIC):
        return
    amounts = _amounts(fields)
    subtotal = amounts.get("subtotal")
    if subtotal is not None and subtotal != total.typed:
        return
    want = PARTS.value({**amounts, "subtotal": total.typed})
    if want is None or want <= total.typed:
        return
    no_change = not amounts.get("change")
    kinds = ("total", "total_rounded", "paid") if no_change else ("total", "total_rounded")
    if not any(h.kind in kinds and h.value == want for h in hits):
        return
    fields["subtotal"] = _field("subtotal", total.typed, total.raw, total.confidence)
    fields["total"] = _field("total", want, total.raw, total.confidence)


def _reconcile_total(fields: dict[str, FieldValue], hits: Sequence[_Hit]) -> None:
    """A total with one digit misread ("48.16" for 48.15, "110.60" for 110.00) is put right when the
    relations agree on a value one digit away from it (tendered - change, total + rounding, the
    parts, the cash alone when it is less than the total read and no change is printed), counting
    how often each value is printed too. The new value needs two of these and more than the value
    read has."""
    total = fields.get("total")
    if total is None or not isinstance(total.typed, Decimal) or total.typed <= 0:
        return
    t = total.typed
    amounts = _amounts(fields)
    paid, change, rounding = amounts.get("paid"), amounts.get("change"), amounts.get("rounding")
    said: Counter[Decimal] = Counter()
    tendered = TENDER.value(amounts)
    if paid is not None and change is not None and tendered is not None and tendered > 0:
        said[tendered] += 1
    elif paid is not None and change is None and paid < t:
        said[paid] += 1
    if rounding:
        said[t + rounding] += 1
    parts = PARTS.value(amounts)
    if parts is not None and amounts.get("tax"):
        said[parts] += 1
    printed = Counter(h.value for h in hits)
    support = {v: n + printed[v] for v, n in said.items() if v > 0 and v != t and one_digit_apart(v, t)}
    if not support:
        return
    value, best = max(support.items(), key=lambda kv: kv[1])
    if best >= 2 and best > said[t] + printed[t]:
        fields["total"] = _field("total", value, total.raw, min(total.confidence, 0.8))


def _garbled_final_total(
    fields: dict[str, FieldValue], hits: Sequence[_Hit], lines: Sequence[Line], lex: Lexicon
) -> None:
    """The last total line above the payment has its amount garbled ("Grand Total M2 | .85"), so
    the total chosen is another one: tendered - change is the final total when the digits the
    garbled line does show end in its cents and are no more than it has. The chosen total stands
    when that line reads an amount, or when its digits disagree."""
    total, paid = fields.get("total"), fields.get("paid")
    amounts = _amounts(fields)
    t, c = amounts.get("total"), amounts.get("change")
    value = TENDER.value(amounts)
    if total is None or paid is None or t is None or c is None or value is None or c <= 0 or value <= 0:
        return
    pay_line = min((h.line for h in hits if h.kind in ("paid", "change")), default=None)
    if value == t or pay_line is None:
        return
    final = [ln for ln in lines if ln.index < pay_line and lex.classify(ln.text) in ("total", "total_rounded")]
    if not final or any(h.line == final[-1].index and h.value >= 1 for h in hits):
        return
    digits = "".join(ch for ch in final[-1].text if ch.isdigit())
    if len(digits) < 2 or not digits.endswith(f"{value:.2f}"[-2:]) or len(digits) >= len(f"{value:.2f}"):
        return
    fields["total"] = _field("total", value, final[-1].text, min(paid.confidence, 0.7))


def _infer_subtotal(fields: dict[str, FieldValue], hits: Sequence[_Hit]) -> None:
    """No subtotal label, but an earlier "total" is what the parts relation needs as subtotal
    ("Total 2 item(s) 11.50 / Tax 1.09 / Grand Total 12.59"): that amount is the subtotal."""
    total, tax = fields.get("total"), fields.get("tax")
    if "subtotal" in fields or total is None or tax is None:
        return
    if not isinstance(total.typed, Decimal) or not isinstance(tax.typed, Decimal) or tax.typed <= 0:
        return
    want = PARTS.solve(_amounts(fields), "subtotal")
    tax_line = min((h.line for h in hits if h.kind == "tax" and h.value == tax.typed), default=-1)
    for hit in hits:
        # ("Total 2 item(s) 11.50" is labelled as an item count, but its amount is money; "Items
        # 219.81" over the tax line is labelled with no role at all.)
        labelled = hit.kind in ("total", "subtotal", "qty") or (hit.kind == "" and hit.line < tax_line)
        if labelled and hit.value == want and hit.value != total.typed:
            fields["subtotal"] = _field("subtotal", hit.value, hit.raw, min(1.0, 0.8 * hit.confidence + 0.1))
            return


MAX_TAX_SHARE = Decimal("0.3")
"""A tax is at most this share of the amount it is levied on (the highest VAT rates are 25-27 %)."""


def _swapped_parts(fields: dict[str, FieldValue], rate: Decimal | None) -> None:
    """A subtotal and tax that add up but are each other's ("TAX 8.25% 2.00 / Amount Due .17": a
    curled photo's column of amounts read a row off its labels): a tax is no more than
    :data:`MAX_TAX_SHARE` of what it is levied on, so where the tax exceeds that share of the
    subtotal and the other way round fits (and the printed rate, if any, to the cent), they swap."""
    subtotal, tax = fields.get("subtotal"), fields.get("tax")
    if subtotal is None or tax is None:
        return
    s, t = subtotal.typed, tax.typed
    if not isinstance(s, Decimal) or not isinstance(t, Decimal) or s <= 0 or t <= 0:
        return
    if t <= MAX_TAX_SHARE * s or s > MAX_TAX_SHARE * t:
        return
    if rate is not None and abs(t * rate / 100 - s) > Decimal("0.01"):
        return
    fields["subtotal"] = _field("subtotal", t, tax.raw, min(tax.confidence, 0.7))
    fields["tax"] = _field("tax", s, subtotal.raw, min(subtotal.confidence, 0.7))


def _parts_by_sum(fields: dict[str, FieldValue], hits: Sequence[_Hit]) -> bool:
    """Subtotal and tax taken from the wrong amounts (a column of labels read apart from its column
    of amounts: "Tax 79.50 / 5.57", two "Sub Total" lines on either side of the tax) while the total
    stands: of the amounts between the first subtotal or tax label and the total, the one pair, one
    of them so labelled, that adds up to the total with the other parts is the subtotal (the larger,
    printed first) and the tax. Whether they were so taken: they add up to the total because they were
    chosen to, which says nothing more of the total."""
    amounts = _amounts(fields)
    t = amounts.get("total")
    total = fields.get("total")
    if t is None or total is None or t <= 0 or total.source in (Provenance.TEMPLATE, Provenance.STATIC):
        return False
    if PARTS.value(amounts) == t:
        return False
    labelled = [h for h in hits if h.kind in ("subtotal", "tax")]
    ends = [h.line for h in hits if h.value == t and h.kind in ("total", "total_rounded", "")]
    if not labelled or not ends:
        return False
    start, end = min(h.line for h in labelled), max(ends)
    pool = [h for h in hits if start <= h.line <= end and h.kind in ("subtotal", "tax", "") and 0 < h.value < t]
    # the other parts printed above the total (a suggested tip under it is no part of it)
    above = {n for n in amounts if any(h.kind == n and h.value == amounts[n] and h.line <= end for h in hits)}
    others = {n: (v if n in above else None) for n, v in amounts.items()}
    rest = PARTS.value({**others, "subtotal": ZERO, "tax": None}) or ZERO
    pairs = {
        (a.value, b.value, a.raw, b.raw, min(a.confidence, b.confidence))
        for a in pool
        for b in pool
        if a.line <= b.line
        and a is not b
        and (a.kind or b.kind)
        and a.value + b.value + rest == t
        and b.value <= MAX_TAX_SHARE * a.value
    }
    if len({(a, b) for a, b, *_ in pairs}) != 1:
        return False
    sub, tax, sub_raw, tax_raw, confidence = min(pairs)
    fields["subtotal"] = _field("subtotal", sub, sub_raw, min(confidence, 0.8))
    fields["tax"] = _field("tax", tax, tax_raw, min(confidence, 0.8))
    return True


def _sign_read_as_digit(fields: dict[str, FieldValue], hits: Sequence[_Hit]) -> set[str]:
    """The currency sign before the parts' amounts read as a digit ("Tax 80.97 / Discounts 80.00 / Change
    80.00" for $0.97, $0.00, $0.00): of the readings of subtotal, tax, discount and change, each as printed
    or without that first digit, the one combination, with the fewest digits dropped, under which the parts
    and the tender both add up to the total. The parts so read (they then add up by construction)."""
    amounts = _amounts(fields)
    total = amounts.get("total")
    if total is None or (PARTS.value(amounts) == total and TENDER.value(amounts) in (None, total)):
        return set()
    options: dict[str, list[tuple[Decimal | None, str, float, bool]]] = {}
    for name in SIGNED_PARTS:
        field = fields.get(name)
        read = [(amounts.get(name), field.raw if field else "", field.confidence if field else 0.0, False)]
        for hit in hits:
            printed = f"{abs(hit.value):.2f}"
            if hit.kind == name and hit.value > 0 and len(printed) >= 4 and printed[0] in SIGN_DIGITS:
                read.append((Decimal(printed[1:]), hit.raw, hit.confidence, True))
        options[name] = list(dict.fromkeys(read))
    if math.prod(len(o) for o in options.values()) > MAX_READINGS:
        return set()
    settled = []
    for combo in itertools.product(*options.values()):
        trial = {**amounts, **{n: c[0] for n, c in zip(options, combo, strict=True)}}
        dropped = sum(c[3] for c in combo)
        tender = TENDER.value(trial)
        if dropped and PARTS.value(trial) == total and tender in (None, total):
            settled.append((dropped, combo))
    if not settled:
        return set()
    fewest = min(d for d, _ in settled)
    best = [combo for d, combo in settled if d == fewest]
    if len({tuple(c[0] for c in combo) for combo in best}) != 1:
        return set()
    fixed: set[str] = set()
    for name, (value, raw, confidence, was_dropped) in zip(options, best[0], strict=True):
        if was_dropped and value is not None:
            fields[name] = _field(name, value, raw, min(confidence, 0.7))
            fixed.add(name)
    return fixed


SIGNED_PARTS = ("subtotal", "tax", "discount", "change")
"""The amounts whose currency sign OCR may read as a digit before them."""
SIGN_DIGITS = "8536"
"""The digits a dollar sign is read as (8, 5, and 3 or 6 for an S-like sign)."""
MAX_READINGS = 64
"""Combinations of readings tried at most."""


def _derive_unreadable(
    fields: dict[str, FieldValue], hits: Sequence[_Hit], lines: Sequence[Line], rate: Decimal | None, lex: Lexicon
) -> None:
    """A subtotal, tax or change line whose amount OCR garbled ("SUBTOTAL 12221)", "CHANGE 3755"):
    the parts or the tender relation gives it. Only when the label is on the page with no readable
    amount, the result is not negative, and, for tax with a rate, it agrees with the rate to the cent."""
    if "total" not in fields or not isinstance(fields["total"].typed, Decimal):
        return
    amounts = _amounts(fields)

    def unreadable(kind: str) -> bool:
        labelled = any(lex.classify(ln.text) == kind for ln in lines)
        return labelled and not any(h.kind == kind for h in hits)

    if "subtotal" not in fields and "tax" in fields and unreadable("subtotal"):
        value = PARTS.solve(amounts, "subtotal")
        if value is not None and value > 0:
            fields["subtotal"] = _field("subtotal", value, "", 0.5)
    elif "tax" not in fields and "subtotal" in fields and unreadable("tax"):
        value = PARTS.solve(amounts, "tax")
        subtotal = amounts.get("subtotal") or ZERO
        fits_rate = value is not None and (rate is None or abs(subtotal * rate / 100 - value) <= Decimal("0.01"))
        if value is not None and value >= 0 and fits_rate:
            fields["tax"] = _field("tax", value, "", 0.5)
    if "change" not in fields and "paid" in fields and unreadable("change"):
        value = TENDER.solve(amounts, "change")
        if value is not None and value >= 0:
            fields["change"] = _field("change", value, "", 0.5)


def check_by_items(fields: dict[str, FieldValue], prices: Sequence[Decimal], hits: Sequence[_Hit]) -> None:
    """Raise the total's confidence when the receipt prints nothing between its items and its total
    (none of the other terms of :data:`PARTS`, and no tax line above it: a bill with its taxes
    included, printed under it if at all) and two or more item prices add up to it, as
    :func:`_check_total` does for the other sums."""
    total = fields.get("total")
    if total is None or not isinstance(total.typed, Decimal) or len(prices) < 2:
        return
    if total.source not in _SOURCES or Provenance(total.source).arithmetic:
        return  # already checked, or not a reading the sums speak of
    printed = [h for h in hits if h.value == total.typed]
    if not printed or items_sum(prices) != total.typed:
        return
    # the total's line: where its amount is first printed as a total (else first printed at all)
    at = min([h.line for h in printed if h.kind in ("total", "total_rounded")] or [h.line for h in printed])
    # a tax line under the total ("VAT @ 20% 7.63") says what the total includes
    parts = (*PARTS.plus, *PARTS.minus)
    if not any(h.kind in parts and (h.kind != "tax" or h.line < at) for h in hits):
        _confirm(fields, 1)


def _total_cut_off(fields: dict[str, FieldValue], hits: Sequence[_Hit], lines: Sequence[Line], lex: Lexicon) -> bool:
    """The page ends on a total's label with no amount after it (a photo that cut the receipt's foot
    off): where no label named the total chosen and the subtotal and tax above it were read, the total
    is what they add up to, at a confidence that sends it to review. Whether it was so taken (it then
    adds up by construction)."""
    total = fields.get("total")
    if total is not None and total.source != Provenance.POSITION:
        return False
    if "subtotal" not in fields or "tax" not in fields or not lines:
        return False
    last_amount = max((h.line for h in hits), default=-1)
    tail = [ln for ln in lines[-2:] if ln.index > last_amount]
    label = next((ln for ln in tail if lex.classify(ln.text) == "total"), None)
    if label is None:
        return False
    value = PARTS.value(_amounts(fields))
    if value is None or value <= 0 or (total is not None and total.typed == value):
        return False
    fields["total"] = _field("total", value, label.text, min(CUT_OFF_CONFIDENCE, fields["subtotal"].confidence))
    return True


CUT_OFF_CONFIDENCE = 0.6
"""A total that only the parts above a cut-off total line give."""


def _check_total(fields: dict[str, FieldValue], parts: bool = True, tender: bool = True) -> None:
    """Raise the total's confidence when the other amounts add up to it (``parts``: the subtotal and
    tax too, ``tender``: the cash and change too, unless they were picked for adding up)."""
    total = fields.get("total")
    if total is None or not isinstance(total.typed, Decimal):
        return
    amounts = _amounts(fields)
    # a term the sums filled in where the page shows none was solved from the total: it checks nothing
    solved = {n for n, f in fields.items() if f.source == Provenance.ARITHMETIC and not f.raw}
    checks = sum(
        1
        for relation, first in ((TENDER, "change"), (PARTS, "subtotal"))
        if first in fields
        and relation.value(amounts) == total.typed
        and (parts or relation is not PARTS)
        and (tender or relation is not TENDER)
        and not solved & {*relation.plus, *relation.minus}
    )
    if checks:
        _confirm(fields, checks)


def _confirm(fields: dict[str, FieldValue], checks: int) -> None:
    """The total's confidence raised for ``checks`` sums that add up to it, its source marked checked."""
    total = fields["total"]
    try:
        source = Provenance(total.source).checked().value
    except ValueError:
        source = total.source
    conf = min(1.0, total.confidence + 0.15 * checks)
    fields["total"] = replace(total, confidence=round(conf, 3), source=source)
