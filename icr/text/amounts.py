"""Money fields: find labelled amounts, then choose the total by cues, position and arithmetic.

Receipts print a label and its amount on one line (``TOTAL 12.50``) or, in
OCR output and box transcripts, on separate lines (``TOTAL:`` then ``12.50``,
sometimes several labels followed by their values). :func:`labelled_amounts`
pairs them; :func:`choose_amounts` picks total, subtotal, tax, paid, change...
checking them against each other (subtotal + tax = total, paid - change = total).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import regex

from icr.text.ledger import (
    MAX_TAX_SHARE,
    PARTS,
    ROUNDED,
    TENDER,
    Provenance,
    one_digit_apart,
    one_digit_lost,
    sign_as_digit,
)
from icr.text.lines import Line
from icr.text.locales import SPACELESS, Lexicon, default_lexicon
from icr.text.parsers import ParseOptions, find_amounts, parse_amount, parse_currency
from icr.text.scoring import TotalWeights, default_scoring


def classify_label(label: str, lexicon: Lexicon | None = None) -> str:
    """The kind of amount a label names (``"total"``, ``"tax"``, ``"paid"``...), or ``""``: the first
    tier of the locale packs' amount labels that matches."""
    return (lexicon if lexicon is not None else default_lexicon()).classify(label)


@dataclass(frozen=True)
class AmountHit:
    """One amount on the receipt with the label it belongs to."""

    value: Decimal
    raw: str
    line: int
    label: str = ""
    kind: str = ""
    same_line: bool = False
    confidence: float = 1.0
    ambiguous: bool = False
    """Paired from a run of labels and a run of values of different lengths."""
    columns: int = 1
    """Amounts on the line sharing one label (``Total 70.00 4.20`` in a tax summary table: 2)."""


_LETTERS = regex.compile(r"\p{L}")


@functools.cache
def _currency_word(currency_alt: str) -> regex.Pattern[str]:
    return regex.compile(rf"(?<![\p{{L}}]){currency_alt}(?![\p{{L}}])", regex.IGNORECASE)


_NOT_LABEL = regex.compile(r"[^\p{L}\s/&%@()-]")
_WORD = regex.compile(rf"\p{{L}}{{3,}}|{SPACELESS}{{2,}}")
"""A real word: three letters, or two of a script that writes a word in one or two (小计, 合計)."""
_FIRST_TOKEN = regex.compile(r"^\S+")


_RATE = regex.compile(r"\d+(?:[.,]\d+)?\s?%")
"""A rate printed in a label ("MwSt 19%"): no part of its words, where a bare "%" heads a VAT table's column."""


def _label_text(text: str, lex: Lexicon) -> str:
    words = " ".join(_NOT_LABEL.sub(" ", _RATE.sub(" ", lex.item_count.sub(" ", text))).split())
    # a label needs a real word: not a currency mark nor a tax code such as "S" or "SR", but a
    # label of two letters the packs know ("CB 10,45": a French card)
    bare = _currency_word(lex.currency_alt).sub("", words)
    if _WORD.search(bare) or (_TWO_LETTERS.fullmatch(bare.strip()) and lex.classify(bare.strip())):
        return words
    return ""


_TWO_LETTERS = regex.compile(r"\p{L}{2}")


_OWN_NUMBER = regex.compile(r":\s*\d+\s*$")
"""``QTY(S) : 9``: a label line carrying its own (non-money) value."""


@functools.cache
def _transparent(currency_alt: str) -> regex.Pattern[str]:
    """``:`` or a currency mark alone between a label and its value."""
    return regex.compile(rf"[\W_]*(?:{currency_alt}|\({currency_alt}\))?[\W_]*", regex.IGNORECASE)


def labelled_amounts(lines: Sequence[Line], opts: ParseOptions | None = None) -> list[AmountHit]:
    """Every amount with its label, pairing label-only lines with following amount-only lines."""
    opts = opts or ParseOptions()
    lex = opts.lex
    transparent = _transparent(lex.currency_alt)
    currency_mark = _currency_word(lex.currency_alt)

    def label_of(text: str) -> str:
        return _label_text(text, lex)

    def classify(label: str) -> str:
        return lex.classify(label)

    hits: list[AmountHit] = []
    pending: list[Line] = []  # run of label-only lines waiting for values
    values_run: list[tuple[Line, Decimal, str]] = []

    def flush() -> None:
        nonlocal pending, values_run
        if values_run:
            k = min(len(pending), len(values_run))
            labels = pending[:k]
            offset = len(values_run) - k  # more values than labels: the labels go with the last values
            for i, (ln, value, raw) in enumerate(values_run):
                if i >= offset:
                    lab = label_of(labels[i - offset].text)
                    hits.append(
                        AmountHit(
                            value,
                            raw,
                            ln.index,
                            lab,
                            classify(lab),
                            False,
                            min(ln.confidence, labels[i - offset].confidence),
                            ambiguous=len(values_run) != len(pending),
                        )
                    )
                else:
                    hits.append(AmountHit(value, raw, ln.index, "", "", False, ln.confidence))
            pending = []
        values_run = []

    for ln in lines:
        if transparent.fullmatch(ln.text):
            continue  # ":" or "RM" alone between a label and its value
        amounts = amounts_in(ln.text, opts)
        if not amounts:
            flush()
            if label_of(ln.text) and not _OWN_NUMBER.search(ln.text):
                pending.append(ln)
                pending = pending[-12:]
            else:
                pending = []
            continue
        first_start = amounts[0][2]
        label = label_of(ln.text[:first_start])
        if not label:
            after = ln.text[amounts[-1][2] :]
            after_label = label_of(_FIRST_TOKEN.sub("", after))
            label = after_label if len(amounts) == 1 else ""
        if label:
            flush()
            pending = []
            # "TOTAL SAVING 0.00 TOTAL 12.00": each amount has its own label when the text between
            # amounts carries one; otherwise ("TOTAL 2 9.00") the last amount is the labelled one
            between = [label] + [
                label_of(ln.text[amounts[j - 1][2] + len(amounts[j - 1][1]) : amounts[j][2]])
                for j in range(1, len(amounts))
            ]
            own = any(between[1:])
            kind = classify(label)
            # "Total: $93.58 56.03": of several amounts, the one marked with the currency is the label's
            marked = [j for j, (_, raw, _) in enumerate(amounts) if currency_mark.search(raw)]
            labelled_at = marked[0] if len(marked) == 1 and len(amounts) > 1 else len(amounts) - 1
            for j, (value, raw, _) in enumerate(amounts):
                if own:
                    lab = between[j]
                    hits.append(
                        AmountHit(
                            value, raw, ln.index, lab, classify(lab) if lab else "", bool(lab), ln.confidence
                        )
                    )
                    continue
                labelled = j == labelled_at
                hits.append(
                    AmountHit(
                        value,
                        raw,
                        ln.index,
                        label if labelled else "",
                        kind if labelled else "",
                        labelled,
                        ln.confidence,
                        columns=len(amounts),
                    )
                )
        else:
            if len(amounts) == 1:
                values_run.append((ln, amounts[0][0], amounts[0][1]))
            else:
                flush()
                pending = []
                for value, raw, _ in amounts:
                    hits.append(AmountHit(value, raw, ln.index, "", "", False, ln.confidence))
    flush()
    return _tip_guides(hits, lines)


_PERCENT_THEN_AMOUNT = regex.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s?%[^%\d]*$")
"""A line's text before its amount ending in a percentage and no other number ("18% Gratuity = $")."""
GUIDE_BASE_SPREAD = Decimal("0.02")
"""How far (a share) the base each line of a tip guide implies may stray from the others': the cents
its amounts were rounded to."""
SUGGESTED = "suggested"
"""The kind of an amount a tip guide suggests: no part of any sum."""


def _tip_guides(hits: list[AmountHit], lines: Sequence[Line]) -> list[AmountHit]:
    """``hits`` with the amounts of a tip guide made :data:`SUGGESTED`: two or more lines in a row each
    printing a percentage and then one amount, every amount that percentage of one base ("15%=$5.98",
    "18%=$7.17", "20%=$7.97" of 39.85). A tax table's rates apply to different sums; a guide's all to
    the bill. Whatever label a guide's amounts took ("Recommended Tips:" above them), none was paid."""
    text = {ln.index: ln.text for ln in lines}
    per_line = Counter(h.line for h in hits)
    rated: list[tuple[int, Decimal]] = []  # (line, base the amount implies)
    for h in hits:
        if h.kind == "tax":
            continue  # "CGST @ 2.5% 8.98 / SGST @ 2.5% 8.98": two taxes of one base, both levied
        before = text.get(h.line, "").rsplit(h.raw, 1)[0] if per_line[h.line] == 1 else ""
        m = _PERCENT_THEN_AMOUNT.search(before)
        if m is None:
            continue
        rate = Decimal(m.group(1).replace(",", "."))
        if rate > 0 and h.value > 0:
            rated.append((h.line, h.value * 100 / rate))
    guide: set[int] = set()
    run: list[tuple[int, Decimal]] = []
    for line, base in [*sorted(rated), (-1, Decimal(0))]:
        if run and line == run[-1][0] + 1 and abs(base - run[0][1]) <= GUIDE_BASE_SPREAD * run[0][1]:
            run.append((line, base))
            continue
        if len(run) >= 2:
            guide.update(n for n, _ in run)
        run = [(line, base)]
    if not guide:
        return hits
    return [replace(h, kind=SUGGESTED) if h.line in guide else h for h in hits]


def amounts_in(text: str, opts: ParseOptions) -> list[tuple[Decimal, str, int]]:
    """The amounts of ``text`` as (value, raw, start), read with the document's decimal mark."""
    found = find_amounts(text, opts.lex)
    if opts.decimal == ",":
        redone: list[tuple[Decimal, str, int]] = []
        for _, raw, start in found:
            v = parse_amount(raw, opts)
            if v is not None:
                redone.append((v, raw, start))
        return redone
    return found


def _sequence_checks(hits: Sequence[AmountHit], w: TotalWeights) -> tuple[dict[Decimal, float], set[Decimal]]:
    """Bonuses from amounts that check each other whatever their labels say.

    ``X, r, X + r`` with a small ``r`` is a total, its rounding and the rounded
    total; ``T ... P ... C`` within a few lines with ``P - C = T`` is total, cash
    tendered and change.
    """
    bonus: dict[Decimal, float] = {}
    tendered: set[Decimal] = set()
    vals = [h for h in hits if h.kind not in ("qty", "note")]
    per_line = Counter(h.line for h in vals)
    for i in range(len(vals) - 2):
        a, r, b = vals[i], vals[i + 1], vals[i + 2]
        if Decimal(0) < abs(r.value) < Decimal("0.10") and a.value + r.value == b.value:
            bonus[b.value] = max(bonus.get(b.value, 0.0), w.arithmetic.rounding_run)
    for i, t in enumerate(vals):
        # a label paired from runs of different lengths may belong to a neighbour: its kind is a guess
        if (
            t.value <= 0
            or (t.kind in ("tax", "subtotal", "discount", "change") and not t.ambiguous)
            or (t.kind == "rounding" and t.value < 1)
        ):
            continue
        # a bounded window: a line of a thousand amounts must not make this cubic
        window = [h for h in vals[i + 1 : i + 1 + _WINDOW] if h.line - t.line <= 8]
        item_like = t.kind == "" and bool(_WORD.search(t.label))
        for j, p in enumerate(window):
            if p.kind == "total" and p.value != t.value and not p.ambiguous:
                break  # the tender of another total printed between them
            if p.kind not in ("paid", "") and not p.ambiguous:
                continue  # subtotal + tax = total is not cash - change = total
            if item_like and j > 1 and p.kind == "" and _WORD.search(p.label):
                # with no label any pack knows, cash follows its total: items' prices further down, one
                # the difference of two, are no tender and change
                continue
            for c in window[j + 1 :]:
                if (c.kind not in ("change", "") and not c.ambiguous) or (c.kind == "" and c.line - p.line > 2):
                    continue
                if c.kind == "" and per_line[c.line] > 1:
                    continue  # a cell of a row of amounts (a VAT table's) is no change
                if c.value > 0 and p.value - c.value == t.value:
                    bonus[t.value] = max(bonus.get(t.value, 0.0), w.arithmetic.tender_run)
                    tendered.update((p.value, c.value))
    return bonus, tendered


_WINDOW = 24
"""Amounts after a total looked at for tendered and change (a receipt prints a handful)."""


def _items_above(hits: Sequence[AmountHit], tendered: set[Decimal]) -> dict[int, tuple[int, Decimal]]:
    """For each line with an amount, how many item prices the lines above it print and their sum: an
    item is a line whose amounts no label claims and that names something (a word), its price the
    line's last amount ("2 x 4.00 8.00")."""
    prices: dict[int, Decimal] = {}
    for h in hits:
        if h.kind == "" and not h.ambiguous and h.value > 0 and h.value not in tendered and _WORD.search(h.label):
            prices[h.line] = h.value
    out: dict[int, tuple[int, Decimal]] = {}
    count, value = 0, Decimal(0)
    for line in sorted({h.line for h in hits} | set(prices)):
        out[line] = (count, value)
        if line in prices:
            count, value = count + 1, value + prices[line]
    return out


@dataclass(frozen=True)
class Chosen:
    value: Decimal
    raw: str
    line: int
    confidence: float
    source: Provenance
    margin: float | None = None
    """The chosen value's score less the best score of another value (None: no rival)."""


def _last(hits: Sequence[AmountHit], kind: str) -> AmountHit | None:
    found = [h for h in hits if h.kind == kind]
    return found[-1] if found else None


def _derived_total(
    hits: Sequence[AmountHit],
    best: AmountHit,
    share: float,
    paid: AmountHit | None,
    change: AmountHit | None,
    rounding: AmountHit | None,
    sequence_bonus: dict[Decimal, float],
) -> Chosen | None:
    """The total the arithmetic says when the printed one does not add up (an OCR digit error).

    ``cash - change`` and ``total + rounding`` are two independent derivations; ``cash - change``
    replaces the best printed candidate when ``total + rounding`` agrees with it, or when the candidate
    is one digit away from it with a round tender (``101.00 - 70.10 = 30.90`` against a printed
    ``30.30``, or ``50.00 - 14.20 = 35.80`` against ``5.80``), or when no amount carries a total
    label at all. Never over a cents difference: that is a rounding adjustment, and the printed
    total (``12.37`` beside ``ROUNDING -0.02``) stands.
    """
    from_change: Decimal | None = None
    if paid is not None and change is not None and not paid.ambiguous and not change.ambiguous and change.value > 0:
        tendered = TENDER.value({"paid": paid.value, "change": change.value})
        from_change = tendered if tendered is not None and tendered > 0 else None
    from_rounding = {
        ROUNDED.value({"total": h.value, "rounding": rounding.value})
        for h in hits
        if rounding is not None and rounding.value != 0 and h.kind == "total" and not h.ambiguous
    }
    consistent = {*from_rounding, *([from_change] if from_change is not None else []), *sequence_bonus}
    if best.value in consistent or best.kind == "total_rounded":
        return None
    has_total = any(h.kind in ("total", "total_rounded") for h in hits)
    if from_change is None:
        return None
    if not has_total or (
        abs(best.value - from_change) >= Decimal("0.05")
        and (
            from_change in from_rounding
            or (
                (
                    one_digit_apart(best.value, from_change)
                    or one_digit_lost(best.value, from_change)
                    or sign_as_digit(best.value, from_change)
                )
                and paid is not None
                and paid.value == paid.value.to_integral()
            )
        )
    ):
        src = paid if paid is not None else best
        return Chosen(
            from_change, f"{from_change:.2f}", src.line, round(share * src.confidence, 3), Provenance.ARITHMETIC
        )
    return None


def _foreign_totals(hits: Sequence[AmountHit], paid: AmountHit | None, lex: Lexicon) -> list[AmountHit]:
    """The totals a receipt prints in another currency than its own ("Total CHF 23.80 / Total EUR
    24.35": a conversion). Its own: the payment's currency, else the one its amounts are marked in
    most (the first of equals); only where its totals are marked in two currencies or more."""
    opts = ParseOptions(lexicon=lex)

    def code(h: AmountHit) -> str | None:
        return parse_currency(f"{h.label} {h.raw}", opts)

    totals = [h for h in hits if h.kind in ("total", "total_rounded")]
    if len({c for c in map(code, totals) if c}) < 2:
        return []
    own = code(paid) if paid is not None else None
    if own is None:
        marked = [c for c in map(code, hits) if c]
        own = Counter(marked).most_common(1)[0][0]
    return [h for h in totals if code(h) not in (None, own)]


def choose_amounts(
    hits: Sequence[AmountHit], n_lines: int, lexicon: Lexicon | None = None, weights: TotalWeights | None = None
) -> dict[str, Chosen]:
    """Pick total and the other money fields from labelled amounts, the total by the points of
    ``weights`` (default: ``config/scoring.yaml``'s)."""
    lex = lexicon if lexicon is not None else default_lexicon()
    w = weights if weights is not None else default_scoring().total
    arith = w.arithmetic
    out: dict[str, Chosen] = {}
    if not hits:
        return out
    counts = Counter(h.value for h in hits)
    paid = _last(hits, "paid")
    change = _last(hits, "change")
    subtotal = _last(hits, "subtotal")
    roundings = [h for h in hits if h.kind == "rounding" and abs(h.value) < 1]
    rounding = roundings[-1] if roundings else None
    taxes = [h for h in hits if h.kind == "tax"]
    discount = _last(hits, "discount")
    service = _last(hits, "service_charge")
    tip = _last(hits, "tip")

    sequence_bonus, tendered = _sequence_checks(hits, w)
    non_paid = [
        h.value for h in hits if h.kind not in ("paid", "change", "qty", "note", "tax") and h.value not in tendered
    ]
    summary_from = min((h.line for h in hits if h.kind == "note"), default=None)
    payment_end = max((h.line for h in hits if h.kind in ("paid", "change")), default=None)
    biggest = max(non_paid) if non_paid else None

    terms: dict[str, Decimal | None] = {
        "paid": paid.value if paid is not None else None,
        "change": change.value if change is not None else None,
        "service_charge": service.value if service is not None else None,
        "tip": tip.value if tip is not None else None,
        # a discount printed negative leads to an intermediate total (the service charge and tax
        # come after it): in the scoring only a positive one is taken off
        "discount": discount.value if discount is not None and discount.value > 0 else None,
    }
    adjust = {Decimal(0), rounding.value if rounding is not None else Decimal(0)}

    def parts(subtotal_value: Decimal, tax: Decimal, r: Decimal) -> Decimal:
        value = PARTS.value({**terms, "subtotal": subtotal_value, "tax": tax, "rounding": r})
        assert value is not None  # the subtotal is given
        return value

    # Each check below is a set look-up, so choosing stays linear in the number of amounts
    # (a 500-page typed PDF prints thousands; pairwise scans made it cubic).
    rounded_from = {h.value for h in hits if h.kind in ("total", "total_rounded", "subtotal")}
    from_subtotal: set[Decimal] = set()
    if subtotal is not None:
        levies = {Decimal(0), *(t.value for t in taxes)}
        from_subtotal = {parts(subtotal.value, levied, r) for levied in levies for r in adjust}
    # No subtotal label: an earlier "total" is the subtotal of the parts ("Total Sales 33.00 /
    # GST 1.98 / Rounding 0.02 / TOTAL 35.00").
    total_values = {h.value for h in hits if h.kind == "total" and h.value > 0}
    tax_values = {tax.value for tax in taxes if tax.value > 0}
    from_tax = {parts(b, levied, r) for b in total_values for levied in tax_values for r in adjust if levied + r > 0}

    items_above = _items_above(hits, tendered)

    def arithmetic(v: Decimal) -> float:
        bonus = 0.0
        if paid is not None and change is not None and change.value > 0 and TENDER.value(terms) == v:
            bonus += arith.tendered_less_change
        elif paid is not None and change is not None and change.value == 0 and TENDER.value(terms) == v:
            bonus += arith.tendered_exactly
        elif paid is not None and change is None and paid.value == v:
            bonus += arith.paid_no_change
        if (
            rounding is not None
            and rounding.value != 0
            and ROUNDED.solve({"total_rounded": v, "rounding": rounding.value}, "total") in rounded_from
        ):
            bonus += arith.rounded
        if subtotal is not None:
            if v != subtotal.value and v in from_subtotal:
                bonus += arith.parts
        elif taxes and v in from_tax:
            bonus += arith.parts
        return bonus + sequence_bonus.get(v, 0.0)

    # the items' sum checks a total only on a receipt that prints nothing between its items and its
    # total: with a subtotal, a tax or a tip read, what the items add up to is the subtotal
    between = any(h.kind in (*PARTS.plus, *PARTS.minus) for h in hits)

    def sums_items(h: AmountHit) -> bool:
        """Where no total label and none of the parts was read, the item prices above ``h`` add up to it."""
        count, value = items_above.get(h.line, (0, Decimal(0)))
        return not has_total and not between and count >= 2 and value == h.value

    def sums_groups(h: AmountHit) -> bool:
        """``h`` is printed after two group totals it is the sum of ("TOTAL 6% SUPPLIES (INC GST) 30.01",
        "TOTAL 0% SUPPLIES -7.43", "TOTAL PAYABLE 22.58")."""
        return any(
            b.line < h.line
            and first_line.get(h.value - b.value, b.line) < b.line
            and h.value not in (b.value, h.value - b.value)
            for b in group_totals
        )

    has_total = any(h.kind in ("total", "total_rounded") for h in hits)
    credits = any(h.value < 0 for h in hits)
    # the last group totals only: a receipt prints a few, a long document must stay linear
    group_totals = [h for h in hits if h.kind == "total" and not h.ambiguous][-_WINDOW:]
    first_line: dict[Decimal, int] = {}
    for g in group_totals:
        first_line.setdefault(g.value, g.line)
    labels = w.labels
    foreign = _foreign_totals(hits, paid, lex)
    scored: list[tuple[float, AmountHit]] = []
    for h in hits:
        if h.kind == "subtotal" and not has_total and h is subtotal:
            base = labels.subtotal_alone  # no total label was read ("Total (RM): Cea)")
        elif h.kind in ("total", "total_rounded"):
            base = labels.total if h.kind == "total" else labels.total_rounded
            if h.ambiguous:
                base += labels.paired_unsure
            if lex.final_total.search(h.label.upper()):
                base += labels.final
            elif h.kind == "total" and lex.strong_total.search(h.label.upper()):
                base += labels.strong
            if h.same_line:
                base += labels.same_line
        elif h.kind in ("", "rounding") or (h.ambiguous and h.kind not in ("paid", "change")):
            base = labels.unlabelled
        elif h.kind == "paid":
            base = labels.paid
        else:
            continue
        score = base + arithmetic(h.value) + w.repeated * min(counts[h.value] - 1, w.repeated_most)
        if sums_groups(h):
            score += arith.sums_groups
        if sums_items(h):
            score += arith.sums_items
        if biggest is not None and h.value == biggest:
            score += w.largest
        if h.value <= 0:
            score += w.not_positive
        if h.value in tendered and h.value not in sequence_bonus:
            score += w.tendered
        if h in foreign:
            score += w.other_currency
        if subtotal is not None and discount is None and not credits and h.value < subtotal.value - Decimal("0.10"):
            score += w.under_subtotal
        if summary_from is not None and h.line > summary_from and h.kind:
            score += w.tax_summary
        elif payment_end is not None and h.line > payment_end + 2 and h.kind:
            score += w.after_payment
        score += w.position * (h.line / max(n_lines, 1))
        scored.append((score, h))
    if scored:
        score, best = max(scored, key=lambda t: (t[0], t[1].line))
        source = Provenance.KEYWORD if best.kind else Provenance.POSITION
        conf = w.confidence.of(score, best.confidence)
        rival = max((s for s, h in scored if h.value != best.value), default=None)
        margin = round(score - rival, 3) if rival is not None else None
        out["total"] = Chosen(best.value, best.raw, best.line, round(conf, 3), source, margin)
        derived = _derived_total(hits, best, w.derived_share, paid, change, rounding, sequence_bonus)
        if derived is not None:
            out["total"] = derived
    elif paid is not None:
        v = paid.value - (change.value if change is not None else Decimal(0))
        out["total"] = Chosen(v, paid.raw, paid.line, w.paid_share * paid.confidence, Provenance.ARITHMETIC)

    total = out.get("total")
    for name, hit in (
        ("subtotal", subtotal),
        ("rounding", rounding),
        ("discount", discount),
        ("service_charge", service),
        ("tip", tip),
        ("paid", paid),
        ("change", change),
    ):
        if hit is not None and name in ("service_charge", "tip") and total is not None and hit.value >= total.value:
            continue  # a part of the total is less than it ("Steak Tip Skewers 12.98" read 212.98)
        if hit is not None:
            sure = round(w.parts_share * hit.confidence, 3)
            out[name] = Chosen(hit.value, hit.raw, hit.line, sure, Provenance.KEYWORD)
    if taxes:
        ok = [t for t in taxes if total is None or abs(t.value) < abs(total.value)]  # a refund's are negative
        if ok:
            t = ok[0]
            out["tax"] = Chosen(t.value, t.raw, t.line, round(w.parts_share * t.confidence, 3), Provenance.KEYWORD)
            count, items = items_above.get(min(x.line for x in ok), (0, Decimal(0)))
            before = subtotal.value if subtotal is not None else items if count >= 2 else None
            levied = _levies(ok, before, total, {**terms, "rounding": rounding.value if rounding else None})
            if levied is not None:
                out["tax"] = Chosen(levied, t.raw, t.line, round(w.parts_share * t.confidence, 3), Provenance.KEYWORD)
    return out


def included_tax(
    hits: Sequence[AmountHit], total: Decimal, lexicon: Lexicon | None = None, weights: TotalWeights | None = None
) -> Chosen | None:
    """The tax a tax-inclusive total holds, printed in a note ("GST included in total 0.45"): the
    receipt's tax where no line labels one, but no part of its sums (its subtotal already holds it)."""
    lex = lexicon if lexicon is not None else default_lexicon()
    w = weights if weights is not None else default_scoring().total
    included = [
        h
        for h in hits
        if h.kind in ("note", "") and 0 < h.value <= MAX_TAX_SHARE * total and _included_tax(h.label, lex)
    ]
    if not included:
        return None
    t = included[-1]
    return Chosen(t.value, t.raw, t.line, round(w.parts_share * t.confidence, 3), Provenance.KEYWORD)


_INCLUDED = regex.compile(
    r"\bINCLU\w*|\bINCL?\b\.?|\bINKL\w*\.?|\bIN\s+(?:THE\s+)?TOTAL\b|\bTOTAL\b", regex.IGNORECASE
)
"""The words by which a line says the total includes a tax (English, Spanish, Portuguese, German)."""


def _included_tax(label: str, lex: Lexicon) -> bool:
    """The note names a tax the total includes ("GST @6% INCLUDED IN TOTAL", "TOTAL INCLUDES 6% GST",
    "GST 9% INCL", "IVA INCLUIDO")."""
    return bool(_INCLUDED.search(label)) and lex.classify(_INCLUDED.sub(" ", label)) == "tax"


def _levies(
    taxes: Sequence[AmountHit], subtotal: Decimal | None, total: Chosen | None, terms: dict[str, Decimal | None]
) -> Decimal | None:
    """The taxes of several lines together ("GST 5% 0.67 / PST 7% 0.63") where only their sum settles
    subtotal + tax = total, else None; ``subtotal`` the printed one, else the items' sum above the taxes."""
    if subtotal is None or total is None:
        return None
    first: dict[int, Decimal] = {}
    for t in taxes:
        first.setdefault(t.line, t.value)
    if len(first) < 2:
        return None
    both = sum(first.values(), Decimal(0))

    def settles(tax: Decimal) -> bool:
        return PARTS.value({**terms, "subtotal": subtotal, "tax": tax}) == total.value

    return both if settles(both) and not settles(taxes[0].value) else None
