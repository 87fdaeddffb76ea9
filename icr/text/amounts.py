"""Money fields: find labelled amounts, then choose the total by cues, position and arithmetic.

Receipts print a label and its amount on one line (``TOTAL 12.50``) or, in
OCR output and box transcripts, on separate lines (``TOTAL:`` then ``12.50``,
sometimes several labels followed by their values). :func:`labelled_amounts`
pairs them; :func:`choose_amounts` picks total, subtotal, tax, paid, change...
checking them against each other (subtotal + tax = total, paid - change = total).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import regex

from icr.text.lines import Line
from icr.text.parsers import ParseOptions, find_amounts, parse_amount

# Label classes, tried in order; the first that matches names the amount's kind.
_F = r"{e<=1}"  # one OCR error allowed in long keywords (regex fuzzy matching)
LABEL_KINDS: list[tuple[str, regex.Pattern[str]]] = [
    ("note", regex.compile(r"\bINCLUDES?\b|\bINCLUDED\b|\bSUMMARY\b")),
    (
        "qty",
        regex.compile(
            r"\b(?:TOTAL|TTL|TAL)\s*(?:QTY|QUANTITY|ITEMS?|PCS|UNITS?|NO\.? OF)|\bNO\.?\s*OF\s*ITEMS?"
            r"|\bQTY\b|\bQUANTITY\b|\bITEM\s*COUNT"
        ),
    ),
    (
        "total_rounded",
        regex.compile(
            rf"(?:\bROUND\w*\s*(?:ED|D)?\s*:?\s*:?\w{{0,2}}\s*(?:TOTAL){_F}|(?:TOTAL){_F}\s*\(?\s*ROUND"
            rf"|\bNET(?:T)?\s*(?:TOTAL){_F}|\bNETT\b)"
        ),
    ),
    (
        "rounding",
        regex.compile(r"\bROU\w*\s*(?:ING|DING|D)?\s*(?:ADJ|ADJUSTMENT|AMT|OFF)?|\bADJUSTMENT\b|\bPEMBUNDARAN"),
    ),
    (
        "subtotal",
        regex.compile(
            rf"\bSUB\s*-?\s*(?:TOTAL){_F}|\bSUB\s*TTL"
            rf"|(?:TOTAL){_F}\s*(?:SALES\s*)?\(?\s*(?:EXCL|EXCLUDING|BEFORE|W/O|WITHOUT|NET OF)"
            r"|\bTOTAL\s*(?:AMOUNT\s*)?\(?EX(?:CL)?\.?\s*(?:GST|TAX|VAT|SST)|\bAMOUNT\s*\(?EXCL|\bNET\s*AMOUNT\b|\bSUBTOTAL"
        ),
    ),
    (
        "total",
        regex.compile(
            rf"(?:TOTAL){_F}.*\bINC(?:L\w*|\b)|\bAFTER\s*(?:ADJ|ROUND)\w*"
            r"|\bTOTAL\s*WITH\s*(?:GST|TAX|VAT|SST)"
        ),
    ),
    ("subtotal", regex.compile(r"\bEXCL\w*\.?\s*(?:OF\s*)?(?:GST|TAX|VAT|SST)|\bBEFORE\s*(?:GST|TAX|VAT|SST)")),
    (
        "total",
        regex.compile(
            r"\b(?:AMT|AMOUNT|PAID|SALES|PAYABLE|DUE)\b.*\bINC(?:L\w*)?\b\.?\s*(?:OF\s*)?(?:GST|TAX|VAT|SST)"
        ),
    ),
    ("total", regex.compile(r"\bTO\s*BE\s*PAID|\bTO\s*PAY\b|\bAMOUNT\s*PAYABLE")),
    ("discount", regex.compile(r"\bDISC\w*|\bSAVINGS?\b|\bYOU SAVED?\b|\bVOUCHER\b|\bLESS\b|\bPROMO\w*|\bCOUPON")),
    ("change", regex.compile(r"\bCHANGE\b|\bCHG\b|\bCHANGE\s*DUE|\bBAKI\b|\bKEMBALI|\bCHANGE\w*")),
    # A "tip guide" (15%=1.89, 18%=2.27) suggests tips; it is not one.
    (
        "tip",
        regex.compile(r"\b(?<!SUGGESTED\s)TIPS?\b(?!\s*(?:GUIDE|SUGGEST|CALC))|\bGRATUITY|\bTRINKGELD|\bPOURBOIRE"),
    ),
    ("service_charge", regex.compile(r"\bSERVICE\s*(?:CHARGE|CHG|CHRG|TAX|FEE)?|\bSVC\b|\bS/?C\b")),
    (
        "tax",
        regex.compile(
            r"(?:\bTOTAL\s*)?\b(?:GST|SST|VAT|TAX|HST|PST|MWST|TVA|IVA|CUKAI)\b(?!\s*(?:ID|NO|REG|INV|INVOICE|SUMMARY))"
            r"(?!.*\b(?:INC|INCL|INCLUSIVE|INCLUDED)\b)"
        ),
    ),
    (
        "paid",
        regex.compile(
            r"\bCASH\b|\bPAID\b|\bACCEPTED\b|\bTENDER\w*|\bPAYMENT\b|\bRECEIVED\b|\bVISA\b|\bMASTER\w*|\bAMEX\b|\bCARD\b|\bDEBIT\b"
            r"|\bCREDIT\b|\bTUNAI\b|\bE-?WALLET|\bBOOST\b|\bGRABPAY|\bCHEQUE"
        ),
    ),
    (
        "total",
        regex.compile(
            rf"(?:GRAND\s*)?(?:TOTAL){_F}|\bTTL\b|\bAMOUNT\s*DUE|\bAMT\s*DUE|\bBALANCE\s*DUE|\bTO\s*PAY\b|\bJUMLAH\b"
            r"|\bAMOUNT\s*PAYABLE|\bNET\s*PAYABLE|\bSUMME\b|\bTOTAAL\b|\bMONTANT\b|\bDUE\b|\bTOTAL\b"
        ),
    ),
]

FINAL_TOTAL = regex.compile(
    r"GRAND\s*TOTAL|FINAL\s*TOTAL|PAYABLE|AMOUNT\s*DUE|AMT\s*DUE|BALANCE\s*DUE|TOTAL\s*DUE|AFTER\s*(?:ADJ|ROUND)|ROUNDED|NETT?\s*TOTAL"
)
STRONG_TOTAL = regex.compile(
    r"GRAND\s*TOTAL|AMOUNT\s*DUE|AMT\s*DUE|BALANCE\s*DUE|TOTAL\s*(?:AMOUNT|AMT|DUE|PAYABLE|RM|\(RM\)|SALES|INCL|\(INCL|INC\b|SGD|USD|EUR|\$)"
    r"|TOTAL\s*\(?\s*INCL|INCLUSIVE|PAYABLE|\bTOTAL\s*:?\s*$"
)


def classify_label(label: str) -> str:
    """The kind of amount a label names (``"total"``, ``"tax"``, ``"paid"``...), or ``""``."""
    up = label.upper()
    for kind, pattern in LABEL_KINDS:
        if pattern.search(up):
            return kind
    return ""


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


_CURRENCY_WORD = regex.compile(r"\b(?:RM|MYR|USD|SGD|EUR|GBP)\b|[$€£]", regex.IGNORECASE)


def _label_text(text: str) -> str:
    words = " ".join(regex.sub(r"[^\p{L}\s/&%@()-]", " ", text).split())
    # a label needs a real word: not a currency mark nor a tax code such as "S" or "SR"
    return words if regex.search(r"\p{L}{3,}", _CURRENCY_WORD.sub("", words)) else ""


_OWN_NUMBER = regex.compile(r":\s*\d+\s*$")
"""``QTY(S) : 9``: a label line carrying its own (non-money) value."""

_TRANSPARENT = regex.compile(r"[\W_]*(?:RM|MYR|USD|SGD|EUR|GBP|\(RM\)|[$€£])?[\W_]*", regex.IGNORECASE)


def labelled_amounts(lines: Sequence[Line], opts: ParseOptions | None = None) -> list[AmountHit]:
    """Every amount with its label, pairing label-only lines with following amount-only lines."""
    opts = opts or ParseOptions()
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
                    lab = _label_text(labels[i - offset].text)
                    hits.append(
                        AmountHit(
                            value,
                            raw,
                            ln.index,
                            lab,
                            classify_label(lab),
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
        if _TRANSPARENT.fullmatch(ln.text):
            continue  # ":" or "RM" alone between a label and its value
        amounts = _amounts_in(ln.text, opts)
        if not amounts:
            flush()
            if _label_text(ln.text) and not _OWN_NUMBER.search(ln.text):
                pending.append(ln)
                pending = pending[-12:]
            else:
                pending = []
            continue
        first_start = amounts[0][2]
        label = _label_text(ln.text[:first_start])
        if not label:
            after = ln.text[amounts[-1][2] :]
            after_label = _label_text(regex.sub(r"^\S+", "", after))
            label = after_label if len(amounts) == 1 else ""
        if label:
            flush()
            pending = []
            # "TOTAL SAVING 0.00 TOTAL 12.00": each amount has its own label when the text between
            # amounts carries one; otherwise ("TOTAL 2 9.00") the last amount is the labelled one
            between = [label] + [
                _label_text(ln.text[amounts[j - 1][2] + len(amounts[j - 1][1]) : amounts[j][2]])
                for j in range(1, len(amounts))
            ]
            own = any(between[1:])
            kind = classify_label(label)
            for j, (value, raw, _) in enumerate(amounts):
                if own:
                    lab = between[j]
                    hits.append(
                        AmountHit(
                            value, raw, ln.index, lab, classify_label(lab) if lab else "", bool(lab), ln.confidence
                        )
                    )
                    continue
                labelled = j == len(amounts) - 1
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
    return hits


def _amounts_in(text: str, opts: ParseOptions) -> list[tuple[Decimal, str, int]]:
    found = find_amounts(text)
    if opts.decimal == ",":
        redone: list[tuple[Decimal, str, int]] = []
        for _, raw, start in found:
            v = parse_amount(raw, opts)
            if v is not None:
                redone.append((v, raw, start))
        return redone
    return found


def _sequence_checks(hits: Sequence[AmountHit]) -> tuple[dict[Decimal, float], set[Decimal]]:
    """Bonuses from amounts that check each other whatever their labels say.

    ``X, r, X + r`` with a small ``r`` is a total, its rounding and the rounded
    total; ``T ... P ... C`` within a few lines with ``P - C = T`` is total, cash
    tendered and change.
    """
    bonus: dict[Decimal, float] = {}
    tendered: set[Decimal] = set()
    vals = [h for h in hits if h.kind not in ("qty", "note")]
    for i in range(len(vals) - 2):
        a, r, b = vals[i], vals[i + 1], vals[i + 2]
        if Decimal(0) < abs(r.value) < Decimal("0.10") and a.value + r.value == b.value:
            bonus[b.value] = max(bonus.get(b.value, 0.0), 3.0)
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
        for j, p in enumerate(window):
            if p.kind not in ("paid", "") and not p.ambiguous:
                continue  # subtotal + tax = total is not cash - change = total
            for c in window[j + 1 :]:
                if (c.kind not in ("change", "") and not c.ambiguous) or (c.kind == "" and c.line - p.line > 2):
                    continue
                if c.value > 0 and p.value - c.value == t.value:
                    bonus[t.value] = max(bonus.get(t.value, 0.0), 2.5)
                    tendered.update((p.value, c.value))
    return bonus, tendered


_WINDOW = 24
"""Amounts after a total looked at for tendered and change (a receipt prints a handful)."""


@dataclass(frozen=True)
class Chosen:
    value: Decimal
    raw: str
    line: int
    confidence: float
    source: str


def _last(hits: Sequence[AmountHit], kind: str) -> AmountHit | None:
    found = [h for h in hits if h.kind == kind]
    return found[-1] if found else None


def one_digit_apart(a: Decimal, b: Decimal) -> bool:
    """``30.30`` and ``30.90``: the same length, one digit different (a likely OCR misreading)."""
    x, y = f"{a:.2f}", f"{b:.2f}"
    return len(x) == len(y) and sum(c != d for c, d in zip(x, y, strict=True)) == 1


def one_digit_lost(printed: Decimal, value: Decimal) -> bool:
    """``5.80`` for ``35.80``: ``value`` with one digit OCR did not read."""
    x, y = f"{printed:.2f}", f"{value:.2f}"
    return len(y) == len(x) + 1 and any(y[:i] + y[i + 1 :] == x for i in range(len(y)) if y[i].isdigit())


def _derived_total(
    hits: Sequence[AmountHit],
    best: AmountHit,
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
    if (
        paid is not None
        and change is not None
        and not paid.ambiguous
        and not change.ambiguous
        and change.value > 0
        and paid.value - change.value > 0
    ):
        from_change = paid.value - change.value
    from_rounding = {
        h.value + rounding.value
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
                (one_digit_apart(best.value, from_change) or one_digit_lost(best.value, from_change))
                and paid is not None
                and paid.value == paid.value.to_integral()
            )
        )
    ):
        src = paid if paid is not None else best
        return Chosen(from_change, f"{from_change:.2f}", src.line, round(0.6 * src.confidence, 3), "arithmetic")
    return None


def choose_amounts(hits: Sequence[AmountHit], n_lines: int) -> dict[str, Chosen]:
    """Pick total and the other money fields from labelled amounts."""
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

    sequence_bonus, tendered = _sequence_checks(hits)
    non_paid = [
        h.value for h in hits if h.kind not in ("paid", "change", "qty", "note", "tax") and h.value not in tendered
    ]
    summary_from = min((h.line for h in hits if h.kind == "note"), default=None)
    payment_end = max((h.line for h in hits if h.kind in ("paid", "change")), default=None)
    biggest = max(non_paid) if non_paid else None

    # Each check below is a set look-up, so choosing stays linear in the number of amounts
    # (a 500-page typed PDF prints thousands; pairwise scans made it cubic).
    rounded_from = {h.value for h in hits if h.kind in ("total", "total_rounded", "subtotal")}
    from_subtotal: set[Decimal] = set()
    if subtotal is not None:
        extra = sum((h.value for h in (service, tip) if h is not None), Decimal(0))
        less = discount.value if discount is not None and discount.value > 0 else Decimal(0)
        for levied in {Decimal(0), *(tax.value for tax in taxes)}:
            for r in (rounding.value if rounding is not None else Decimal(0), Decimal(0)):
                from_subtotal.add(subtotal.value + levied + extra - less + r)
    # No subtotal label: an earlier "total" plus the tax ("Total Sales 33.00 / GST 1.98 /
    # Rounding 0.02 / TOTAL 35.00"); b + tax + r == v with 0 < b < v.
    adjust = {Decimal(0), rounding.value if rounding is not None else Decimal(0)}
    total_values = {h.value for h in hits if h.kind == "total" and h.value > 0}
    tax_values = {tax.value for tax in taxes if tax.value > 0}
    from_tax = {b + levied + r for b in total_values for levied in tax_values for r in adjust if levied + r > 0}

    def arithmetic(v: Decimal) -> float:
        bonus = 0.0
        if paid is not None and change is not None and paid.value - change.value == v and change.value > 0:
            bonus += 3.5
        elif paid is not None and change is not None and paid.value == v and change.value == 0:
            bonus += 1.5
        elif paid is not None and change is None and paid.value == v:
            bonus += 1.0
        if rounding is not None and rounding.value != 0 and v - rounding.value in rounded_from:
            bonus += 3.0
        if subtotal is not None:
            if v != subtotal.value and v in from_subtotal:
                bonus += 1.5
        elif taxes and v in from_tax:
            bonus += 1.5
        return bonus + sequence_bonus.get(v, 0.0)

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
    scored: list[tuple[float, AmountHit]] = []
    for h in hits:
        if h.kind == "subtotal" and not has_total and h is subtotal:
            base = 1.0  # no total label was read ("Total (RM): Cea)"): the subtotal may be the total
        elif h.kind in ("total", "total_rounded"):
            base = 4.0 if h.kind == "total" else 5.0
            if h.ambiguous:
                base -= 2.0
            if FINAL_TOTAL.search(h.label.upper()):
                base += 1.5
            elif h.kind == "total" and STRONG_TOTAL.search(h.label.upper()):
                base += 0.7
            if h.same_line:
                base += 0.3
        elif h.kind in ("", "rounding") or (h.ambiguous and h.kind not in ("paid", "change")):
            base = 0.5
        elif h.kind == "paid":
            base = -0.5  # only arithmetic can make a tendered amount the total
        else:
            continue
        score = base + arithmetic(h.value) + 0.4 * min(counts[h.value] - 1, 3)
        if sums_groups(h):
            score += 1.5
        if biggest is not None and h.value == biggest:
            score += 0.5
        if h.value <= 0:
            score -= 4.0
        if h.value in tendered and h.value not in sequence_bonus:
            score -= 2.0
        if subtotal is not None and discount is None and not credits and h.value < subtotal.value - Decimal("0.10"):
            score -= 2.0  # less than the subtotal with nothing taken off: a misread or another amount
        if summary_from is not None and h.line > summary_from and h.kind:
            score -= 2.0  # "TOTAL" in a tax summary table below the payment
        elif payment_end is not None and h.line > payment_end + 2 and h.kind:
            score -= 1.0
        score += 0.3 * (h.line / max(n_lines, 1))
        scored.append((score, h))
    if scored:
        score, best = max(scored, key=lambda t: (t[0], t[1].line))
        source = "keyword" if best.kind else "position"
        conf = min(1.0, 0.35 + 0.1 * score) * best.confidence
        out["total"] = Chosen(best.value, best.raw, best.line, round(conf, 3), source)
        derived = _derived_total(hits, best, paid, change, rounding, sequence_bonus)
        if derived is not None:
            out["total"] = derived
    elif paid is not None:
        v = paid.value - (change.value if change is not None else Decimal(0))
        out["total"] = Chosen(v, paid.raw, paid.line, 0.4 * paid.confidence, "arithmetic")

    for name, hit in (
        ("subtotal", subtotal),
        ("rounding", rounding),
        ("discount", discount),
        ("service_charge", service),
        ("tip", tip),
        ("paid", paid),
        ("change", change),
    ):
        if hit is not None:
            out[name] = Chosen(hit.value, hit.raw, hit.line, round(0.8 * hit.confidence, 3), "keyword")
    if taxes:
        total = out.get("total")
        ok = [t for t in taxes if total is None or t.value < total.value]
        if ok:
            t = ok[0]
            out["tax"] = Chosen(t.value, t.raw, t.line, round(0.8 * t.confidence, 3), "keyword")
    return out
