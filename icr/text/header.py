"""Company and address from the header block at the top of a receipt.

The header is the run of lines before the first "body" line (a date, the
document title, a receipt number, item columns). The company is the header
line that looks most like a business name (a legal suffix of the applied locale
packs such as ``LTD`` or ``GMBH``, a business word; early in the block), joined with the lines it wraps
onto; the address is the lines after it up to the first phone/tax/title line,
skipping registration numbers.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import regex
from rapidfuzz import fuzz, utils

from icr.text.lines import TYPED_CONFIDENCE, Line
from icr.text.locales import SPACELESS, Lexicon, SlipScope, default_lexicon
from icr.text.parsers import CLOCK, ParseOptions, find_amounts, find_dates
from icr.text.scoring import AddressWeights, NameWeights, Scoring, default_scoring

TRAILING_REG = regex.compile(
    r"\s*[\(\[{]?\s*(?:CO\.?\s*(?:REG\.?)?\s*(?:NO\.?)?\s*:?\s*)?(?:(?<!\S)[A-Z]{1,3}-?(?=\d{5}))?(?<![#\d])\d{3,}[\d\s]*-?\s*[A-Z]?\s*[\)\]}]{0,2}\s*$",
    regex.IGNORECASE,
)
"""A registration or tax number printed after the name: ``99 SPEED MART S/B (519537-X)``,
``MERCADONA, S.A. A-46103834``."""


_REG_MARK = regex.compile(r"[\(\[{]|\d\s*-?\s*\p{L}|REG|NO", regex.IGNORECASE)
"""What makes a short number a registration: a bracket, a letter after it (``6379-K``), a label."""


def _drop_trailing_reg(name: str) -> str:
    """``name`` without a registration number at its end: one of five digits or more, or one
    bracketed, lettered (``6379-K``) or labelled; three or four bare digits are the brand's own
    (``REMA 1000``)."""
    m = TRAILING_REG.search(name)
    if m is None:
        return name
    if m.start() > 0 and not name[m.start() - 1].isspace() and not m.group(0)[0].isspace():
        return name[: m.start()]  # digits glued to a word: OCR debris ("Gr111")
    tail = m.group(0)
    digits = sum(c.isdigit() for c in tail)
    if digits >= 5 or _REG_MARK.search(tail):
        return name[: m.start()]
    return name


SAME_WORDS = 85
"""Two lines whose words sort alike at least this much (rapidfuzz) print one name twice."""

_OUTLET = regex.compile(r"\d{3,4}\s?-\s?\p{Lu}[\p{Lu}\s.']+")
"""``1320-TMN BATU``: the outlet number and name a chain prints under its head office address."""

_ENDS_WITH_POSTCODE = regex.compile(r"\b\d{5}\W*$")

_NAME_AND_NUMBER = regex.compile(
    r"\W*\p{L}[\p{L}'.-]{2,}(?:\s+\p{L}[\p{L}'.-]*){0,3}\s+\d{1,4}\s?[A-Za-z]?\W*"
    r"|\W*\d{1,5}[A-Za-z]?\s+\p{L}[\p{L}'.-]{2,}(?:\s+\p{L}[\p{L}'.-]*){0,2}\W*"
)
"""``Damrak 2``, ``500 Broadway``: a name and a house number, the street line right above a postcode line."""

PHONE_ONLY = regex.compile(r"\W*\+?\(?\d[\d\s()-]{6,}\d\W*")


@dataclass(frozen=True)
class HeaderGuess:
    company: str | None
    company_lines: tuple[int, ...]
    address: str | None
    address_lines: tuple[int, ...]
    confidence_company: float
    confidence_address: float


def _is_body(line: Line, lex: Lexicon) -> bool:
    return bool(find_dates(line.text, ParseOptions(lexicon=lex))) or bool(lex.body_line.search(line.text))


def header_block(lines: Sequence[Line], limit: int = 14, lexicon: Lexicon | None = None) -> list[Line]:
    """The first lines up to (not including) the first body line; at most ``limit``."""
    out: list[Line] = []
    for ln in lines[:limit]:
        if out and _is_body(ln, lexicon if lexicon is not None else default_lexicon()) and len(out) >= 2:
            break
        out.append(ln)
    return out


def _letters(text: str) -> int:
    return len(regex.findall(r"\p{L}", text))


_NO_NAME = -9.0
"""The points of a line of fewer than three letters: never a name."""


def _name_score(ln: Line, pos: int, lex: Lexicon, w: NameWeights) -> float:
    text = ln.text
    letters = _letters(text)
    if letters < 3:
        return _NO_NAME
    digits = sum(c.isdigit() for c in _STORE_NUMBER.sub("", text))  # a chain's store number is no digits' line
    score = 0.0
    if sum(len(word) for word in regex.findall(r"\p{L}{3,}", text)) < 4:
        score += w.no_word  # no real word in it ("ihe a", "of Te"): OCR of a logo, not the name
    if lex.legal_suffix.search(text):
        score += w.legal_form
    if lex.business_word.search(text):
        score += w.business_word
    if lex.not_name.search(text):
        score += w.not_name
    if lex.registration.search(text):
        score += w.registration
    if lex.address_cue.search(text) and not lex.legal_suffix.search(text):
        score += w.address_cue
        if lex.street_line.search(text):
            score += w.street_line  # a whole street line ("Calle Sol 3") is no name, whatever names its brand
    if digits > letters / 2:
        score += w.mostly_digits
    if find_dates(text, ParseOptions(lexicon=lex)):
        score += w.dated
    score += w.position * pos
    score += w.read_surely * ln.confidence
    return score


def _brand_above(line: Line, lex: Lexicon, w: NameWeights) -> bool:
    """``line``, over a line naming a kind of business, may be the brand that leads the name."""
    return (
        _name_score(line, 0, lex, w) > w.joins_below
        and not lex.registration.search(line.text)
        and not lex.address_cue.search(line.text)
    )


_NO_SPACES = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
"""Scripts that write a name without spaces (Korean spaces its words)."""


def _joined_lines(texts: Sequence[str]) -> str:
    """A name's lines as one: a space between them, none where both sides are of a script written without
    spaces (a brand over its branch: "セブン-イレブン" / "新宿西口店")."""
    out = ""
    for text in texts:
        glued = out and _NO_SPACES.match(out[-1:]) and _NO_SPACES.match(text[:1])
        out = f"{out}{text}" if glued or not out else f"{out} {text}"
    return out


_STORE_NUMBER = regex.compile(r"(?:#|\bNO\.?)\s?\d+\b", regex.IGNORECASE)
"""A store's number after its kind of business ("Restaurant #12345")."""


def _business_only(text: str, lex: Lexicon) -> bool:
    """The line names a kind of business and nothing else ("RESTAURANT", "Ristorante", a chain's
    "Restaurant #12345")."""
    rest = _STORE_NUMBER.sub("", lex.business_word.sub("", text))
    return bool(lex.business_word.search(text)) and not rest.strip(" .,&-'")


def _kind_and_suffix(text: str, lex: Lexicon) -> bool:
    """The line holds a kind of business and a legal form and no name ("Stores Ltd", "Markt GmbH"):
    the name is the line above it ("TESCO / Stores Ltd")."""
    rest = _legal_form(lex.legal_suffix_alt).sub("", text)
    return rest != text and _business_only(rest, lex)


def _unbalanced(text: str) -> bool:
    return text.count("(") != text.count(")")


_JUNK_TOKEN = regex.compile(r"[^\p{L}\p{N}]+|[^\p{L}\p{N}]*[\p{L}\p{N}][^\p{L}\p{N}]+|#(?:0\d*|\d{5,})")
"""OCR debris at the ends of a name: punctuation, one character wrapped in punctuation, ``#000002``
(a store number, ``#4717``, stays)."""


def _strip_junk(text: str, lex: Lexicon) -> str:
    tokens = text.split()
    while tokens and _JUNK_TOKEN.fullmatch(tokens[0]) and not regex.fullmatch(r"[\p{L}\p{N}]\.", tokens[0]):
        tokens.pop(0)
    while (
        tokens
        and _JUNK_TOKEN.fullmatch(tokens[-1])
        and not lex.legal_suffix.fullmatch(tokens[-1])
        and not regex.fullmatch(r"\(?[\p{L}\p{N}]+\)|[\p{L}\p{N}]\.", tokens[-1])
    ):
        tokens.pop()
    return " ".join(tokens)


_REG_THEN_DEBRIS = regex.compile(r"(?<=\p{L}\.?)\s+[({\[]?\d[\d/]{3,6}\d\s?-\s?[A-Z]\b.*$")
"""``KING'S CONFECTIONERY S/B 273500-U (8KJ}``: a registration number (as OCR read it) and whatever
OCR read after it."""

_TIME_AFTER = regex.compile(rf"(?<=\p{{L}}\.?)\s+{CLOCK}\s*$")
"""A time of day read onto the end of a name's line ("IN-N-OUT BURGER SANTA CLARA 12:48 PM": a photo's
tilt joined the name to the time printed beside it below): no name ends in one."""

_GLUED_SIGN = regex.compile(r"(?<=\p{L})[¥£€©®]+|[¥£€©®]+(?=\p{L})")
"""A currency or other sign OCR glued to a letter of a name ("D.I.Y¥.", "£LC"): a speck, not a letter."""
_INITIALS = regex.compile(r"(?<![\w.,])(?:[\p{L}\d¥][.,]){2,}(?![\w])")
"""Initials, in which OCR reads I as 1, Y as ¥ and a point as a comma ("A.1.¥.", "S,A.")."""
_INITIAL_LETTERS = str.maketrans({"1": "I", "0": "O", "5": "S", "8": "B", "¥": "Y", "$": "S", ",": "."})


def _initials(m: regex.Match[str]) -> str:
    """Initials put right; in small letters where the letters read are all small ("d.0.0." is d.o.o.)."""
    if "." not in m.group(0):
        return m.group(0)  # "X,Y,Z": a list, no initials
    out = m.group(0).translate(_INITIAL_LETTERS)
    letters = [c for c in m.group(0) if c.isalpha()]
    return out.lower() if letters and all(c.islower() for c in letters) else out


def fix_legal_name(name: str, lexicon: Lexicon | None = None) -> str:
    """The locale packs' OCR-slip repairs of company names (legal suffixes read with digits or signs),
    signs glued to letters and initials read with digits put right; only the letters change, the
    punctuation stays."""
    lex = lexicon if lexicon is not None else default_lexicon()
    name = _GLUED_SIGN.sub("", lex.repair(SlipScope.COMPANY, name))
    return _INITIALS.sub(_initials, name)


_LONE_POINT = regex.compile(r"[,;.]+")
"""A comma or point standing alone between the words of a name OCR read is a speck ("THE COFFEE BEAN , &
TEA LEAF"); typed text keeps it ("MR . DAKGALBI")."""

_CURLY_BRACKETS = regex.compile(r"[{\[(]([\p{L}\d&.\s]{1,12})[}\])]")
"""A bracketed part of a name with OCR's braces or square brackets for parentheses: ``{SP}``."""


_COMMA_IN_NAME = regex.compile(r"(?<=\p{L}{2}),(?=\s+\p{L})")
"""``Loaded, Cafe``: names keep no comma between their words; OCR made one of a speck or a logo's edge."""

_OPEN_BRACKET_TAIL = regex.compile(r"\s*\([^()]*$")

_GLUED_BRACKET = regex.compile(rf"(?<=[\p{{L}}.]{{2}})(?<!{SPACELESS})\((?=\p{{L}})")
"""``ENTERPRISE(SETIA ALAM)``: OCR lost the space names keep before a bracket (a script written without
spaces keeps none: ``百佳超級市場(香港)``)."""


_QUOTE = regex.compile(r"[\"“”„«»]")
_LEADING = regex.compile(r"^[\s\p{Pi}\p{Pf}\"'`~_|=*]+")
_TRAILING = regex.compile(r"[\s\p{Pi}\p{Pf}\"`~_|=*]+$")


def _ends_stripped(text: str) -> str:
    """Quotes, rules and specks off both ends of a name, but a quote that pairs with one inside it
    (``UAB "MAXIMA LT"``) stays."""

    def kept(run: str, rest: str, last: bool) -> str:
        quotes = _QUOTE.findall(run)
        if not quotes or len(_QUOTE.findall(rest)) % 2 == 0:
            return ""
        return quotes[-1] if last else quotes[0]

    lead = _LEADING.match(text)
    if lead:
        text = kept(lead.group(0), text[lead.end() :], False) + text[lead.end() :]
    trail = _TRAILING.search(text)
    if trail and trail.start() > 0:
        text = text[: trail.start()] + kept(trail.group(0), text[: trail.start()], True)
    return text


def clean_company(text: str, ocr: bool = True, lexicon: Lexicon | None = None) -> str:
    """Mend OCR slips in the legal suffix and initials, drop OCR debris at the ends and a trailing
    registration number from a company name; with ``ocr`` (text from an OCR engine, not typed) also
    a comma or point standing alone between its words."""
    lex = lexicon if lexicon is not None else default_lexicon()
    text = _TIME_AFTER.sub("", _REG_THEN_DEBRIS.sub("", fix_legal_name(text, lex)))
    # "{SP}" for "(SP)"; "BERRY’S" for "BERRY'S"; a quote OCR put after a word ("PAPAN’ YEW")
    text = _CURLY_BRACKETS.sub(r"(\1)", text)
    text = _GLUED_BRACKET.sub(" (", text)
    text = regex.sub(r"(?<=\p{L})[’‘`](?=\p{L})", "'", text)
    text = regex.sub(r"(?<=\p{L}(?<![Ss]))[’‘'`](?=\s)", "", text)
    text = _ends_stripped(text)
    out = _strip_junk(text, lex)
    out = _strip_junk(_drop_trailing_reg(out), lex)
    out = out.strip(" ,:;-_|")
    # Table rules and specks between the words of a name wrapped over lines ("KITCH | | - BUKIT").
    tokens = out.split()
    out = " ".join(
        t
        for i, t in enumerate(tokens)
        if not _RULE_TOKEN.fullmatch(t)
        and not (ocr and _LONE_POINT.fullmatch(t))
        # a dash between two words is printed ("PITA PITA - LOMBARD"); beside a rule it is one
        and not (t == "-" and any(_RULE_TOKEN.fullmatch(n) for n in tokens[max(0, i - 1) : i + 2 : 2]))
    )
    # "MERCADONA,S.A.": the space after the comma before a legal form read as nothing
    out = _comma_glued_to_legal_form(lex.legal_suffix_alt).sub(", ", out)
    out = _COMMA_IN_NAME.sub("", out)
    if ocr and "[" not in out:
        out = _L_AS_SIGN.sub("l", out)
    # One speck after the legal suffix ("LTD iz").
    out = _speck_after(lex.legal_only_alt).sub(r"\1", out)
    # Some legal names end at their suffix (the packs' ``legal_name_ends``): words after it on the line
    # are not the name, unless bracketed (an outlet: "... LTD (QUEEN STREET)").
    out = lex.legal_name_end.sub(r"\1", out)
    # a bracket the registration number's removal left open ("VIVA CITY (TONYMOLY SHOP (95874))")
    out = _OPEN_BRACKET_TAIL.sub("", out) if out.count("(") > out.count(")") else out
    return regex.sub(r"\s+", " ", out) or text.strip()


def _capitals_kept(name: str) -> str:
    """A name printed in capitals keeps them where a recognizer read a few small, even surely ("ALDI
    sÜD", "MERCadONA"): a word of capitals and small letters, at least half capitals, in a name of
    capitals (70 % of its letters) is all capitals. A word all in small letters stays ("CAFE de")."""
    letters = [c for c in name if c.isalpha() and c.lower() != c.upper()]
    if not letters or sum(c.isupper() for c in letters) < 0.7 * len(letters):
        return name

    def word(m: regex.Match[str]) -> str:
        w = m.group(0)
        cased = [c for c in w if c.isalpha() and c.lower() != c.upper()]
        upper = sum(c.isupper() for c in cased)
        return w.upper() if 0 < len(cased) - upper <= upper else w

    return regex.sub(r"\S+", word, name)


_RULE_TOKEN = regex.compile(r"[|¦_—–]+|-{2,}")


@functools.cache
def _legal_form(legal_suffix_alt: str) -> regex.Pattern[str]:
    return regex.compile(rf"\b(?:{legal_suffix_alt})(?!\w)", regex.IGNORECASE)


@functools.cache
def _comma_glued_to_legal_form(legal_suffix_alt: str) -> regex.Pattern[str]:
    return regex.compile(rf"(?<=\p{{L}}{{2}}),(?=(?:{legal_suffix_alt})(?!\w))", regex.IGNORECASE)


@functools.cache
def _speck_after(legal_only_alt: str) -> regex.Pattern[str]:
    return regex.compile(rf"(\b{legal_only_alt}\.?)\s+[^\s\d]{{1,2}}\W*$", regex.IGNORECASE)


NOISE_CONFIDENCE = 0.35
"""OCR lines below this confidence in the header are usually specks and logos read as text (``Ankoot :``)."""

_NOISE_TOKEN = regex.compile(r"[|¦_=~*<>«»“”‘’\"'`.,:;\-—–]+")
"""A token OCR made of a table rule, a speck, a stray quote or a lone comma or colon: never part of an
address."""

_TRAILING_SPECK = regex.compile(r"\W+|\p{Ll}{1,2}")
"""A last token that is no word of an address: punctuation, one or two lower-case letters (``e``)."""

_OCR_POSTCODE = regex.compile(r"(?<![\w-])(?=[\dSs$OoIil]{5}(?![\w-]))(?=(?:\D*\d){3})[\dSs$OoIil]{5}")
"""``S3000``, ``S2i00``: a five-character postcode with letters OCR read for digits."""


def clean_address(text: str, ocr: bool = True, lexicon: Lexicon | None = None) -> str:
    """Drop OCR noise tokens (``|``, ``.``, stray quotes) and repair postcodes misread in an address;
    with ``ocr`` (text from an OCR engine, not typed) also the abbreviations it misreads."""
    lex = lexicon if lexicon is not None else default_lexicon()
    text = lex.address_label.sub("", text, count=1)
    end = lex.address_end.search(text)
    if end is not None and end.start() > 0:
        text = text[: end.start()]
    text = regex.sub(r"(?<=\p{L})[’‘`](?=\p{L}|\s|$)", "'", text)
    tokens = [t for t in text.split() if not _NOISE_TOKEN.fullmatch(t)]
    while len(tokens) > 1 and _TRAILING_SPECK.fullmatch(tokens[-1]):
        tokens.pop()
    if tokens and _TRAILING_QUOTE.search(tokens[-1]) and _TRAILING_QUOTE.sub("", tokens[-1]):
        tokens[-1] = _TRAILING_QUOTE.sub("", tokens[-1])
    out = " ".join(_OCR_POSTCODE.sub(lambda m: m.group(0).translate(_POSTCODE_DIGITS), tok) for tok in tokens)
    if ocr:
        out = lex.address_ocr_word.sub(lambda m: lex.address_ocr_words[m.group(0).upper()], out)
        out = _INITIALS_COMMA.sub(".", out)
        out = lex.repair(SlipScope.ADDRESS, out)
        out = _BAR_IN_NUMBER.sub("1", out)
        out = _L_AS_SIGN.sub("l", out)
    return out


_TRAILING_QUOTE = regex.compile(r"(?<=\p{L}\.?)[“”\"‘’']+$")
"""``SEL.”``: a quote after the last word is a speck; an address never ends in one."""

_BAR_IN_NUMBER = regex.compile(r"(?<=\b\d+)[\]|](?=\d|-\w)")
"""``4]-1``: a 1 read as a bracket or bar inside a house number."""

_L_AS_SIGN = regex.compile(r"(?<=\p{Lu}\p{Ll}+)[\]|!](?=[\s,.]|$)")
"""``BHPetro]``, ``Aeon Mal!``: a last lower-case l read as a bracket, bar or exclamation mark (an
upper-case I or L looks no more like one than the other, and stays)."""


_INITIALS_COMMA = regex.compile(r"(?<=(?<![\p{L}.])(?:\p{Lu}\.)+\p{Lu}),(?=\s\d)")
"""``LOT P.T, 2811``: the last point of initials read as a comma before a number (``SELANGOR D.E,
MALAYSIA`` keeps its comma)."""


_POINT_FOR_COMMA = regex.compile(r"(?<=(?<![\p{L}.])(?P<word>\p{L}{4,})|\d)\.(?=\s+[\p{L}\d])")
"""``TAMAN SERDANG RAYA. 43300``: a point after a word or a number inside a recognized address is a
comma read small (labels write 1,279 such commas and 19 points), unless the word is an abbreviation
the packs know (``Domstr. 20``)."""

_POSTCODE_DIGITS = str.maketrans({"S": "5", "s": "5", "$": "5", "O": "0", "o": "0", "I": "1", "i": "1", "l": "1"})


def guess_header(lines: Sequence[Line], lexicon: Lexicon | None = None, scoring: Scoring | None = None) -> HeaderGuess:
    """Company and address from the top of the receipt, the name's line by the points of ``scoring``
    (default: ``config/scoring.yaml``'s)."""
    lex = lexicon if lexicon is not None else default_lexicon()
    weights = scoring if scoring is not None else default_scoring()
    w, aw = weights.company, weights.address
    clean = [ln for ln in lines if ln.confidence >= NOISE_CONFIDENCE or ln.index > 14]
    if len(clean) >= 2:
        lines = clean
    block = header_block(lines, lexicon=lex)
    if not block:
        return HeaderGuess(None, (), None, (), 0.0, 0.0)
    scored = [(_name_score(ln, i, lex, w), i) for i, ln in enumerate(block)]
    best_score, best = max(scored, key=lambda t: (t[0], -t[1]))
    if best_score < w.none_below:
        return HeaderGuess(None, (), None, (), 0.0, 0.0)
    if best + 1 < len(block) and _cleaner_copy(block[best].text, block[best + 1].text):
        best += 1  # a logo read with slips and the name printed under it ('RAW BAR" Falmoath' / 'FALMOUTH RAW BAR')
    name_line = block[best].text
    if not (lex.legal_suffix.search(name_line) or lex.business_word.search(name_line)):
        # the best "name" is the street or a line under it: the name is a logo OCR did not read,
        # and the address starts on the street (the topmost street line above the "name")
        street = next((i for i in range(best + 1) if lex.street_line.search(block[i].text)), None)
        if street is None and lex.postcode.search(name_line):
            street = best
        if street is not None:
            address, address_lines, conf_a = _address(lines, block[street].index - 1, lex, aw)
            footer = _footer_name(lines, len(block), lex)
            if footer is None:
                return HeaderGuess(None, (), address, address_lines, 0.0, conf_a)
            company = clean_company(footer.text, ocr=footer.confidence < TYPED_CONFIDENCE, lexicon=lex)
            company = _capitals_kept(company) if footer.confidence < 1.0 else company
            conf_c = round(w.footer_share * footer.confidence, 3)
            return HeaderGuess(company, (footer.index,), address, address_lines, conf_c, conf_a)
    start = end = best
    # a name wrapped over several lines: "AIK HUAT HARDWARE / ENTERPRISE (SETIA / ALAM) LTD"
    while start > 0:
        prev, cur = block[start - 1], block[start]
        joined = " ".join(ln.text for ln in block[start : end + 1])
        if (
            (_unbalanced(joined) or lex.continuation.match(cur.text))
            and _name_score(prev, 0, lex, w) > w.joins_below
            and not lex.registration.search(prev.text)
        ):
            start -= 1
        else:
            break
    # a name over two lines, its kind of business alone on one ("MARIANACCI'S / RESTAURANT",
    # "RISTORANTE / BELLAGIO (CO)") or with the legal form ("TESCO / Stores Ltd")
    if start == end and start > 0:
        prev, cur = block[start - 1], block[start]
        if (
            _business_only(cur.text, lex) != _business_only(prev.text, lex)
            or _kind_and_suffix(cur.text, lex)
            or lex.branch_line.fullmatch(cur.text)  # "セブン-イレブン / 新宿西口店": the brand, then its branch
        ) and _brand_above(prev, lex, w):
            start -= 1
            if _STORE_NUMBER.search(cur.text) and _business_only(cur.text, lex):
                end = start  # "STARBUCKS / Store #1234": a kind and the store's number name the outlet, not the shop
    if start == end and end + 1 < len(block) and lex.branch_line.fullmatch(block[end + 1].text):
        end += 1  # the brand chosen, its branch under it ("ファミリーマート / 渋谷店")
    # kinds of business a line each under the brand ("Caldera / BREWERY / RESTAURANT"): the brand leads
    if _business_only(block[end].text, lex):
        while end + 1 < len(block) and _business_only(block[end + 1].text, lex):
            end += 1
    if all(_business_only(ln.text, lex) for ln in block[start : end + 1]):
        while start > 0 and _business_only(block[start - 1].text, lex):
            start -= 1
        if start > 0 and _brand_above(block[start - 1], lex, w):
            start -= 1
    # a logo's name a word a line ("BELLA / PASTA") that the receipt prints again whole ("Bella Pasta")
    while start == best and end + 1 < len(block) and _printed_whole(block, start, end + 1):
        end += 1
    while end + 1 < len(block) and (
        (regex.search(r"[&-]\s*$", block[end].text) and not lex.street_line.search(block[end + 1].text))
        or lex.legal_only.fullmatch(block[end + 1].text)
    ):
        end += 1
    if (
        end + 1 < len(block)
        and _unbalanced(block[end].text)
        and ")" in block[end + 1].text
        and not _unbalanced(block[end].text + block[end + 1].text)
    ):
        end += 1
    company_raw = _joined_lines([ln.text for ln in block[start : end + 1]])
    # the address run onto the name's line ("Selver AS 11624 Tallinn"): the name ends at its legal form
    address_head = _address_after_legal_form(company_raw, lex)
    if address_head:
        company_raw = company_raw[: len(company_raw) - len(address_head)].rstrip(" ,;-")
    company = clean_company(
        company_raw, ocr=any(ln.confidence < TYPED_CONFIDENCE for ln in block[start : end + 1]), lexicon=lex
    )
    if any(ln.confidence < 1.0 for ln in block[start : end + 1]):  # read by a recognizer, however surely
        company = _capitals_kept(company)
    conf_c = w.confidence.of(best_score, min(ln.confidence for ln in block[start : end + 1]))

    after = block[end].index
    if end + 1 < len(block) and _letters_key(block[end + 1].text) == _letters_key(company_raw):
        after = block[end + 1].index  # the name printed again under its logo is no part of the address
    address, address_lines, conf_a = _address(lines, after, lex, aw)
    if address_head:
        address = " ".join(t for t in (address_head, address) if t)
        address_lines = (block[end].index, *address_lines)
        conf_a = conf_a or round(block[end].confidence * aw.on_name_line_share, 3)
    return HeaderGuess(
        company=company,
        company_lines=tuple(ln.index for ln in block[start : end + 1]),
        address=address,
        address_lines=address_lines,
        confidence_company=round(conf_c, 3),
        confidence_address=conf_a,
    )


def _address_after_legal_form(name: str, lex: Lexicon) -> str:
    """What follows a name's last legal form when it is the start of an address (a postcode or a
    street, and no other legal form), else ""."""
    forms = list(_legal_form(lex.legal_suffix_alt).finditer(name))
    if not forms:
        return ""
    last = forms[-1]
    rest = name[last.end() :].lstrip(" ,;-")
    if not rest or _unbalanced(name[: last.start()]) or regex.search(r"[()\[\]]", rest):
        return ""  # "(CO. NO: 20154-T)": a registration in brackets, not a legal form and an address
    if lex.legal_suffix.search(rest) or lex.registration.search(rest):
        return ""
    return rest if lex.postcode.search(rest) or lex.street_line.search(rest) else ""


def _cleaner_copy(first: str, second: str) -> bool:
    """``second`` prints ``first``'s words again (in any order, a letter or two apart) with fewer stray
    marks."""
    words = first.split()
    if len(words) < 2 or len(words) != len(second.split()):
        return False
    if fuzz.token_sort_ratio(first, second, processor=utils.default_process) < SAME_WORDS:
        return False
    return _marks(second) < _marks(first)


def _marks(text: str) -> int:
    return sum(1 for c in text if not (c.isalnum() or c.isspace()))


def _letters_key(text: str) -> str:
    """``text``'s letters alone, case and accents left out."""
    return "".join(c for c in unicodedata.normalize("NFKD", text).casefold() if c.isalpha())


def _printed_whole(block: Sequence[Line], first: int, last: int) -> bool:
    """Lines ``first``..``last`` of ``block`` together spell another line of it, letter for letter."""
    key = _letters_key(" ".join(ln.text for ln in block[first : last + 1]))
    return len(key) >= 6 and any(_letters_key(ln.text) == key for i, ln in enumerate(block) if not first <= i <= last)


def _footer_name(lines: Sequence[Line], skip: int, lex: Lexicon) -> Line | None:
    """The last line of the footer (below the last amount) that is a legal name (``... GmbH & Co.
    KG``, ``PT ...``): the company of a receipt whose header shows only a logo and the street. A legal name
    above the amounts is the customer's."""
    amounts = [i for i, ln in enumerate(lines) if i >= skip and find_amounts(ln.text, lex)]
    for ln in reversed(lines[max(skip, amounts[-1] + 1 if amounts else skip) :]):
        legal = lex.legal_suffix.search(ln.text) or (lex.legal_prefix and lex.legal_prefix.search(ln.text))
        if legal and not regex.search(r"\d", ln.text) and _letters(ln.text) >= 6:
            return ln
    return None


def _dated(text: str, lex: Lexicon) -> bool:
    """Whether ``text`` prints a date: not a street number shaped like one, glued to the street's name
    on a line the address cues mark ("東京都渋谷区道玄坂2-6-17", in a script without spaces)."""
    dates = find_dates(text, ParseOptions(lexicon=lex))
    glued = all(start > 0 and text[start - 1].isalpha() for _, _, start in dates)
    return bool(dates) and not (glued and lex.address_cue.search(text))


def _postcode_alone(text: str, lex: Lexicon) -> bool:
    """Whether ``text`` is a postcode and nothing else: where it is printed above the street."""
    return bool(lex.postcode.search(text)) and not any(c.isalnum() for c in lex.postcode.sub("", text))


_PRICE_END = regex.compile(
    r"(?:(?<![\d.,/-])\d{1,6}[.,]\d{2}|\p{Sc}\s?\d{1,3}(?:[.,]\d{3})*)(?:\s*\p{Lu}{1,3})?\s*$"
)
"""A price: with cents, or a currency's mark before a whole amount ("¥1,000")."""


def _priced(text: str) -> regex.Match[str] | None:
    """The line ends in a price after words ("Milch 1,29", "Total CHF 5.05", "弁当 ¥1,000"): the items
    have begun, no address goes on (where no pack knows the country's postcodes, nothing else ends it)."""
    m = _PRICE_END.search(text)
    return m if m is not None and regex.search(r"\p{L}{2,}", text[: m.start()]) else None


def _shows_address(text: str, lex: Lexicon) -> bool:
    """The line shows something of an address: a cue, a street, a postcode."""
    return bool(lex.address_cue.search(text) or lex.street_line.search(text) or lex.postcode.search(text))


def _address(
    lines: Sequence[Line], after: int, lex: Lexicon, w: AddressWeights
) -> tuple[str | None, tuple[int, ...], float]:
    """The address in the lines after the line with index ``after`` (the name's last line), up to the
    first stop line; its line indexes and confidence."""
    end = next((i for i, ln in enumerate(lines) if ln.index > after), len(lines)) - 1
    addr: list[Line] = []
    phone_first = False
    for ln in lines[end + 1 : end + 9]:
        text = ln.text
        if lex.registration.search(text) or (not addr and text.startswith("(") and text.endswith(")")):
            if addr and any(lex.address_cue.search(a.text) for a in addr):
                break
            addr = []  # "JIAWEI HOUSE / 002693074-K": a second name line above the registration number
            continue
        # a postcode's letters are no stop word ("1012 PH Amsterdam": PH is no phone's label there)
        # a tax number's label ends the address too ("UID: ATU14305401", "P.IVA 0123..."), as do the items
        masked = lex.postcode.sub(lambda m: " " * len(m.group(0)), text)
        stop = lex.stop_line.search(masked) or lex.tax_id_label.search(masked) or _priced(text)
        if stop or _dated(text, lex):
            head = text[: stop.start()] if stop else ""
            if lex.postcode.search(head) and (addr or lex.address_cue.search(head)):
                addr.append(Line(ln.index, head, ln.confidence))  # "81750 JOHOR BAHRU, JOHOR. TEL: ..."
                break
            if addr or ln.index - end > 4:
                break
            continue
        if not addr and lex.legal_suffix.search(text) and not lex.address_cue.search(text):
            continue  # a second name line ("branch of X LTD")
        if PHONE_ONLY.fullmatch(text) and not _postcode_alone(text, lex):  # not "〒140-0002"
            if addr and not any(_shows_address(a.text, lex) for a in addr):
                addr = []  # "Walmart / Save money. Live better. / (479) 273-4134 / 2110 W WALNUT ST": a slogan
            elif addr:
                break
            phone_first = True  # "BURGER BARN / (916) 555-3415 / 8105 OAK AVE": the street may follow
            continue
        if addr and lex.postcode.search(addr[-1].text) and lex.region_line.fullmatch(text):
            addr.append(ln)  # "45600 BATANG BERJUNTAI / SELANGOR DARUL EHSAN"
            continue
        if addr and lex.postcode.search(addr[-1].text) and _OUTLET.fullmatch(text):
            addr.append(ln)  # "41150 KLANG, SELANGOR / 1320-TMN BATU": a chain's outlet code and name
            break
        most_words = 6 if addr and _ENDS_WITH_POSTCODE.search(addr[-1].text) else 2
        if (
            addr
            and lex.postcode.search(addr[-1].text)
            and not (len(addr) == 1 and _postcode_alone(addr[0].text, lex))  # "〒140-0002" / "東京都品川区..."
            and not lex.postcode.search(text)
            and (
                len(text.split()) > most_words
                or regex.search(r"\d", text)
                # "10115 Berlin / BANANE": where the town's line ends an address, only a line the
                # comma announced goes on
                or (lex.town_ends_address and not addr[-1].text.rstrip().endswith(","))
            )
        ):
            # The line after "81100 JOHOR BAHRU," is a state ("JOHOR.") or something else; after a
            # line ending in its postcode ("..., 43300") come the town and state ("SELANGOR DARUL EHSAN.").
            break
        post = next((i for i in range(len(addr) - 1, -1, -1) if lex.postcode.search(addr[i].text)), None)
        if post is not None and not lex.postcode.search(text):
            after_post = len(addr) - 1 - post
            ends_post = _ENDS_WITH_POSTCODE.search(addr[post].text)
            if after_post >= (2 if ends_post else 1) and not addr[-1].text.rstrip().endswith(","):
                # "47200 SUBANG / SELANGOR / D'ROSH SERVPORT": the state was the last line (a line
                # ending in a comma goes on: "39100 BRINCHANG, / CAMERON HIGHLANDS, / PAHANG")
                break
        addr.append(ln)
        if len(addr) >= 6:
            break
    # drop leading lines without any address cue ("LICENSEE OF ...") when later ones have one
    cue = lex.address_cue
    while (
        len(addr) > 1
        and not cue.search(addr[0].text)
        and not lex.street_line.search(addr[0].text)
        and not _postcode_alone(addr[0].text, lex)
        and not (_NAME_AND_NUMBER.fullmatch(addr[0].text) and lex.postcode.search(addr[1].text))
        and any(cue.search(a.text) for a in addr[1:])
    ):
        addr.pop(0)
    if phone_first and not any(cue.search(a.text) or lex.street_line.search(a.text) for a in addr):
        addr = []  # what follows the name's phone is an address only where it shows one
    address = (
        clean_address(
            " ".join(ln.text for ln in addr), ocr=any(ln.confidence < TYPED_CONFIDENCE for ln in addr), lexicon=lex
        )
        or None
    )
    if address and any(ln.confidence < 1.0 for ln in addr):
        address = _POINT_FOR_COMMA.sub(
            lambda m: m.group(0) if lex.address_abbreviation.fullmatch(m.group("word") or "") else ",", address
        )
    cues = sum(1 for ln in addr if lex.address_cue.search(ln.text))
    conf_a = 0.0
    if addr:
        conf_a = w.confidence.of(cues, min(ln.confidence for ln in addr))
    return address, tuple(ln.index for ln in addr), round(conf_a, 3)
