"""Extractors for the non-money fields: date, time, phone, tax id, receipt number...

Each takes the document's lines and returns a :class:`Found` (typed value, raw
text, line, confidence, how it was found) or ``None``.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import regex

from icr.text.amounts import AmountHit
from icr.text.ledger import Provenance
from icr.text.lines import Line
from icr.text.locale_models import SlipScope
from icr.text.locales import Lexicon
from icr.text.parsers import (
    ParseOptions,
    find_amounts,
    find_dates,
    parse_card_last4,
    parse_payment_method,
    parse_percent,
    parse_phone,
    parse_receipt_number,
    parse_tax_id,
    parse_time,
)
from icr.text.phones import find_phone, valid_phone
from icr.text.taxids import checked_number
from icr.types import TypedValue

DENSE_MARKS = 3
"""A weak mark (``$``) before this many amounts is the document's own even where the chosen packs' country
does not print it: an Ecuadorian receipt (dollars) read with the Spanish pack, not specks."""


@dataclass(frozen=True)
class Found:
    value: TypedValue
    raw: str
    line: int
    confidence: float
    source: str
    margin: float | None = None
    """The chosen value's score less the best score of another value (None: no rival)."""


def extract_date(lines: Sequence[Line], opts: ParseOptions, today: dt.date | None = None) -> Found | None:
    """The document date: a labelled date first, else the earliest plausible date."""
    latest = (today or dt.date.today()) + dt.timedelta(days=366)
    best: tuple[float, Found] | None = None
    scores: dict[dt.date, float] = {}  # per date: its best score (a date printed twice is one candidate)
    n = max(len(lines), 1)
    lex, w = opts.lex, opts.weights.date
    for i, ln in enumerate(lines):
        dates = find_dates(ln.text, opts)
        if not dates:
            continue
        prev = lines[i - 1].text if i > 0 else ""
        for k, (value, raw, start) in enumerate(dates):
            score = w.base
            before = ln.text[:start]
            label = lex.date_label
            if label.search(before) or (not before.strip() and label.search(prev) and not find_dates(prev, opts)):
                score += w.label
            after = ln.text[start + len(raw) : start + len(raw) + 15]
            if lex.not_doc_date.search(before) or lex.not_doc_date.search(after):
                score += w.not_document_date
            if parse_time(ln.text[start + len(raw) :]) is not None:
                score += w.time_after
            if value > latest or value.year < 2000:
                score += w.implausible
            score += w.position * (i / n) + w.later_on_line * k
            if regex.fullmatch(r"\d{8}", raw):
                score += w.eight_digits
            conf = max(w.confidence.of(score, ln.confidence), w.least_confidence)
            how = "keyword" if score >= w.keyword_from else "position"
            found = Found(value, raw, ln.index, round(conf, 3), how)
            scores[value] = max(score, scores.get(value, score))
            if best is None or score > best[0]:
                best = (score, found)
    if best is None:
        return None
    score, found = best
    rival = max((s for d, s in scores.items() if d != found.value), default=None)
    return replace(found, margin=round(score - rival, 3)) if rival is not None else found


def extract_time(lines: Sequence[Line], opts: ParseOptions) -> Found | None:
    """The first time of day, preferring one labelled TIME or printed next to a date."""
    candidates: list[tuple[float, Found]] = []
    for i, ln in enumerate(lines):
        t = parse_time(ln.text)
        if t is None:
            continue
        score = 1.0 - 0.01 * i
        if opts.lex.time_label.search(ln.text) or find_dates(ln.text, opts):
            score += 1.0
        conf = (0.85 if score > 1.5 else 0.6) * ln.confidence
        how = "keyword" if score > 1.5 else "position"
        candidates.append((score, Found(t, ln.text, ln.index, round(conf, 3), how)))
    return max(candidates, key=lambda c: c[0])[1] if candidates else None


def _labelled(
    lines: Sequence[Line], label: regex.Pattern[str], parse: Callable[[str], TypedValue], confidence: float = 0.8
) -> Found | None:
    for i, ln in enumerate(lines):
        m = label.search(ln.text)
        if not m:
            continue
        value = parse(ln.text[m.start() :])
        if value is None and i + 1 < len(lines) and not label.search(lines[i + 1].text):
            value = parse(lines[i + 1].text)
            if value is not None:
                return Found(
                    value,
                    lines[i + 1].text,
                    lines[i + 1].index,
                    round(confidence * 0.9 * lines[i + 1].confidence, 3),
                    "keyword",
                )
        if value is not None:
            return Found(value, ln.text, ln.index, round(confidence * ln.confidence, 3), "keyword")
    return None


HEAD_LINES = 14
"""The lines at a document's top (its name, address and contact details) an unlabelled telephone
number is looked for in."""
MOST_LABELS = 12
"""Labels a phone or tax number is checked after, in order: a receipt prints its numbers once or twice
near the top or the foot; a long document's every tax line and stray label (the T of ``-T)``) are not
all checked."""


def _after_labels(lines: Sequence[Line], label: regex.Pattern[str]) -> Iterator[tuple[Line, str]]:
    """What follows each of the first :data:`MOST_LABELS` matches of ``label``: the rest of its line
    and that line, or the next line whole where the label ends its line (no digit after it)."""
    found = ((i, m) for i, ln in enumerate(lines) for m in label.finditer(ln.text))
    for i, m in itertools.islice(found, MOST_LABELS):
        rest = lines[i].text[m.end() :]
        if any(c.isdigit() for c in rest) or i + 1 == len(lines):
            yield lines[i], rest
        else:
            yield lines[i + 1], lines[i + 1].text


def extract_phone(lines: Sequence[Line], opts: ParseOptions) -> Found | None:
    """The first labelled telephone number valid in the document's countries (or written with its
    country code), in E.164 form; else the first one of a length they could dial, as printed. With no
    country chosen, else the first labelled number as printed; in a known country a number none of
    its plans could dial is no telephone number (a GST number after the ``T`` of ``315481-T)``), and
    with no label at all the first valid one among the document's top lines ("(206) 285-8424" under
    the address)."""
    lex, w = opts.lex, opts.weights.phone
    label = lex.phone_label
    possible: Found | None = None
    for at, text in _after_labels(lines, label):
        found = find_phone(text, lex.countries)
        if found is None:
            continue
        number, valid = found
        if valid:
            return Found(number, at.text, at.index, round(w.valid * at.confidence, 3), "keyword")
        if possible is None:
            possible = Found(number, at.text, at.index, round(w.possible * at.confidence, 3), "keyword")
    if possible is not None or not lex.countries:
        return possible or _labelled(lines, label, lambda s: parse_phone(label.sub(" ", s, count=1)), w.as_read)
    # no label: a number valid in the country, printed under the name and address (not a date or time)
    for ln in lines[:HEAD_LINES]:
        unlabelled = valid_phone(ln.text, lex.countries)
        if unlabelled is not None and not find_dates(unlabelled[1], opts) and parse_time(unlabelled[1]) is None:
            return Found(unlabelled[0], ln.text, ln.index, round(w.unlabelled * ln.confidence, 3), "position")
    return None


def extract_tax_id(lines: Sequence[Line], opts: ParseOptions) -> Found | None:
    """The first labelled tax or company number whose check digits agree with a scheme of the
    document's countries (on the label's line, or the next when the label ends its line), else the
    first labelled number as read, less sure where such schemes exist."""
    lex, w = opts.lex, opts.weights.tax_id
    if lex.tax_id_schemes:
        for at, text in _after_labels(lines, lex.tax_id_label):
            number = checked_number(text, lex.tax_id_schemes)
            if number is not None:
                return Found(number, at.text, at.index, round(w.checked * at.confidence, 3), "keyword")
    sure = w.check_failed if lex.own_tax_ids else w.unchecked
    return _labelled(lines, lex.tax_id_label, lambda s: parse_tax_id(s, opts), confidence=sure)


def extract_receipt_number(lines: Sequence[Line], opts: ParseOptions) -> Found | None:
    label = opts.lex.receipt_label
    return _labelled(lines, label, lambda s: parse_receipt_number(label.sub(" ", s, count=1)))


def extract_card_last4(lines: Sequence[Line], opts: ParseOptions) -> Found | None:
    return _labelled(lines, opts.lex.card_label, parse_card_last4, confidence=0.75)


def extract_payment_method(
    lines: Sequence[Line], opts: ParseOptions, hits: Sequence[AmountHit] = ()
) -> Found | None:
    """How the document was paid: a payment word on a tender line (the label of the amount paid or
    of the change, a label line just above an amount, a line with an amount), else on a line that
    names the method without its amount (``opts.lex.payment_named``: ``VISA ****1234``, ``PAY BY:
    CASH``). A payment word elsewhere is no payment: ``Check #93`` numbers a bill, ``NO CASH REFUND``
    is a policy. Of the surest, a card wins (a card slip and a cash line are a split bill's), else
    the last."""
    lex = opts.lex
    found: list[tuple[int, Found]] = []
    by_index = {ln.index: ln for ln in lines}
    has_amount: dict[int, bool] = {}

    def amount_on(ln: Line) -> bool:
        if ln.index not in has_amount:
            has_amount[ln.index] = bool(find_amounts(ln.text, lex))
        return has_amount[ln.index]

    def add(strength: int, ln: Line, share: float) -> None:
        method = parse_payment_method(ln.text, opts) if lex.payment_label.search(ln.text) else None
        if method is not None:
            found.append((strength, Found(method, ln.text, ln.index, round(share * ln.confidence, 3), "keyword")))

    for hit in hits:
        tender = hit.kind in ("paid", "change")
        method = parse_payment_method(hit.label, opts) if tender and hit.label else None
        if method is not None:
            found.append((2, Found(method, hit.label, hit.line, round(0.7 * hit.confidence, 3), "keyword")))
            continue
        # else the label lines just above the amount ("PAYMENT MODE / AMOUNT / CASH / 8.20")
        reach = _TENDER_REACH if tender else 1
        for back in range(reach + 1):
            ln = by_index.get(hit.line - back)
            if ln is None or (back and amount_on(ln)):
                break
            if back and (tender or len(ln.text.split()) <= _LABEL_WORDS):
                add(2, ln, 0.7)
    above = ""
    for ln in lines:
        if lex.payment_label.search(ln.text):
            if amount_on(ln):
                add(2, ln, 0.7)
            elif lex.payment_named.search(ln.text) or lex.payment_named.search(above) or _alone(ln.text, lex):
                add(1, ln, 0.6)  # "VISA ****1234", "PAYMENT TYPE: / CASH", "CASH :" (its amount elsewhere)
        above = ln.text
    if not found:
        return None
    surest = max(strength for strength, _ in found)
    best = [f for strength, f in sorted(found, key=lambda t: t[1].line) if strength == surest]
    return next((f for f in best if f.value == "card"), best[-1])


def _alone(text: str, lex: Lexicon) -> bool:
    """A line that is a payment word and nothing else but a currency mark or punctuation (a tender's
    label whose amount stands in another column); not a number's label ("CHECK #:")."""
    if "#" in text:
        return False
    words = [w for w in _WORD_RUN.findall(text.upper()) if lex.currency_code(w) is None]
    return len(words) == 1 and words[0] in lex.payment_methods


_WORD_RUN = regex.compile(r"[\p{L}-]+")
_TENDER_REACH = 3  # label lines above a tender amount that may be its label ("PAYMENT MODE / AMOUNT / CASH")
_LABEL_WORDS = 3  # a label line above any amount names its payment in this many words at most ("CASH :")


def extract_tax_rate(lines: Sequence[Line], opts: ParseOptions) -> Found | None:
    for ln in lines:
        if opts.lex.tax_rate_label.search(ln.text):
            rate = parse_percent(ln.text)
            if rate is not None and 0 < rate < 50:
                return Found(rate, ln.text, ln.index, round(0.8 * ln.confidence, 3), "keyword")
    return None


def extract_currency(lines: Sequence[Line], opts: ParseOptions) -> Found | None:
    """The currency most marks on the document name. A weak mark (``$``, also OCR's reading of specks)
    counts half, and not at all from a country that does not print it unless it comes
    :data:`DENSE_MARKS` times; a mark of the country of the applied locale packs counts double. Without a mark,
    the currency of the applied packs' country when they name one."""
    lex, home = opts.lex, opts.lex.home_currencies
    votes: dict[str, float] = {}
    first: dict[str, Line] = {}
    marks = [
        (ln, cur)
        for ln in lines
        for m in _currency_mark(lex.currency_alt).finditer(lex.repair(SlipScope.AMOUNT, ln.text))
        if (cur := lex.currencies.get(m.group(0).upper())) is not None
    ]
    foreign = Counter(cur.code for _, cur in marks if cur.weak and home and cur.code not in home)
    for ln, cur in marks:
        code = cur.code
        if cur.weak and 0 < foreign[code] < DENSE_MARKS:
            continue  # "$" here and there on a receipt from a country that does not print it: OCR specks
        weight = (0.5 if cur.weak else 1.0) * (2.0 if code in home else 1.0)
        votes[code] = votes.get(code, 0.0) + weight
        first.setdefault(code, ln)
    if votes:
        code = max(votes, key=lambda c: votes[c])
        return Found(code, first[code].text, first[code].index, round(min(1.0, 0.5 + 0.1 * votes[code]), 3), "keyword")
    if opts.currency:
        return Found(opts.currency, "", -1, 0.5, "template")
    if len(home) == 1:  # one country's packs apply: its currency, printed or not
        return Found(next(iter(home)), "", -1, 0.4, Provenance.LOCALE)
    if opts.hint_currency:  # only one country's cues show at all (a US phone number): a guess
        return Found(opts.hint_currency, "", -1, 0.3, Provenance.LOCALE)
    return None


@functools.cache
def _currency_mark(currency_alt: str) -> regex.Pattern[str]:
    # a mark in letters starts a word ("CHAUD" holds no AUD); a sign may be glued to one ("TOTAL$5");
    # marks are known in capitals and printed in either case before an amount ("Rp 22.500", "Rs. 350"),
    # in capitals only at a line's end ("Dining Rm" is a room)
    start = r"(?:(?<!\p{L})|(?!\p{L}))"
    return regex.compile(rf"{start}(?:(?:{currency_alt})(?=\s*$|\s*\))|(?i:{currency_alt})(?=\s?\d))")


EXTRACTORS: dict[str, Callable[[Sequence[Line], ParseOptions], Found | None]] = {
    "date": extract_date,
    "time": extract_time,
    "phone": extract_phone,
    "tax_id": extract_tax_id,
    "receipt_number": extract_receipt_number,
    "card_last4": extract_card_last4,
    "tax_rate": extract_tax_rate,
    "currency": extract_currency,
}
"""Field name -> extractor over the document's lines."""
