"""Locale packs: loading, choosing the packs a document needs, and compiling them into a lexicon.

``config/locales/base.yaml`` applies to every document; the other packs score a document by
their ``detect`` cues and the best one (and a second close to it) apply with it. A document no
pack recognises gets every pack. A template may name its locale instead. The :class:`Lexicon`
holds the compiled patterns the extractors read; nothing in the extractors knows a country.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import regex
import yaml
from pydantic import ValidationError

from icr.config import config_dir
from icr.errors import LocaleError
from icr.text.locale_models import Currency, LocalePack, Role, SlipScope
from icr.text.taxids import country_vat

BASE = "base"

MIN_SCORE = 3.0
"""Detection score a pack needs to be chosen; below it no pack is sure and all of them apply."""
SECOND_RATIO = 0.75
"""A second pack applies with the best when it scores at least this share of the best score."""
HEAD_LINES = 12
CUE_CAP = 3
"""Matches of one cue counted at most (a long receipt repeating ``RM`` is no surer for it)."""


def locales_dir() -> Path:
    return config_dir() / "locales"


def _load_pack(path: Path) -> LocalePack:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LocaleError(path, "-", f"cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise LocaleError(path, "-", "must be a mapping")
    try:
        pack = LocalePack.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "-"
        problem = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise LocaleError(path, key, problem) from exc
    if pack.tag != path.stem:
        raise LocaleError(path, "tag", f"is {pack.tag!r}; it must be the file's name {path.stem!r}")
    return pack


def load_packs(folder: Path | None = None) -> dict[str, LocalePack]:
    """Every pack in ``folder`` (default ``config/locales``) by tag; the base pack is required."""
    return _load_folder(folder or locales_dir())


@functools.cache
def _load_folder(folder: Path) -> dict[str, LocalePack]:
    packs = {p.stem: _load_pack(p) for p in sorted(folder.glob("*.yaml"))}
    if BASE not in packs:
        raise LocaleError(folder / f"{BASE}.yaml", "-", "the base locale pack is missing")
    return packs


def _alt(parts: Iterable[str]) -> str:
    """The patterns as one alternation, in order and without repeats; never matches when empty."""
    seen = list(dict.fromkeys(parts))
    return "(?:" + "|".join(seen) + ")" if seen else "(?!)"


@functools.cache
def _without_cents(code: str) -> bool:
    """ISO 4217 gives the currency no minor unit (babel's CLDR data): its amounts print whole."""
    from babel.numbers import get_currency_precision

    return get_currency_precision(code) == 0


def plain(word: str) -> str:
    """Upper case without accents or dots: ``févr.`` -> ``FEVR``."""
    decomposed = unicodedata.normalize("NFKD", word.upper())
    return "".join(c for c in decomposed if c.isalpha())


def _letters(word: str) -> str:
    """Upper case without dots, accents kept: ``févr.`` -> ``FÉVR``."""
    return "".join(c for c in word.upper() if c.isalpha())


@functools.cache
def _babel_months(language: str) -> dict[str, int]:
    """Month names and abbreviations of ``language`` from babel's CLDR data, with their first three
    letters (receipts abbreviate: ``JANV``, ``AOU``)."""
    found: dict[str, set[int]] = {}
    for number, word, accented in _babel_month_forms(language):
        for key in (word, word[:3], word[:4], accented, accented[:3], accented[:4]):
            if len(key) >= 3:
                found.setdefault(key, set()).add(number)
    # a prefix two months share (French JUIN, JUILLET: JUI) names neither
    return {key: next(iter(numbers)) for key, numbers in found.items() if len(numbers) == 1}


@functools.cache
def _babel_date_words(language: str) -> frozenset[str]:
    """The words ``language`` writes between a date's parts, from babel's CLDR date formats (Spanish
    and Portuguese "3 de diciembre de 2026": ``DE``)."""
    from babel import Locale

    loc = Locale.parse(language)
    words: set[str] = set()
    for width in ("full", "long", "medium"):
        for literal in regex.findall(r"'([^']+)'", loc.date_formats[width].pattern):
            words.update(w for w in (plain(x) for x in literal.split()) if w)
    return frozenset(words)


@functools.cache
def _babel_month_forms(language: str) -> tuple[tuple[int, str, str], ...]:
    """Each month name and abbreviation of ``language`` (babel's CLDR data): its number, in capitals
    without accents, and in capitals with them."""
    from babel import Locale

    loc = Locale.parse(language)
    return tuple(
        (int(number), plain(name), _letters(name))
        for context in ("format", "stand-alone")
        for width in ("wide", "abbreviated")
        for number, name in loc.months[context][width].items()
    )


@functools.cache
def _babel_month_words(language: str) -> frozenset[str]:
    """The month names and abbreviations ``language`` prints, not cut to three or four letters."""
    return frozenset(key for _, word, accented in _babel_month_forms(language) for key in (word, accented))


def month_names(languages: Iterable[str]) -> dict[str, int]:
    """Names of the months in ``languages``; a name two languages give different months is left out,
    unless only one of them prints it whole (``MAR`` is March's abbreviation and only the start of
    Finnish November's name)."""
    langs = list(languages)
    numbers: dict[str, set[int]] = {}
    for lang in langs:
        for key, number in _babel_months(lang).items():
            numbers.setdefault(key, set()).add(number)
    names: dict[str, int] = {}
    for key, found in numbers.items():
        if len(found) > 1:
            found = {_babel_months(lang).get(key, 0) for lang in langs if key in _babel_month_words(lang)}
        if len(found) == 1 and 0 not in found:
            names[key] = next(iter(found))
    return names


@functools.cache
def _babel_weekdays(language: str) -> dict[str, int]:
    """Weekday names and abbreviations of ``language`` (babel's CLDR data; Monday 0, as
    ``date.weekday()``), and each name cut one letter past an abbreviation of three ("THUR", "TUES").
    Names of two letters are left out: "TO", "LA", "MA" are words too."""
    from babel import Locale

    loc = Locale.parse(language)
    found: dict[str, set[int]] = {}
    for context in ("format", "stand-alone"):
        for number, name in loc.days[context]["wide"].items():
            short = loc.days[context]["abbreviated"][number]
            for spell in (plain, _letters):
                word, abbr = spell(name), spell(short)
                keys = [word, abbr] + ([word[: len(abbr) + 1]] if len(abbr) >= 3 and word.startswith(abbr) else [])
                for key in keys:
                    if len(key) >= 3:
                        found.setdefault(key, set()).add(int(number))
    return {key: next(iter(numbers)) for key, numbers in found.items() if len(numbers) == 1}


def weekday_names(languages: Iterable[str]) -> dict[str, int]:
    """Names of the weekdays in ``languages``; a name two languages give different days is left out."""
    numbers: dict[str, set[int]] = {}
    for lang in languages:
        for key, number in _babel_weekdays(lang).items():
            numbers.setdefault(key, set()).add(number)
    return {key: next(iter(found)) for key, found in numbers.items() if len(found) == 1}


@dataclass(frozen=True)
class CompiledSlip:
    pattern: regex.Pattern[str]
    replacement: str
    digits: bool


@dataclass(frozen=True, eq=False)
class Lexicon:
    """The applied packs compiled: every pattern an extractor reads."""

    tags: tuple[str, ...]
    day_first: bool
    label_kinds: tuple[tuple[str, regex.Pattern[str]], ...]
    final_total: regex.Pattern[str]
    strong_total: regex.Pattern[str]
    currencies: dict[str, Currency]
    """Mark (upper case) -> currency."""
    currency_alt: str
    whole_currency_alt: str
    """The marks of currencies without cents (ISO 4217's minor unit 0: JPY, KRW, IDR), whose
    amounts print whole ("(?!)": none)."""
    months: dict[str, int]
    short_months: tuple[dict[str, int], ...]
    """Three-letter month names by language, in the packs' order: a misread month word is put right
    in the first language that has a month one letter from it."""
    month_alt: str
    payment_methods: dict[str, str]
    payment_label: regex.Pattern[str]
    payment_named: regex.Pattern[str]
    date_label: regex.Pattern[str]
    date_label_alt: str
    time_label: regex.Pattern[str]
    legal_suffix: regex.Pattern[str]
    legal_prefix: regex.Pattern[str] | None
    """A name starting with its legal form (``PT SUMBER ALFARIA``); None: no pack has one."""
    legal_suffix_alt: str
    continuation: regex.Pattern[str]
    legal_only: regex.Pattern[str]
    legal_only_alt: str
    legal_name_end: regex.Pattern[str]
    business_word: regex.Pattern[str]
    branch_line: regex.Pattern[str]
    not_name: regex.Pattern[str]
    stop_line: regex.Pattern[str]
    address_cue: regex.Pattern[str]
    street_line: regex.Pattern[str]
    address_abbreviation: regex.Pattern[str]
    item_count: regex.Pattern[str]
    """A count of items and its word inside a label ("5 ITEMS", "(4 ART.)"): no part of the label."""
    """An address word printed with a point as an abbreviation (matched whole, without the point)."""
    region_line: regex.Pattern[str]
    postcode: regex.Pattern[str]
    address_ocr_words: dict[str, str]
    address_ocr_word: regex.Pattern[str]
    body_line: regex.Pattern[str]
    """A line that starts the receipt's body: its title, the cashier, the item columns."""
    address_end: regex.Pattern[str]
    address_label: regex.Pattern[str]
    """A label before the address on its first line, with its colon ("Address:", "Địa chỉ:")."""
    """Where an address line runs on into something else: a telephone number (``Outlet:03-80626265``)
    or the document's title (``Johor TAXINVOICE``). The address ends before it."""
    registration: regex.Pattern[str]
    """``(81109-A)``, ``789417-W``, ``CO REG NO: 797887-W``: a company registration number line."""
    phone_label: regex.Pattern[str]
    tax_id_label: regex.Pattern[str]
    tax_id: regex.Pattern[str]
    """A tax or company registration number after its label; the number is the group ``id``."""
    tax_rate_label: regex.Pattern[str]
    """A line with a tax's name and a percentage, in either order."""
    receipt_label: regex.Pattern[str]
    card_label: regex.Pattern[str]
    """A card word or a masked run of a card number (``XXXX``)."""
    not_doc_date: regex.Pattern[str]
    not_item: regex.Pattern[str]
    slips: dict[SlipScope, tuple[CompiledSlip, ...]] = field(default_factory=dict)
    date_word_alt: str = "(?!)"
    """Words the packs' languages write between a date's parts ("3 DE DICIEMBRE DE 2026")."""
    english: bool = True
    """English is a language of the applied country packs (the spelling corrector knows English)."""
    marked_letters: frozenset[str] | None = None
    """The marked letters the applied country packs write; None: any (a pack leaves it open)."""
    town_ends_address: bool = False
    """Every applied country pack ends an address with the postcode and town line."""
    eras: tuple[tuple[str, int], ...] = ()
    """The applied packs' eras (name, the Western year before its first)."""
    year_offset: int = 0
    """The applied country packs' :attr:`~icr.text.locale_models.LocalePack.year_offset` when they
    agree, else 0: a date's year is read in that epoch (2567 and 67 are 2024 for 543)."""
    spaceless: bool = False
    """Every applied country pack's language writes without spaces (its words are looked for inside runs of
    letters)."""
    decimal: str | None = None
    """The country packs' decimal separator when they agree."""
    home_currencies: frozenset[str] = frozenset()
    """Codes of the currencies of the countries of the applied packs (besides base)."""
    whole_currencies: frozenset[str] = frozenset()
    """The applied packs' currencies printed without cents though ISO 4217 gives them a minor unit."""
    tax_id_schemes: tuple[str, ...] = ()
    """python-stdnum modules a labelled tax or company number is checked against, the chosen country
    packs' first (with no country chosen, the base pack's alone: ``eu.vat``, whose numbers name their
    country)."""
    countries: tuple[str, ...] = ()
    """The chosen country packs' countries (ISO codes), best first; none when no country was chosen."""
    own_tax_ids: bool = False
    """The chosen countries' numbers have check digits (a scheme of their own, not only ``eu.vat``)."""
    weekdays: dict[str, int] = field(default_factory=dict)
    """Weekday name (upper case) -> its number, Monday 0: a weekday printed beside a numeric date
    tells its day from its month."""
    weekday_alt: str = "(?!)"

    @property
    def whole_money(self) -> bool:
        """The applied packs' countries pay in currencies without cents (rupiah, đồng): a point or
        comma before three digits groups thousands ("77,000" and "41.000" alike)."""
        return bool(self.home_currencies) and all(
            code in self.whole_currencies or _without_cents(code) for code in self.home_currencies
        )

    def classify(self, label: str) -> str:
        """The role a label names (``"total"``, ``"tax"``, ``"paid"``...), or ``""``."""
        up = label.upper()
        for kind, pattern in self.label_kinds:
            if pattern.search(up):
                return kind
        return ""

    def currency_code(self, mark: str) -> str | None:
        cur = self.currencies.get(mark.upper())
        return cur.code if cur is not None else None

    def western_years(self, text: str) -> str:
        """``text`` with each year counted in an era written as its Western year (令和5年 -> 2023年)."""
        if not self.eras:
            return text
        pattern, base = _era_pattern(self.eras)
        return pattern.sub(lambda m: str(base[m["era"]] + (1 if m["n"] == "元" else int(m["n"]))), text)

    def repair(self, scope: SlipScope, text: str) -> str:
        """``text`` with the applied packs' OCR-slip repairs of ``scope``; an amount line keeps its length."""
        for slip in self.slips.get(scope, ()):

            def one(m: regex.Match[str], slip: CompiledSlip = slip) -> str:
                out = m.expand(slip.replacement)
                if slip.digits:
                    out = out.translate(DIGIT_CONFUSIONS)
                return out.ljust(len(m.group(0))) if scope is SlipScope.AMOUNT else out

            text = slip.pattern.sub(one, text)
        return text


def unmark(text: str, keep: frozenset[str]) -> str:
    """``text`` with every marked letter not in ``keep`` replaced by its plain letter (``ç`` -> ``c``)."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ord(ch) > 127 and ch not in keep and ch.isalpha():
            plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(plain if plain.isascii() and plain.isalpha() else ch)
        else:
            out.append(ch)
    return "".join(out)


DIGIT_CONFUSIONS = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "Q": "0", "S": "5", "s": "5", "l": "1", "I": "1", "i": "1", "|": "1", "!": "1",
     "B": "8", "Z": "2", "z": "2", "G": "6"}
)  # fmt: skip
"""Characters OCR confuses with digits; repaired only inside amount- and date-shaped tokens."""


def _joined(packs: Sequence[LocalePack], name: str) -> list[str]:
    return [p for pack in packs for p in getattr(pack, name)]


@functools.cache
def _era_pattern(eras: tuple[tuple[str, int], ...]) -> tuple[regex.Pattern[str], dict[str, int]]:
    """A year counted in one of ``eras`` ("令和5年", "令和元年"), and each era's Western year before its first."""
    names = "|".join(regex.escape(name) for name, _ in sorted(eras, key=lambda e: -len(e[0])))
    return regex.compile(rf"(?P<era>{names})\s?(?P<n>元|\d{{1,3}})\s?(?=年)"), dict(eras)


_I = regex.IGNORECASE
SPACELESS = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]"
"""A letter of a script written without spaces between words."""
SPACELESS_EDGE = rf"(?:\b|(?<={SPACELESS})|(?={SPACELESS}))"
"""A word's edge where a language writing without spaces applies: where ``\b`` puts it, and beside every
character of such a script (a pack's "合計" or "都...区" is a word inside "合計金額" or "東京都渋谷区道玄坂");
elsewhere ``\b``, which is cheaper."""


def tax_id_schemes(pack: LocalePack) -> tuple[str, ...]:
    """The stdnum schemes a pack checks tax and company numbers with: those it lists, then the VAT
    number stdnum knows for each of its countries."""
    return tuple(dict.fromkeys((*pack.tax_id_schemes, *filter(None, map(country_vat, pack.countries)))))


def compile_lexicon(packs: Sequence[LocalePack], chosen: bool = True) -> Lexicon:
    """One lexicon from ``packs`` (base first): lists are joined in order. ``chosen``: the document's
    cues chose the packs (False: every pack applies, the country unknown)."""
    tiers: dict[tuple[int, Role], list[str]] = {}
    for pack in packs:
        for rule in pack.amount_labels:
            tiers.setdefault((rule.tier, rule.role), []).extend(rule.patterns)
    label_kinds = tuple(
        (role.value, regex.compile(_alt(pats))) for (_, role), pats in sorted(tiers.items(), key=lambda kv: kv[0][0])
    )
    currencies: dict[str, Currency] = {}
    for i, pack in enumerate(packs):
        for cur in pack.currencies:
            for mark in cur.marks:
                # a one-letter mark ("R" rand, "P" peso) names a currency only where its country is known
                if i == 0 or chosen or len(mark) > 1 or not mark.isalpha():
                    currencies.setdefault(mark.upper(), cur)
    if chosen:
        # a mark the chosen country packs give one currency is that currency ("$" on a Colombian
        # receipt is pesos), whatever the base pack or a pack before says
        claims: dict[str, dict[str, Currency]] = {}
        for pack in packs[1:]:
            for cur in pack.currencies:
                for mark in cur.marks:
                    claims.setdefault(mark.upper(), {}).setdefault(cur.code, cur)
        currencies.update({mark: next(iter(by.values())) for mark, by in claims.items() if len(by) == 1})
    marks = sorted(currencies, key=lambda m: (-len(m), m))
    currency_alt = _alt(regex.escape(m) for m in marks)
    whole_marks = [m for m in marks if currencies[m].whole or _without_cents(currencies[m].code)]
    whole_currency_alt = _alt(regex.escape(m) for m in whole_marks)
    # the country packs' date order when they agree, else the base pack's
    orders = {p.date_order for p in packs[1:] if p.date_order}
    order = orders.pop() if len(orders) == 1 else packs[0].date_order
    months = month_names(lang for p in packs for lang in p.languages)
    weekdays = weekday_names(dict.fromkeys(lang for p in packs for lang in p.languages))
    methods: dict[str, str] = {}
    for pack in packs:
        for word, method in pack.payment_methods.items():
            methods.setdefault(word.upper(), method)
    legal_suffix_alt = _alt(_joined(packs, "legal_suffixes"))
    legal_only_alt = _alt(_joined(packs, "legal_only"))
    region = _alt(_joined(packs, "regions"))
    ocr_words = {k.upper(): v for p in packs for k, v in p.address_ocr_words.items()}
    # the country packs' epoch when they agree: a year read in it is no misread Western year
    offset = offsets.pop() if len(offsets := {p.year_offset for p in packs[1:]}) == 1 else 0
    slips: dict[SlipScope, list[tuple[int, CompiledSlip]]] = {}
    for pack in packs:
        for slip in pack.slips:
            if slip.western_years and offset:
                continue
            slips.setdefault(slip.scope, []).append(
                (slip.order, CompiledSlip(regex.compile(slip.pattern), slip.replacement, slip.digits))
            )
    date_label_alt = _alt(_joined(packs, "date_labels"))
    home = {c.code for p in packs[1:] for c in p.currencies if set(c.countries) & set(p.countries)}
    titles = _alt(_joined(packs, "document_titles"))
    company, reg = _alt(_joined(packs, "company_words")), _alt(_joined(packs, "registration_words"))
    registers = _alt(_joined(packs, "registers"))
    tax_ids, tax_names = _alt(_joined(packs, "tax_id_labels")), _alt(_joined(packs, "tax_rate_labels"))
    # only where every applied country pack writes so: a document no pack recognises keeps the rest
    spaceless = bool(packs[1:]) and all(p.spaceless for p in packs[1:])
    countries = packs[1:] if chosen else []
    own = [n for p in countries for n in tax_id_schemes(p)]
    edge = SPACELESS_EDGE if spaceless else r"\b"
    return Lexicon(
        tags=tuple(p.tag for p in packs),
        day_first=order != "month_first",
        label_kinds=label_kinds,
        final_total=regex.compile(_alt(_joined(packs, "final_total"))),
        strong_total=regex.compile(_alt(_joined(packs, "strong_total"))),
        currencies=currencies,
        currency_alt=currency_alt,
        whole_currency_alt=whole_currency_alt,
        months=months,
        short_months=tuple(
            {k: v for k, v in _babel_months(lang).items() if len(k) == 3 and months.get(k) == v}
            for lang in dict.fromkeys(lang for p in packs for lang in p.languages)
        ),
        month_alt="|".join(sorted(months, key=len, reverse=True)) or "(?!)",
        date_word_alt="|".join(
            sorted({w for p in packs for lang in p.languages for w in _babel_date_words(lang)}, key=len, reverse=True)
        )
        or "(?!)",
        payment_methods=methods,
        payment_label=regex.compile(
            edge
            + _alt([*(regex.escape(w).replace(r"\ ", r"\s*") for w in methods), *_joined(packs, "payment_labels")])
            + edge,
            _I,
        ),
        payment_named=regex.compile(_alt(_joined(packs, "payment_named")), _I),
        date_label=regex.compile(rf"{edge}{date_label_alt}{edge}", _I),
        date_label_alt=date_label_alt,
        time_label=regex.compile(rf"{edge}{_alt(_joined(packs, 'time_labels'))}{edge}", _I),
        legal_suffix=regex.compile(
            rf"(?:{edge}|(?<=\s)(?=\$))"  # a suffix whose first letter OCR read as a sign ("$/B")
            + legal_suffix_alt
            # or before one speck of OCR debris, or the company's registration or tax number
            + r"(?:\W*$|\s*[({\[]|\s+[^\s\d]{1,2}\W*$|\s+\p{Lu}{0,3}-?\d[\d.\s-]{4,}\d\s?-?\s?\p{Lu}?\W*$)",
            _I,
        ),
        legal_suffix_alt=legal_suffix_alt,
        legal_prefix=regex.compile(rf"^\W*(?:{prefixes})\.?\s+\p{{Lu}}", _I)
        if (prefixes := _alt(_joined(packs, "legal_prefixes")))
        else None,
        continuation=regex.compile("^" + _alt(_joined(packs, "name_continuations")), _I),
        legal_only=regex.compile(rf"\W*{legal_only_alt}\W*", _I),
        legal_only_alt=legal_only_alt,
        legal_name_end=regex.compile(rf"(\b{_alt(_joined(packs, 'legal_name_ends'))}\.?)(?:\s+[^\s(\[{{][^(\[{{]*)$"),
        business_word=regex.compile(rf"{edge}{_alt(_joined(packs, 'business_words'))}{edge}", _I),
        branch_line=regex.compile(rf"\W*(?:{_alt(_joined(packs, 'branch_lines'))})\W*", _I),
        not_name=regex.compile(rf"{edge}{_alt(_joined(packs, 'not_name'))}{edge}", _I),
        stop_line=regex.compile(rf"{edge}{_alt(_joined(packs, 'stop_words'))}{edge}|@|WWW\.|HTTP|\.COM\b", _I),
        address_cue=regex.compile(rf"{edge}{_alt(_joined(packs, 'address_cues'))}{edge}|\d+[A-Z]?\s*,", _I),
        street_line=regex.compile(
            rf"^\W*{_alt(_joined(packs, 'street_starts'))}\b\W*\d|^\W*\d+[A-Z]?\s*,"
            + "".join(rf"|^\W*(?:{p})" for p in _joined(packs, "street_lines")),
            _I,
        ),
        address_abbreviation=regex.compile(_alt(_joined(packs, "address_abbreviations")), _I),
        item_count=regex.compile(rf"\(?\b\d{{1,4}}\s*{_alt(_joined(packs, 'count_words'))}\b\.?\)?", _I),
        region_line=regex.compile(rf"\W*{region}(?:[\s,.]+{region})*\W*", _I),
        postcode=regex.compile(_alt(_joined(packs, "postcodes"))),
        address_ocr_words=ocr_words,
        address_ocr_word=regex.compile(rf"(?<!\p{{L}}){_alt(regex.escape(w) for w in ocr_words)}(?!\p{{L}})", _I),
        body_line=regex.compile(rf"{edge}(?:{titles}|{_alt(_joined(packs, 'body_words'))}){edge}", _I),
        # a title glued to the town before it ("Johor TAXINVOICE") ends the address too
        address_label=regex.compile(rf"^\W*{_alt(_joined(packs, 'address_labels'))}\s*[:.]\s*", _I),
        address_end=regex.compile(rf"(?:\p{{L}}+:?)?\+?\(?0\d{{1,2}}\)?[\s-]?\d{{3,4}}[\s-]?\d{{4}}\b|{titles}", _I),
        registration=regex.compile(
            rf"^\(?\s*(?:{company}\.?\s*(?:{reg}\.?)?\s*(?:NO|NUMBER)?\.?\s*:?\s*)?[A-Z]{{0,3}}\d[\d\s]{{3,}}\s*-?\s*[A-Z]\s*\)?\W*$"
            rf"|^\(?\s*(?:{company}|{registers}|{reg})\.?\s*(?:{reg}\.?)?\s*(?:NO|NUMBER)\.?\s*:?.*$",
            _I,
        ),
        phone_label=regex.compile(rf"{edge}{_alt(_joined(packs, 'phone_labels'))}{edge}\.?\s*(?:NO\.?)?\s*:?", _I),
        tax_id_label=regex.compile(rf"{edge}{tax_ids}{edge}", _I),
        tax_id_schemes=tuple(dict.fromkeys([*own, *packs[0].tax_id_schemes])),
        own_tax_ids=bool(own),
        countries=tuple(dict.fromkeys(c for p in countries for c in p.countries)),
        tax_id=regex.compile(
            rf"(?:{tax_ids}|{company}\.?)\s*(?:{reg}\.?\s*)?"
            r"(?:(?:ID|NO|NUMBER|#)\.?\s*){0,2}[:.#]?\s*(?P<id>[A-Z0-9][A-Z0-9-]{5,20})",
            _I,
        ),
        tax_rate_label=regex.compile(rf"{edge}{tax_names}{edge}.*\d\s?%|\d\s?%.*{edge}{tax_names}{edge}", _I),
        receipt_label=regex.compile(rf"{edge}{_alt(_joined(packs, 'receipt_labels'))}\s*:?", _I),
        card_label=regex.compile(rf"{edge}{_alt(_joined(packs, 'card_labels'))}{edge}|[X*]{{4}}", _I),
        not_doc_date=regex.compile(rf"{edge}{_alt(_joined(packs, 'not_date_labels'))}{edge}", _I),
        not_item=regex.compile(rf"{edge}{_alt(_joined(packs, 'not_item_words'))}{edge}", _I),
        slips={scope: tuple(s for _, s in sorted(rows, key=lambda r: r[0])) for scope, rows in slips.items()},
        home_currencies=frozenset(home),
        whole_currencies=frozenset(c.code for p in packs for c in p.currencies if c.whole),
        weekdays=weekdays,
        weekday_alt=_alt(regex.escape(w) for w in sorted(weekdays, key=len, reverse=True)),
        english="en" in {lang for p in (packs[1:] or packs) for lang in p.languages},
        town_ends_address=bool(packs[1:]) and all(p.town_ends_address for p in packs[1:]),
        spaceless=spaceless,
        eras=tuple(sorted({(name, year) for p in packs for name, year in p.eras.items()})),
        year_offset=offset,
        marked_letters=frozenset("".join(p.marked_letters or "" for p in packs[1:]))
        if packs[1:] and all(p.marked_letters is not None for p in packs[1:])
        else None,
        decimal=decimals.pop() if len(decimals := {p.decimal for p in packs[1:] if p.decimal}) == 1 else None,
    )


@functools.cache
def lexicon_for(tags: tuple[str, ...], folder: Path | None = None) -> Lexicon:
    """The lexicon of the base pack and the packs ``tags`` (unknown tags are an error)."""
    packs = load_packs(folder)
    unknown = [t for t in tags if t not in packs]
    if unknown:
        raise LocaleError(folder or locales_dir(), "-", f"no locale pack named {', '.join(unknown)}")
    chosen = set(tags) != set(packs) - {BASE}
    return compile_lexicon([packs[BASE], *(packs[t] for t in tags if t != BASE)], chosen)


def all_tags(folder: Path | None = None) -> tuple[str, ...]:
    return tuple(t for t in load_packs(folder) if t != BASE)


def default_lexicon() -> Lexicon:
    """Every pack at once: for text whose locale is not known."""
    return lexicon_for(all_tags())


def _within_lines(pattern: str) -> str:
    """``pattern`` with its ``\\s`` kept to one line: the cues run over the document's lines joined by
    newlines, and a postcode must not find its town on the next line ("20071" / "Glass")."""
    out: list[str] = []
    in_class = negated = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            pair = pattern[i : i + 2]
            if pair == "\\s" and not negated:  # [^\\s] excludes a newline already
                pair = " \\t" if in_class else "[^\\S\\n]"
            out.append(pair)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class, negated = True, pattern[i + 1 : i + 2] == "^"
        elif ch == "]" and in_class and out and out[-1] not in ("[", "^"):
            in_class = negated = False
        out.append(ch)
        i += 1
    return "".join(out)


@functools.cache
def _detectors(folder: Path | None) -> list[tuple[str, list[tuple[regex.Pattern[str], float, bool]]]]:
    return [
        (tag, [(regex.compile(_within_lines(c.pattern)), c.weight, c.head) for c in pack.detect])
        for tag, pack in load_packs(folder).items()
        if tag != BASE
    ]


def score_locales(lines: Sequence[str], folder: Path | None = None) -> dict[str, float]:
    """How strongly each pack's cues appear in the document's lines."""
    text = "\n".join(lines)
    head = "\n".join(lines[:HEAD_LINES])
    scores: dict[str, float] = {}
    for tag, cues in _detectors(folder):
        score = 0.0
        for pattern, weight, in_head in cues:
            n = sum(1 for _ in zip(range(CUE_CAP), pattern.finditer(head if in_head else text), strict=False))
            score += weight * n
        scores[tag] = score
    return scores


@dataclass(frozen=True)
class LocaleChoice:
    """What a document's cues say: the packs that apply, and a date order the cues hint at when no
    pack is sure enough to apply alone."""

    tags: tuple[str, ...]
    date_order: str | None = None
    hint: str | None = None
    """The one pack whose cues show, too weakly to be chosen (a North American phone number alone)."""


def detect_locales(lines: Sequence[str], folder: Path | None = None, home: str | None = None) -> LocaleChoice:
    """The best-scoring pack and a second close to it; every pack when none scores
    :data:`MIN_SCORE`, with the date order of the one pack whose cues show too weakly for it to be
    chosen (a North American phone number alone) and lead every other pack's clearly, as the packs'
    orders disagree; failing that, of the ``home`` pack (the user's country), as a hint too."""
    scores = score_locales(lines, folder)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    best = ranked[0][1] if ranked else 0.0
    if best < MIN_SCORE:
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        # a hint only where one country's cues clearly lead: "AS" ends Norwegian and Estonian names
        if best > 0 and runner_up < SECOND_RATIO * best:
            leader = ranked[0][0]
            return LocaleChoice(all_tags(folder), load_packs(folder)[leader].date_order, leader)
        if home is not None:
            return LocaleChoice(all_tags(folder), load_packs(folder)[home].date_order, home)
        return LocaleChoice(all_tags(folder))
    return LocaleChoice(
        tuple(t for i, (t, s) in enumerate(ranked[:2]) if i == 0 or (s >= MIN_SCORE and s >= SECOND_RATIO * best))
    )
