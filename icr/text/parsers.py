"""Tiny named field parsers: text in, a real Python value out (or ``None``).

Each parser takes the raw text of a value (as found on a receipt, possibly with
OCR confusions) and a :class:`ParseOptions` carrying the document's locale
choices; it returns a typed value: ``Decimal`` for money, ``datetime.date``,
``datetime.time``, ``str``. Parsers are registered by name in :data:`PARSERS`
so templates can say ``type: amount``.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import regex

from icr.text.locales import DIGIT_CONFUSIONS, SPACELESS, Lexicon, SlipScope, default_lexicon, plain
from icr.text.scoring import Scoring, default_scoring
from icr.types import TypedValue

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ParseOptions:
    """Per-document choices the parsers need."""

    day_first: bool = True
    """Date order for ambiguous numeric dates (``03/04/2018``)."""
    decimal: str | None = None
    """``"."`` or ``","``; ``None`` = infer from the token itself."""
    currency: str | None = None
    hint_currency: str | None = None
    """The currency of the one pack whose cues show too weakly to be chosen: a guess, when nothing better."""
    lexicon: Lexicon | None = None
    """The applied locale packs; ``None``: every pack."""
    scoring: Scoring | None = None
    """The points of the evidence for a field; ``None``: ``config/scoring.yaml``'s."""

    @property
    def lex(self) -> Lexicon:
        return self.lexicon if self.lexicon is not None else default_lexicon()

    @property
    def weights(self) -> Scoring:
        return self.scoring if self.scoring is not None else default_scoring()


# ---------------------------------------------------------------- amounts

_DIGIT_CONFUSIONS = DIGIT_CONFUSIONS


@functools.cache
def _currency_re(alt: str) -> regex.Pattern[str]:
    return regex.compile(alt, regex.IGNORECASE)


@functools.cache
def amount_token(
    currency_alt: str,
    point_groups: bool = False,
    whole_alt: str = "(?!)",
    whole_after: str = "(?!)",
    spaceless: bool = False,
) -> regex.Pattern[str]:
    """An amount-shaped token, optionally after a currency mark of ``currency_alt``; with
    ``point_groups`` (a decimal-comma locale) also whole amounts grouped by points (``47.500``); a
    whole number right after a mark of ``whole_alt`` (a currency without cents: ``¥290``) or, grouped
    by spaces or points or not, right before a mark of ``whole_after`` (``3 490 Ft``); with
    ``spaceless`` (a language written without spaces) also right after a letter of such a script
    (``合計3,300円``: the label glued to its amount), and never grouped by a space (``1 980円``)."""
    grouped = r"| [0-9]{1,3}(?:\.[0-9]{3})+  # 47.500" if point_groups else ""
    # after a mark of a currency without cents a point groups thousands too: "¥1.480" (a comma misread)
    grouped += "\n" + rf"| (?<=(?:{whole_alt})\s?)(?:[0-9]{{1,3}}(?:[.,][0-9]{{3}})+|[0-9]{{1,9}})  # ¥290, ¥1.480"
    before_mark = rf"(?=\s?(?i:{whole_after})(?!\p{{L}}))"
    # a language written without spaces groups no thousands by them: "1 980円" is a quantity and a price
    space = "" if spaceless else r"\ "
    grouped += "\n" + rf"| (?:[0-9]{{1,3}}(?:[{space}.][0-9]{{3}})+|[0-9]{{1,9}}){before_mark}  # 3 490 Ft"
    apart = rf"(?:(?<![\w.,/-])|(?<={SPACELESS}))" if spaceless else r"(?<![\w.,/-])"
    token = _AMOUNT_TOKEN.replace("CURRENCY", currency_alt).replace("#GROUPED", grouped).replace("APART", apart)
    token = token.replace("GROUP_SPACE", space)
    return regex.compile(token, regex.VERBOSE)


_AMOUNT_TOKEN = (
    r"""
    (?:
        APART                                    # not glued to another token
        (?P<neg>-\s?)?
        (?P<cur>CURRENCY\s?)?
        (?P<neg2>-)?
      | (?<=[\p{L}\d])CURRENCY(?=[0-9OSlIB]*[0-9])   # TOTALRM21.85: a label glued to the mark
      | (?<=[.·…]{2})(?=[0-9])                    # TOTAL.....12.50: dot leaders run into the amount
    )
    (?<![0-9]:)                                   # a time's minutes start no amount ("10:15 210,59")
    (?P<num>
        [0-9]{1,2}(?:,[0-9]{2})+,[0-9]{3}(?:\.[0-9]{2})?           # 1,05,000.00 (lakhs and crores)
      | [0-9OSlIB]{1,3}(?:[,.'GROUP_SPACE][0-9OSlIB]{3})+[.,][0-9OSlIB]{2}   # 1,234.56 / 1.234,56 / 1 234,56
      | [0-9OSlIB]*[0-9][0-9OSlIB]*[.,][0-9OSlIB]{2}               # 12.59 / 12,59 / l2.5O
      | [0-9]{1,3}(?:,[0-9]{3})+                                  # 1,234
      | (?<=(?:^|-|\s|\p{Sc})\s?)\.[0-9]{2}                       # -.01 / CHANGE RM .40 / $.83
      | [0-9]{1,3}(?:[.'][0-9]{3})*[.,][-–—](?![\w-])             # 12,- / 12.– / 1'234.-: no cents
      #GROUPED
    )
    (?P<neg3>-)?
    (?![\w.,/:%-]*[0-9])                          # not the start of a longer number
    (?![%])
    """
)


def _clean_number(num: str) -> str:
    return num.translate(_DIGIT_CONFUSIONS)


_WIDE_SPACES = str.maketrans(dict.fromkeys("\u00a0\u2007\u2009\u202f", " "))
"""No-break, figure, thin and narrow no-break spaces, which group thousands in typed and exported
text (``1 234,56``): an ordinary space for the amount shapes (one character for one: offsets hold)."""


_ONE_MARK_GROUPED = regex.compile(r"[0-9]{1,3}(?:([.,])[0-9]{3})+\1[0-9]{1,2}")
"""Thousands grouped by the mark that then stands before the cents (``1.318.99``, ``1,318,99``)."""


_AMOUNT_CHARS = regex.compile(r"[0-9OoDQSslIi|!BZzG]+(?:[ ,.'][0-9OoDQSslIi|!BZzG]+)*")


_NO_CENTS = regex.compile(r"(?P<whole>[0-9][0-9.' ]*)(?P<mark>[.,])[-–—]")
"""A whole amount with a dash for its cents (``12,-`` in Germany, ``12.–`` in Switzerland)."""


def parse_amount(text: str, opts: ParseOptions | None = None) -> Decimal | None:
    """``"RM 1,234.50"`` -> ``Decimal("1234.50")``; ``"12,59"`` -> ``12.59``; ``"l2.5O"`` -> ``12.50``.

    Thousands separators and the decimal separator are told apart by position
    (the last separator followed by exactly two digits is the decimal one) unless
    ``opts.decimal`` says which it is. Returns ``None`` for anything else.
    """
    opts = opts or ParseOptions()
    s = text.translate(_WIDE_SPACES).strip()
    if not s:
        return None
    neg = False
    currency = _currency_re(opts.lex.currency_alt)
    s = currency.sub("", s).strip()
    if s.startswith("(") and s.endswith(")"):
        neg, s = True, s[1:-1].strip()
    if s.startswith("-"):
        neg, s = True, s[1:].strip()
    if s.startswith("."):
        s = "0" + s
    whole = _NO_CENTS.fullmatch(s)
    if whole:
        s = whole["whole"] + whole["mark"] + "00"  # "12,-": twelve, none of its cents
    if s.endswith("-"):
        neg, s = True, s[:-1].strip()
    s = currency.sub("", s).strip()
    if not s or not _AMOUNT_CHARS.fullmatch(s):
        return None
    if not any(c.isdigit() for c in s):
        return None
    s = _clean_number(s)
    seps = [(i, c) for i, c in enumerate(s) if c in ",. '"]
    # the document's decimal separator settles only ambiguous tokens ("1.234", "1,234");
    # a separator followed by one or two digits is a decimal point whatever it is
    ambiguous = bool(seps) and len(s) - seps[-1][0] - 1 == 3
    if ambiguous and opts.lex.whole_money:
        s = "".join(c for c in s if c not in ",. '")  # 77,000 đồng: no currency here has cents
        seps = []
    decimal_sep = opts.decimal if ambiguous else None
    if decimal_sep is None:
        decimal_sep = "."
        if seps:
            i, c = seps[-1]
            tail = len(s) - i - 1
            if c in ",." and tail in (1, 2):
                decimal_sep = c
            elif c == "," and tail == 3 and len(seps) == 1:
                decimal_sep = "."  # 1,234 — a thousands separator
            elif c == "." and tail == 3 and len(seps) == 1:
                decimal_sep = "."  # 9.000 (three decimals, common on receipts)
            elif c == "." and tail == 3 and all(ch in ". " for _, ch in seps[:-1]) and len(seps) > 1:
                decimal_sep = ","  # 1.234.567 style thousands
    if seps and decimal_sep == seps[-1][1] and _ONE_MARK_GROUPED.fullmatch(s):
        # "1.318.99": the comma before the cents read as the point that groups the thousands
        s = "".join(c for c in s[: seps[-1][0]] if c.isdigit()) + "." + s[seps[-1][0] + 1 :]
        decimal_sep = "."
    if decimal_sep == ",":
        body = s.replace(".", "").replace(" ", "").replace("'", "")
        body = body.replace(",", ".")
    else:
        body = s.replace(",", "").replace(" ", "").replace("'", "")
    if body.count(".") > 1:
        return None
    try:
        value = Decimal(body)
    except InvalidOperation:
        return None
    value = value.quantize(CENT) if value == value.quantize(CENT) else value
    return -value if neg else value


def format_amount(value: Decimal) -> str:
    """A plain decimal string with two decimals: ``Decimal("9")`` -> ``"9.00"``."""
    return f"{value.quantize(CENT):f}"


_SPLIT_GROUP = regex.compile(r"(?<![\d.,])(\d{1,3}) ([.,])(\d{3})(?![\d.,])")
"""``$45 .900``: a space OCR put before the point that groups the thousands of a currency without cents."""


def find_amounts(text: str, lexicon: Lexicon | None = None) -> list[tuple[Decimal, str, int]]:
    """Every amount-shaped token in ``text`` as (value, raw, start offset), after the locale packs'
    OCR-slip repairs of amounts (which keep offsets valid)."""
    lex = lexicon if lexicon is not None else default_lexicon()
    out: list[tuple[Decimal, str, int]] = []
    text = lex.repair(SlipScope.AMOUNT, text.translate(_WIDE_SPACES))
    opts = ParseOptions(lexicon=lex)
    # a mark after a whole number names its currency only where the packs' countries pay without
    # cents ("12 FT" is a length elsewhere)
    whole_after = lex.whole_currency_alt if lex.whole_money else "(?!)"
    if lex.whole_money:
        text = _SPLIT_GROUP.sub(r"\1\2\3 ", text)  # the space moves after the amount: offsets hold
    token = amount_token(lex.currency_alt, lex.decimal == ",", lex.whole_currency_alt, whole_after, lex.spaceless)
    taken: set[int] = set()  # the offsets of the characters of amounts found
    for m in token.finditer(text):
        raw = m.group(0).strip()
        value = parse_amount(raw, opts)
        if value is not None:
            out.append((value, raw, m.start()))
            taken.update(range(*m.span()))
    for m in _GLUED_TO_LABEL.finditer(text):
        if not taken.intersection(range(*m.span("num"))) and lex.classify(m.group("word")):
            value = parse_amount(m.group("num"), opts)
            if value is not None:
                out.append((value, m.group("num"), m.start("num")))
    return sorted(out, key=lambda found: found[2])


_GLUED_TO_LABEL = regex.compile(r"(?P<word>\p{L}{2,})(?P<num>[0-9]+[.,][0-9]{2})(?![\w.,/:%-]*[0-9])")
"""``TOTAL9.40``: an amount whose label OCR glued to it (only a word the packs know as a label: a
code such as ``ABC12.50`` is no amount)."""


def parse_currency(text: str, opts: ParseOptions | None = None) -> str | None:
    """``"RM"`` -> ``"MYR"``; ``"€"`` -> ``"EUR"``; the first currency mark in ``text`` (marks and their
    currencies come from the locale packs)."""
    lex = (opts or ParseOptions()).lex
    m = _currency_re(lex.currency_alt).search(text)
    return lex.currency_code(m.group(0)) if m else None


def parse_percent(text: str, opts: ParseOptions | None = None) -> Decimal | None:
    """``"GST 6%"`` -> ``Decimal("6")``; ``"7,5 %"`` -> ``Decimal("7.5")``."""
    m = regex.search(r"(\d{1,2}(?:[.,]\d{1,2})?)\s?%", text)
    if not m:
        return None
    try:
        return Decimal(m.group(1).replace(",", "."))
    except InvalidOperation:
        return None


# ---------------------------------------------------------------- dates

_SEP = r"[-/.\\]"
_INTO_TIME = r"(?=[0-2]?\d:[0-5]\d)"
"""Digits that go on as a time: the year before them ended where the time began."""


@functools.cache
def date_patterns(
    month_alt: str, word_alt: str = "(?!)", centuries: str = "19|20"
) -> list[tuple[str, regex.Pattern[str]]]:
    """The date shapes, with the month names ``month_alt`` of the applied locale packs, the words
    ``word_alt`` their languages write between a date's parts, and the first two digits ``centuries``
    of a four-digit year (:func:`year_centuries`)."""
    joiner = rf"(?:(?:{word_alt})\s+)?"
    c = centuries
    return [
        # 2018-03-04, 2018/3/4
        (
            "ymd",
            regex.compile(
                rf"(?<!\d)(?P<y>(?:{c})\d\d)\s?{_SEP}\s?(?P<m>\d{{1,2}})\s?{_SEP}\s?"
                rf"(?P<d>[0-3]\d{_INTO_TIME}|\d{{1,2}}(?!\d))"  # "2023/06/0119:05": the day ran into the time
            ),
        ),
        # 04/03/2018, 4-3-18, 04.03.18, 04 03 2018; a year may run into the time after it when the
        # gap between them is read as nothing ("06-05-201812:43:19", "05/12/2319:42")
        (
            "dmy",
            regex.compile(
                rf"(?<![\d.,#])(?P<a>\d{{1,2}})\s?(?P<s>{_SEP})\s?(?P<b>\d{{1,2}})\s?(?P=s)\s?"
                rf"(?P<y>(?:{c})?\d\d{_INTO_TIME}|(?:{c})?\d\d(?!\d))"
            ),
        ),
        # 27 MAR 2018, 01-NOV-2017, 25/FEB/2017, 3rd March 2018, 27MAR18 (not a till's number "#02 MAY.21'19")
        (
            "dMy",
            regex.compile(
                rf"(?<![\dA-Z#])(?P<d>\d{{1,2}})(?:ST|ND|RD|TH)?[-/.\s]*{joiner}(?P<mon>{month_alt})\.?(?![A-Z]{{4,}})[A-Z]*"
                rf"[-/.,\s]*{joiner}(?P<y>(?:{c})\d\d{_INTO_TIME}|(?:{c})?\d\d(?!\d|\s?/\s?\d|\s?:\s?\d))",
                regex.IGNORECASE,
            ),
        ),
        # OCT 3, 2016 / March 3rd 2018 / Sep07'18, MAY.21'19 / FEB 18/17 (a till's short forms)
        (
            "Mdy",
            regex.compile(
                rf"(?<![A-Z])(?P<mon>{month_alt})\.?[A-Z]*[-\s]*(?P<d>\d{{1,2}})(?:ST|ND|RD|TH)?"
                r"(?:,?[-\s]+|\s?['’`]\s?|\s?/\s?)"
                # two digits before a colon are the hour of a time, not a year ("MAR-05 10:22")
                rf"(?P<y>(?:{c})\d\d{_INTO_TIME}|(?:{c})?\d\d(?!\d|\s?:\s?\d))",
                regex.IGNORECASE,
            ),
        ),
        # 2024. március 5., 2024 Mar 05, 2024-MAR-05 (the year first, the month in words)
        (
            "yMd",
            regex.compile(
                rf"(?<![\d.,#])(?P<y>(?:{c})\d\d)\.?[-/.,\s]*(?P<mon>{month_alt})\.?(?![A-Z]{{4,}})[A-Z]*"
                r"[-/.,\s]*(?P<d>\d{1,2})(?:ST|ND|RD|TH)?(?![\d:])",
                regex.IGNORECASE,
            ),
        ),
        # 20180304
        ("compact", regex.compile(r"(?<!\d)(?P<y>20\d\d)(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")),
        # 04032018 (day first)
        ("compact_dmy", regex.compile(r"(?<!\d)(?P<d>[0-3]\d)(?P<m>[01]\d)(?P<y>20\d\d)(?!\d)")),
    ]


MIN_YEAR = 1990
MAX_YEAR = 2099


def _first_era_century(offset: int) -> int:
    """The first year of the hundred in which a ``year_offset``'s epoch counts :data:`MIN_YEAR` (2500 for 543)."""
    return (MIN_YEAR + offset) // 100 * 100


@functools.cache
def year_centuries(offset: int = 0) -> str:
    """The first two digits a four-digit year may start with: ``19|20``, and with a pack's ``year_offset``
    those of the years its epoch counts from :data:`MIN_YEAR` to :data:`MAX_YEAR` (``25|26`` for 543)."""
    spans = [(MIN_YEAR, MAX_YEAR)] + ([(MIN_YEAR + offset, MAX_YEAR + offset)] if offset else [])
    return "|".join(str(h) for lo, hi in spans for h in range(lo // 100, hi // 100 + 1))


def _year(y: str, offset: int = 0) -> int:
    """The Western year of a printed one: two digits are this century's. With a pack's ``year_offset``
    a year of its epoch (2500-2642 for 543) and two digits are read in that epoch (2567 and 67 are
    2024), unless two digits read so come before :data:`MIN_YEAR` (24 is 2024, not 2524 - 543)."""
    n = int(y)
    if offset:
        first = _first_era_century(offset)
        if n < 100 and first + n - offset >= MIN_YEAR:
            return first + n - offset
        if first <= n <= MAX_YEAR + offset:
            return n - offset
    return n + 2000 if n < 100 else n


def _make_date(y: int, m: int, d: int) -> dt.date | None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


_TENS_CONFUSIONS = {"4": "1", "7": "1", "2": "0", "6": "0", "8": "0", "9": "0", "5": "0"}
"""What Tesseract likely saw as the first digit of an impossible day or month (``42/13`` for ``12/13``)."""


def _repair_tens(a: str, b: str, y: int, opts: ParseOptions) -> dt.date | None:
    """A date whose day or month is impossible by its first digit (``25/29/2017``, ``64-05-2013``):
    repair that one digit, in the document's order first. Only for two-digit parts and a four-digit year."""
    for x, z in ((a, b), (b, a)) if opts.day_first else ((b, a), (a, b)):
        day, month = x, z  # x is read as the day, z as the month
        for part in ("month", "day"):
            text = month if part == "month" else day
            limit = 12 if part == "month" else 31
            if len(text) != 2 or int(text) <= limit or text[0] not in _TENS_CONFUSIONS:
                continue
            fixed = _TENS_CONFUSIONS[text[0]] + text[1]
            d, mo = (int(day), int(fixed)) if part == "month" else (int(fixed), int(month))
            if int(fixed) <= limit and (found := _make_date(y, mo, d)) is not None:
                return found
    return None


@functools.lru_cache(maxsize=64)
def _weekday_patterns(lex: Lexicon) -> tuple[regex.Pattern[str], regex.Pattern[str]]:
    """A weekday name of the lexicon's languages just before a date ("SAT 2/09/19", "Sun, 03/04")
    and just after it, maybe past its time ("03/04/2018 (SUN)", "08/13/19 12:30 PM Tue")."""
    alt = lex.weekday_alt
    before = regex.compile(rf"(?<!\p{{L}})(?P<w>{alt})\.?[\s,(\[-]*$", regex.IGNORECASE)
    after = regex.compile(
        r"^[\s,)\]-]*(?:(?:[01]?\d|2[0-3])\s?[:.]\s?[0-5]\d(?:\s?[:.]\s?[0-5]\d)?\s?(?:[AaPp]\.?[Mm]\.?)?[\s,-]*)?"
        rf"[(\[]?\s?(?P<w>{alt})(?!\p{{L}})",
        regex.IGNORECASE,
    )
    return before, after


WEEKDAY_REACH = 24
"""Characters either side of a date looked through for its weekday (on its own line)."""


def weekday_beside(text: str, start: int, end: int, lexicon: Lexicon | None = None) -> int | None:
    """The weekday (Monday 0) printed next to the date at ``text[start:end]``, on its line; None when
    there is none or two that disagree."""
    lex = lexicon if lexicon is not None else default_lexicon()
    if not lex.weekdays:
        return None
    before, after = _weekday_patterns(lex)
    head = text[max(0, start - WEEKDAY_REACH) : start].rpartition("\n")[2]
    tail = text[end : end + WEEKDAY_REACH].partition("\n")[0]
    days = set()
    for found in (before.search(head), after.search(tail)):
        if found is not None:
            word = found["w"].upper()
            day = lex.weekdays.get(word, lex.weekdays.get(plain(word)))
            if day is not None:
                days.add(day)
    return days.pop() if len(days) == 1 else None


_TWO_ORDERS = regex.compile(r"(?<!\d)(\d{1,2})\s?[-/.]\s?(\d{1,2})\s?[-/.]\s?((?:19|20)?\d\d)(?!\d)")


def weekday_settles(raw: str, text: str, lexicon: Lexicon | None = None) -> bool:
    """Whether a weekday printed beside the numeric date ``raw`` somewhere in ``text`` fits one of
    its two orders (day first, month first) and not the other."""
    m = _TWO_ORDERS.search(raw)
    if m is None or not raw:
        return False
    a, b, y = int(m[1]), int(m[2]), _year(m[3], (lexicon or default_lexicon()).year_offset)
    one, two = _make_date(y, b, a), _make_date(y, a, b)
    if one is None or two is None or one == two:
        return False
    start = text.find(raw)
    while start >= 0:
        day = weekday_beside(text, start, start + len(raw), lexicon)
        if day is not None and (one.weekday() == day) != (two.weekday() == day):
            return True
        start = text.find(raw, start + 1)
    return False


def _date_from_match(kind: str, m: regex.Match[str], opts: ParseOptions) -> dt.date | None:
    offset = opts.lex.year_offset
    if kind in ("ymd", "compact", "compact_dmy"):
        return _make_date(_year(m["y"], offset), int(m["m"]), int(m["d"]))
    if kind == "dmy":
        a, b, y = int(m["a"]), int(m["b"]), _year(m["y"], offset)
        first, second = ((b, a), (a, b)) if opts.day_first else ((a, b), (b, a))
        # preferred order first, the other when the preferred one is impossible (13/04 vs 04/13)
        # or when the weekday printed beside the date is the other one's ("SAT 2/09/19")
        preferred, other = _make_date(y, *first), _make_date(y, *second)
        found = preferred or other
        if preferred is not None and other is not None and other != preferred:
            day = weekday_beside(m.string, m.start(), m.end(), opts.lex)
            if day is not None and preferred.weekday() != day and other.weekday() == day:
                found = other
        if found is None and len(m["y"]) == 4:
            found = _repair_tens(m["a"], m["b"], y, opts)
        return found
    months = opts.lex.months
    mon = m["mon"].upper()
    month = months.get(mon[:4]) or months.get(mon[:3]) or months.get(mon)
    if month is None:
        return None
    return _make_date(_year(m["y"], offset), month, int(m["d"]))


_DATEISH = regex.compile(r"(?<![\w|!])[\dODQIlSBZ|!]{1,4}[-/.][\dODQIlSBZ|!]{1,2}[-/.][\dODQIlSBZ|!]{2,4}(?![\w])")
@functools.cache
def _day_before_month(month_alt: str) -> regex.Pattern[str]:
    return regex.compile(
        rf"(?<![\w])(?=[ODQIl\d]{{1,2}}[-/.]?(?:{month_alt})[A-Z]*[-/. ]?\d{{2}})[ODQIl\d]{{1,2}}(?=[-/.]?[A-Z])",
        regex.IGNORECASE,
    )


_MONTH_WORD = regex.compile(r"(?<=\d\s?[-/. ]\s?)((?=(?:[015|]*[A-Za-z]){2})[A-Za-z015|]{3})(?=\s?[-/. ]\s?\d)")
"""A three-letter month between a day and a year, two of its letters at least read as letters."""
_MONTH_FIRST = regex.compile(
    r"(?<![\p{L}\d|])((?=(?:[015|]*[A-Za-z]){2})(?=[A-Za-z]*[015|I])[A-Za-z015|]{3})"
    r"(?=\.?\s?[0-3]?\d(?!\d)(?:\s?[,/.]\s?|\s)['\u2019]?(?:19|20)?\d\d(?![\d:]))"
)
"""A three-letter month before its day and year with a letter read as a digit or a bar ("0CT 12, 2018")."""
_MONTH_LETTERS = {"0": "O", "1": "IL", "5": "S", "|": "LI", "I": "IL"}
"""The letters a recognizer's digit, bar or capital I in a month's name may stand for ("me1", "Ju|", "JuI")."""


def _month_readings(word: str) -> list[str]:
    """``word`` in capitals with each lookalike read as each letter it may stand for, the likeliest first."""
    choices = [_MONTH_LETTERS.get(c, c) for c in word.upper()]
    return ["".join(letters) for letters in itertools.product(*choices)]


@functools.lru_cache(maxsize=64)
def _short_day_before_month(lex: Lexicon) -> regex.Pattern[str]:
    """:func:`_day_before_month` over the lexicon's three-letter month names: found once per
    lexicon (a lexicon is hashed by identity), not on each of the hundred dates a receipt parses."""
    return _day_before_month("|".join(k for k in lex.months if len(k) == 3) or "(?!)")


def repair_dates(text: str, lexicon: Lexicon | None = None) -> str:
    """Undo OCR confusions inside date-shaped tokens: ``D2/O2/17`` -> ``02/02/17``, a month one letter
    off (``26/Fen/2017`` -> ``26/Feb/2017``), then the locale packs' date slips (``12/03/2518``); a
    year counted in a pack's era first becomes a Western one (``令和5年`` -> ``2023年``)."""
    lex = lexicon if lexicon is not None else default_lexicon()
    months = lex.months

    def digits(m: regex.Match[str]) -> str:
        tok = m.group(0)
        if sum(c.isdigit() for c in tok) < 3:
            return tok
        return tok.translate(_DIGIT_CONFUSIONS)

    out = _DATEISH.sub(digits, lex.western_years(text))
    out = _short_day_before_month(lex).sub(lambda m: m.group(0).translate(_DIGIT_CONFUSIONS), out)
    out = lex.repair(SlipScope.DATE, out)

    def month(m: regex.Match[str]) -> str:
        readings = _month_readings(m.group(1))  # "me1": an i read as 1
        known = {w for w in readings if w in months}
        if len(known) == 1:
            word = known.pop()
            return m.group(1) if word == m.group(1).upper() else word
        word = readings[0]
        for names in lex.short_months:  # the first language with a month one letter off decides
            close = {v: k for k, v in names.items() if sum(a != b for a, b in zip(k, word, strict=True)) == 1}
            if close:
                return next(iter(close.values())) if len(close) == 1 else m.group(1)
        return m.group(1)

    def month_first(m: regex.Match[str]) -> str:
        known = {w for w in _month_readings(m.group(1)) if w in months}
        return known.pop() if len(known) == 1 else m.group(1)

    return _MONTH_FIRST.sub(month_first, _MONTH_WORD.sub(month, out))


def find_dates(text: str, opts: ParseOptions | None = None) -> list[tuple[dt.date, str, int]]:
    """Every date in ``text`` as (date, raw, start offset), in order of appearance."""
    opts = opts or ParseOptions()
    text = repair_dates(text, opts.lex)
    found: list[tuple[dt.date, str, int]] = []
    taken: list[tuple[int, int]] = []
    lex = opts.lex
    for kind, pattern in date_patterns(lex.month_alt, lex.date_word_alt, year_centuries(lex.year_offset)):
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            if kind != "dMy" and _in_code(text, m.start(), m.end(), opts.lex):
                continue
            value = _date_from_match(kind, m, opts)
            if value is not None:
                found.append((value, m.group(0), m.start()))
                taken.append((m.start(), m.end()))
    found.sort(key=lambda t: t[2])
    return found


_GLUED_LETTERS = regex.compile(r"[A-Za-z]+$")
_CODE_GOES_ON = regex.compile(r"[-_](?!\d\d?\s?[:.]\s?\d\d)[\p{L}\p{N}]{3}")


def _in_code(text: str, start: int, end: int, lex: Lexicon) -> bool:
    """Whether the numeric date ``text[start:end]`` is part of a code: glued to letters before it that
    are no date label nor weekday ("HD03-04-06", not "DATE04/06/2018", "FRI14/04/2023"), to a code's joint before it
    ("SP-NULL-18/06/04", "11/3-21"), or going on after it as a code ("18/06/04-1016956"; not a time,
    "03/08/2017-15:30", nor a shift's letter, "07/02/18-A")."""
    before = text[:start]
    glued = _GLUED_LETTERS.search(before)  # Latin letters: in a script without spaces a date follows words
    if glued is not None:
        word = glued.group(0)
        # a weekday of three letters or more lost its space ("FRI14/04/2023"); "DO" may be an order's code
        if not lex.date_label.fullmatch(word) and not (len(word) >= 3 and word.upper() in lex.weekdays):
            return True
    elif before[-1:].isdigit() or (before[-1:] in ("-", "/", "_") and before[-2:-1].isalnum()):
        return True
    return bool(_CODE_GOES_ON.match(text, end))


def parse_date(text: str, opts: ParseOptions | None = None) -> dt.date | None:
    """The first date in ``text``: ``"25/12/2018"``, ``"01-NOV-17"``, ``"OCT 3, 2016"``, ``"20180304"``."""
    dates = find_dates(text, opts)
    return dates[0][0] if dates else None


# ---------------------------------------------------------------- times

CLOCK = r"(?:[01]?\d|2[0-3])\s?:\s?[0-5]\d(?:\s?:\s?[0-5]\d)?(?:\s?[AaPp]\.?\s?[Mm]\.?)?"
"""A time of day written with a colon ("12:48 PM", "19:05:33"): never an amount."""

TIME_RE = regex.compile(
    # after a date's four-digit year when OCR lost the space between them ("06-05-201812:43:19")
    r"(?:(?<![\d.:])|(?<=\d[-/.](?:19|20)\d\d))(?P<h>[01]?\d|2[0-3])\s?[:.hH]\s?(?P<m>[0-5]\d)(?:\s?[:.]\s?(?P<s>[0-5]\d))?"
    r"(?:\s?(?P<ampm>[AaPp])\.?\s?[Mm]\.?)?(?![\d.,])"
)


def parse_time(text: str, opts: ParseOptions | None = None) -> dt.time | None:
    """``"8:13:39 PM"`` -> ``20:13:39``; ``"19:28"`` -> ``19:28``."""
    for m in TIME_RE.finditer(text):
        h, mi = int(m["h"]), int(m["m"])
        sec = int(m["s"]) if m["s"] else 0
        ampm = (m["ampm"] or "").upper()
        sep_is_colon = ":" in m.group(0)
        if not sep_is_colon and not ampm:
            continue  # "12.59" is an amount, not a time
        if ampm:
            if not 1 <= h <= 12:
                continue
            h = (h % 12) + (12 if ampm == "P" else 0)
        return dt.time(h, mi, sec)
    return None


def format_time(value: dt.time) -> str:
    return value.strftime("%H:%M")


# ---------------------------------------------------------------- identifiers

PHONE_RE = regex.compile(r"(?<![\dA-Z])(\+?\(?\d{1,4}\)?(?:[\s-]{0,3}\(?\d{2,5}\)?){1,4})(?![\d])")


def parse_phone(text: str, opts: ParseOptions | None = None) -> str | None:
    """``"TEL: 03-6156 9266"`` -> ``"03-6156 9266"`` (digits kept as printed, 7 to 15 digits)."""
    for m in PHONE_RE.finditer(text):
        raw = m.group(1).strip(" -")
        digits = regex.sub(r"\D", "", raw)
        if 7 <= len(digits) <= 15:
            return raw
    return None


def parse_tax_id(text: str, opts: ParseOptions | None = None) -> str | None:
    """``"GST ID NO: 000394528768"`` -> ``"000394528768"`` (must contain at least 5 digits)."""
    for m in (opts or ParseOptions()).lex.tax_id.finditer(text):
        value = m["id"].strip("-")
        if sum(c.isdigit() for c in value) >= 5:
            return value.upper()
    return None


CARD_RE = regex.compile(r"(?<!\d)(?:\d{4}[ -]?){3}\d{1,4}(?!\d)|(?:[X*#]{2,}[ -]?){1,4}(?P<last>\d{4})(?!\d)")


def parse_card_last4(text: str, opts: ParseOptions | None = None) -> str | None:
    """``"VISA XXXX XXXX XXXX 1234"`` or a full number -> ``"1234"`` (never more)."""
    m = CARD_RE.search(text)
    if not m:
        return None
    if m["last"]:
        return m["last"]
    digits = regex.sub(r"\D", "", m.group(0))
    return digits[-4:] if len(digits) >= 13 else None


_ID_LABEL = regex.compile(r"\b(?:GST|SST|VAT|TAX|TIN|ABN|REG|TEL|FAX|PHONE)\b[^\n\d]{0,20}$", regex.IGNORECASE)
"""A number right after one of these labels is a tax or registration number or a phone number
(a 12-digit GST number misread with one digit more passes the card checksum one time in ten)."""


_DIGIT_RUN = regex.compile(r"(?<!\d)\d+(?:[ -]\d+)*(?!\d)")
_DIGIT_GROUP = regex.compile(r"\d+")


def mask_card_numbers(text: str) -> str:
    """Replace every card number (13-19 digits passing the Luhn check, in groups split by single
    spaces or dashes) with ``XXXXXXXXXXXX1234``: only the last 4 digits kept.

    Each run of digit groups is searched for the longest run of whole groups that is a card
    number, so a card printed next to another number (``4111 1111 1111 1111 2026``, an Amex
    ``3782 822463 10005``) is found too. A number after a tax, registration or phone label is
    left alone (see ``_ID_LABEL``)."""
    if not any(ch.isdigit() for ch in text):
        return text

    def repl(m: regex.Match[str]) -> str:
        run = m.group(0)
        groups = [(g.start(), g.end()) for g in _DIGIT_GROUP.finditer(run)]
        out: list[str] = []
        done = 0
        i = 0
        while i < len(groups):
            found, digits, card = -1, "", ""
            for j in range(i, len(groups)):
                digits += run[groups[j][0] : groups[j][1]]
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and _luhn_ok(digits):
                    found, card = j, digits
            if found < 0 or _ID_LABEL.search(text, 0, m.start() + groups[i][0]):
                i += 1
                continue
            out += [run[done : groups[i][0]], "X" * (len(card) - 4) + card[-4:]]
            done = groups[found][1]
            i = found + 1
        return "".join(out) + run[done:]

    return _DIGIT_RUN.sub(repl, text)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def parse_payment_method(text: str, opts: ParseOptions | None = None) -> str | None:
    """``"VISA CARD"`` -> ``"card"``; ``"CASH"`` -> ``"cash"``; the longest word named wins
    (``"EC-CASH"``, a German debit card, is no cash)."""
    up = text.upper()
    named = [(len(word), method) for word, method in (opts or ParseOptions()).lex.payment_methods.items()
             if _payment_word(word).search(up)]  # fmt: skip
    return max(named, key=lambda t: t[0])[1] if named else None


@functools.cache
def _payment_word(word: str) -> regex.Pattern[str]:
    return regex.compile(rf"(?<![A-Z]){regex.escape(word)}(?![A-Z])")


def parse_text(text: str, opts: ParseOptions | None = None) -> str | None:
    """Collapse whitespace; empty -> ``None``."""
    value = " ".join(text.split())
    return value or None


def parse_receipt_number(text: str, opts: ParseOptions | None = None) -> str | None:
    """``"INV NO: CS00012345"`` -> ``"CS00012345"`` (a token with at least one digit)."""
    # Dates and times are not receipt numbers ("Date: 11/5/2020 6:02 PM" on the next line).
    text = regex.sub(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{1,2}:\d{2}(?::\d{2})?\b", " ", text.upper())
    for tok in regex.findall(r"[A-Z0-9][A-Z0-9/-]*", text):
        if any(c.isdigit() for c in tok):
            return tok
    return None


Parser = Callable[[str, ParseOptions | None], TypedValue]

PARSERS: dict[str, Parser] = {
    "amount": parse_amount,
    "date": parse_date,
    "time": parse_time,
    "phone": parse_phone,
    "tax_id": parse_tax_id,
    "card_last4": parse_card_last4,
    "currency": parse_currency,
    "percent": parse_percent,
    "payment_method": parse_payment_method,
    "receipt_number": parse_receipt_number,
    "text": parse_text,
}
"""Field kinds a template's ``type:`` may name."""


def normalize(value: TypedValue) -> str:
    """The ``FieldValue.value`` string for a typed value."""
    if isinstance(value, Decimal):
        return format_amount(value) if value == value.quantize(CENT) else f"{value:f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return format_time(value)
    return "" if value is None else str(value)
