"""Amounts read a line away from their labels, put back beside them.

On a photo of a curled or bent receipt the column of amounts drifts against the column of labels,
and the recognizer's rows pair each amount with the label above or below its own ("TAX 8.25% 2.00",
"Amount Due .17", "$2.17" for TAX .17 and Amount Due 2.17). The money then says something
impossible: a tax larger than the total, a total of 0.00, change larger than the cash given.
Only then are the amounts at the bottom of the receipt tried one line up and one line down, and
a move is kept when more sums add up with it (subtotal + tax + tip... = total, paid - change =
total, the items = total, with a total a label names) and no more is impossible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from icr.text.amounts import AmountHit, amounts_in, choose_amounts, labelled_amounts
from icr.text.ledger import PARTS, TENDER, Provenance
from icr.text.lines import Line
from icr.text.parsers import ParseOptions

REACH = 12
"""Lines above the last amount that a drifting column may span."""
TAX_SHARE = Decimal("0.5")
"""A tax at least this share of the largest subtotal, total or payment beside it is no tax."""
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Fit:
    """How well a pairing of amounts and labels adds up."""

    impossible: int
    sums: int
    credits: int = 0
    """Totals below zero: a group of credits as printed ("TOTAL 0% SUPPLIES -7.43"), never one a move makes."""
    totals: int = 0
    """Total labels with an amount: a move that takes one away makes the other sums easy."""

    def better_than(self, other: Fit) -> bool:
        return (
            self.sums > other.sums
            and self.impossible <= other.impossible
            and self.credits <= other.credits
            and self.totals >= other.totals
        )


def fit(hits: Sequence[AmountHit], n_lines: int, opts: ParseOptions) -> Fit:
    """Impossibilities among the labelled amounts, and the sums the chosen ones make."""
    impossible = impossibilities(hits)
    totals = [h for h in hits if h.kind in ("total", "total_rounded")]
    credits = sum(1 for h in totals if h.value < 0)
    chosen = choose_amounts(hits, n_lines, opts.lex, opts.weights.total)
    total = chosen.get("total")
    if total is None or total.source != Provenance.KEYWORD:
        return Fit(impossible, 0, credits, len(totals))  # a total the sums gave, or none labelled: no check
    amounts = {name: c.value for name, c in chosen.items()}
    sums = 0
    parts = PARTS.value(amounts)
    if parts is not None and amounts.get("tax") and abs(parts - total.value) <= CENT:
        sums += 1  # subtotal + tax (+ tip, service, rounding - discount) = total
    tendered = TENDER.value(amounts)
    if tendered is not None and abs(tendered - total.value) <= CENT:
        sums += 1  # paid - change = total
    items = [h.value for h in hits if not h.kind and h.line < total.line and h.value > 0]
    if len(items) >= 2 and abs(sum(items, Decimal(0)) - total.value) <= CENT:
        sums += 1  # the items above the total add up to it
    return Fit(impossible, sums, credits, len(totals))


def impossibilities(hits: Sequence[AmountHit]) -> int:
    """Labelled amounts that cannot be what their labels say: a total of nothing (a negative one is
    a group of credits: "TOTAL 0% SUPPLIES -7.43"), a tax as large as half the largest subtotal,
    total or payment, change no less than the cash given."""
    labelled = [h for h in hits if h.kind]
    bases = [h.value for h in labelled if h.kind in ("total", "total_rounded", "subtotal", "paid") and h.value > 0]
    ceiling = max(bases, default=None)
    count = sum(1 for h in labelled if h.kind in ("total", "total_rounded") and h.value == 0)
    if ceiling is not None:
        count += sum(1 for h in labelled if h.kind == "tax" and h.value >= TAX_SHARE * ceiling)
    paid = [h for h in labelled if h.kind == "paid"]
    change = [h for h in labelled if h.kind == "change"]
    if paid and change and change[-1].value >= paid[-1].value > 0:
        count += 1
    return count


Found = list[tuple[Decimal, str, int]]
"""The amounts of one line as :func:`icr.text.amounts.amounts_in` gives them."""


def _last_amount(text: str, found: Found) -> tuple[str, str] | None:
    """``text`` split into what stands before its one amount and that amount, when the amount
    ends the line (a column of amounts); None for a line with none or several."""
    if len(found) != 1:
        return None
    _, raw, start = found[0]
    if text[start + len(raw) :].strip():
        return None
    return text[:start].rstrip(), raw


def moved(lines: Sequence[Line], found: Sequence[Found], first: int, last: int, step: int) -> list[Line] | None:
    """``lines`` (with ``found``, each line's amounts) with the amounts of lines ``first``..``last``
    (positions in ``lines``) each moved ``step`` lines (-1: up, 1: down); None when a line involved
    holds several amounts or an amount off the line's end, or the line an amount leaves the window
    for holds one already."""
    texts = [ln.text for ln in lines]
    parts: dict[int, tuple[str, str] | None] = {}
    for i in range(first, last + 1):
        split = _last_amount(texts[i], found[i])
        if split is None and found[i]:
            return None
        parts[i] = split
    edge = first - 1 if step < 0 else last + 1
    if not 0 <= edge < len(lines) or found[edge]:
        return None
    labels = {i: (p[0] if p is not None else texts[i]) for i, p in parts.items()}
    labels[edge] = texts[edge]
    amounts = {i + step: p[1] for i, p in parts.items() if p is not None}
    out = []
    for i, ln in enumerate(lines):
        if i not in labels:
            out.append(ln)
            continue
        text = " ".join(t for t in (labels[i], amounts.get(i, "")) if t)
        if text:
            out.append(replace(ln, text=text))
    return out


def realign(lines: Sequence[Line], opts: ParseOptions) -> tuple[list[Line], list[AmountHit]]:
    """The lines to read the money from and their labelled amounts: as read, unless the amounts
    say something impossible and moving the bottom of the amount column a line up or down makes
    them add up better."""
    hits = labelled_amounts(lines, opts)
    if not impossibilities(hits):
        return list(lines), hits
    here = fit(hits, len(lines), opts)
    found = [amounts_in(ln.text, opts) for ln in lines]  # read once for every move tried
    with_amount = [i for i, amounts in enumerate(found) if amounts]
    if not with_amount:
        return list(lines), hits
    last = with_amount[-1]
    best: tuple[Fit, list[Line], list[AmountHit]] | None = None
    for step in (-1, 1):
        for first in range(max(0, last - REACH), last + 1):
            candidate = moved(lines, found, first, last, step)
            if candidate is None:
                continue
            paired = labelled_amounts(candidate, opts)
            if impossibilities(paired) > here.impossible:
                continue
            score = fit(paired, len(lines), opts)
            if score.better_than(here) and (best is None or score.better_than(best[0])):
                best = (score, candidate, paired)
    if best is None:
        return list(lines), hits
    return best[1], best[2]
