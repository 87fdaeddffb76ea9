"""Company and address from the header block at the top of a receipt.

The header is the run of lines before the first "body" line (a date, the
document title, a receipt number, item columns). The company is the header
line that looks most like a business name (a legal suffix such as ``SDN BHD``,
``LTD``, ``ENTERPRISE``; early in the block), joined with the lines it wraps
onto; the address is the lines after it up to the first phone/tax/title line,
skipping registration numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import regex

from icr.text.lines import TYPED_CONFIDENCE, Line
from icr.text.parsers import find_dates

LEGAL_SUFFIX = regex.compile(
    r"(?:\b|(?<=\s)(?=\$))"  # "$/B": S/B as OCR reads it
    r"(?:S[DO0]N\.?\s*B[HN][DO0]|BHD|BERHAD|[S5$]/[B8]|PLT|LTD|LIMITED|LLC|L\.L\.C|INC|CORP(?:ORATION)?|GMBH|AG|SARL|SAS"
    r"|PTE|PTY|CO\.?|COMPANY|ENTERPRISES?|TRADING|TRADERS?|HOLDINGS?|INDUSTRIES|GROUP|LLP|PLC|S\.A\.|B\.V\.|N\.V\.)"
    r"(?:\W*$|\s*[({\[]|\s+[^\s\d]{1,2}\W*$)",  # or before one speck of OCR debris ("SDN BHD iz")
    regex.IGNORECASE,
)
"""A legal-name ending (at the end of the line, or before a bracketed registration number)."""

BUSINESS_WORD = regex.compile(
    r"\b(?:RESTAURANT|RESTORAN|CAFE|COFFEE|KOPITIAM|BAKERY|MART|MARKET|SUPERMARKET|HYPERMARKET|STORE|STORES|SHOP"
    r"|STATIONERY|HARDWARE|PHARMACY|FARMASI|BOOKSTORE|BOOKS?|HOTEL|STATION|PETROL|FOOD|FOODS|KITCHEN|BAR|GRILL"
    r"|TRADING|ENTERPRISE|MINI\s*MARKET|KEDAI|PERNIAGAAN|SYARIKAT|GALLERY|CENTRE|CENTER|OUTLET|BISTRO|PIZZA|DINER"
    r"|DELI|TEA|BURGER|CHICKEN|NOODLE|MEE|NASI|PUB|SALON|LAUNDRY|CLINIC|MOTOR|AUTO|ELECTRICAL|PRINTING|SUPPLY|SUPPLIES)\b",
    regex.IGNORECASE,
)

NOT_NAME = regex.compile(
    r"\b(?:OWNED\s*BY|A\s*MEMBER\s*OF|MANAGED\s*BY|OPERATED\s*BY|FRANCHISE[ED]?\s*BY|WELCOME|THANK|RECEIPT|INVOICE"
    r"|CASH\s*(?:BILL|SALES?)|BILL|TABLE|ORDER|CASHIER|DATE|TIME|TEL|PHONE|FAX|EMAIL|GST|SST|VAT|TAX|REG\.?\s*NO|COPY)\b",
    regex.IGNORECASE,
)

STOP_LINE = regex.compile(
    r"\b(?:TEL|TELEPHONE|PHONE|PH|FAX|H/?P|HP|MOBILE|MOB|WHATSAPP\w*|EMAIL|E-MAIL|WEBSITE|GST|SST|VAT|ABN|TIN|UEN"
    r"|TAX|INVOICE|RECEIPT|RESIT|BILL|CASHIER|CASH|DATE|TIME|DOC|DOCUMENT|TABLE|ORDER|SALES|SERVER|OPEN|DAILY"
    r"|CUSTOMER|MEMBER|TERMINAL|POS|COUNTER|QTY|ITEM|DESCRIPTION|THANK|WELCOME)\b|@|WWW\.|HTTP|\.COM\b",
    regex.IGNORECASE,
)
"""A line that ends the address (contact details, document title, body)."""

REGISTRATION = regex.compile(
    r"^\(?\s*(?:CO(?:MPANY)?\.?\s*(?:REG(?:ISTRATION)?\.?)?\s*(?:NO|NUMBER)?\.?\s*:?\s*)?"
    r"[A-Z]{0,3}\d[\d\s]{3,}\s*-?\s*[A-Z]\s*\)?\W*$"
    r"|^\(?\s*(?:CO|COMPANY|ROC|BRN?|SSM|REG(?:ISTRATION)?)\.?\s*(?:REG\.?)?\s*(?:NO|NUMBER)\.?\s*:?.*$",
    regex.IGNORECASE,
)
"""``(81109-A)``, ``789417-W``, ``CO REG NO: 797887-W``: a company registration number line."""

TRAILING_REG = regex.compile(
    r"\s*[\(\[{]?\s*(?:CO\.?\s*(?:REG\.?)?\s*(?:NO\.?)?\s*:?\s*)?\d{3,}[\d\s]*-?\s*[A-Z]?\s*[\)\]}]?\s*$",
    regex.IGNORECASE,
)
"""A registration number printed after the name: ``99 SPEED MART S/B (519537-X)``."""

ADDRESS_CUE = regex.compile(
    r"\b(?:NO|LOT|JALAN|JLN|TAMAN|TMN|LORONG|PERSIARAN|LEBUH|KAMPUNG|KG|BANDAR|SEKSYEN|BLOCK|BLK|UNIT|LEVEL|FLOOR"
    r"|STREET|ST|ROAD|RD|AVENUE|AVE|BOULEVARD|BLVD|LANE|LN|DRIVE|DR|HIGHWAY|HWY|SUITE|STE|PLAZA|SQUARE|STRASSE|STR"
    r"|RUE|PO\s*BOX|BUILDING|BLDG|MALL|CITY|INDUSTRIAL|KAWASAN|BATU)\b|\b\d{5}\b|\d+[A-Z]?\s*,",
    regex.IGNORECASE,
)


_STREET_LINE = regex.compile(r"^\W*(?:NO|LOT|UNIT|BLK|BLOCK)\b\W*\d|^\W*\d+[A-Z]?\s*,", regex.IGNORECASE)
"""A line that starts like a street address (``NO. 17, JALAN ...``, ``12, JALAN ...``): no part of a name."""

_STATE = (
    r"(?:SELANGOR(?:\s+DARUL\s+EHSAN)?|JOHOR(?:\s+DARUL\s+TA'?KZIM)?|(?:WILAYAH\s+PERSEKUTUAN\s+)?KUALA\s+LUMPUR"
    r"|WILAYAH\s+PERSEKUTUAN|PULAU\s+PINANG|PENANG|PERAK(?:\s+DARUL\s+RIDZUAN)?|PAHANG(?:\s+DARUL\s+MAKMUR)?"
    r"|KEDAH(?:\s+DARUL\s+AMAN)?|KELANTAN|TERENGGANU|MELAKA|MALACCA|NEGERI\s+SEMBILAN|SABAH|SARAWAK|PERLIS"
    r"|PUTRAJAYA|LABUAN|MALAYSIA)"
)
_STATE_LINE = regex.compile(rf"\W*{_STATE}(?:[\s,.]+{_STATE})*\W*", regex.IGNORECASE)
"""A line that is a Malaysian state (and the country): the end of an address printed after its postcode."""

_OUTLET = regex.compile(r"\d{3,4}\s?-\s?\p{Lu}[\p{Lu}\s.']+")
"""``1320-TMN BATU``: the outlet number and name a chain prints under its head office address."""

_ENDS_WITH_POSTCODE = regex.compile(r"\b\d{5}\W*$")

PHONE_ONLY = regex.compile(r"\W*\+?\(?\d[\d\s()-]{6,}\d\W*")
POSTCODE = regex.compile(
    r"(?<![\d-])(?<!(?i:\b(?:LOT|NO|P\.?T|PTD|UNIT|BLK|BLOCK)\.?\s{0,2}))\d{5}(?![\d-])"
    r"|\b\d{2}\s\d{3}\b|\b[A-Z]{1,2}\d{1,2}[A-Z]?\s\d[A-Z]{2}\b"
)
"""A postcode (five digits, or a UK-style one): the address usually ends on or just after it.
Five digits after ``LOT``/``NO``/``PT`` are a lot number (``LOT 34817 JALAN BATU AMBAR``)."""


@dataclass(frozen=True)
class HeaderGuess:
    company: str | None
    company_lines: tuple[int, ...]
    address: str | None
    address_lines: tuple[int, ...]
    confidence_company: float
    confidence_address: float


def _is_body(line: Line) -> bool:
    return bool(find_dates(line.text)) or bool(
        regex.search(
            r"\b(?:TAX\s*INVOICE|INVOICE|RECEIPT|CASHIER|DOC(?:UMENT)?\s*NO|BILL\s*NO|TABLE|QTY)\b",
            line.text,
            regex.IGNORECASE,
        )
    )


def header_block(lines: Sequence[Line], limit: int = 14) -> list[Line]:
    """The first lines up to (not including) the first body line; at most ``limit``."""
    out: list[Line] = []
    for ln in lines[:limit]:
        if out and _is_body(ln) and len(out) >= 2:
            break
        out.append(ln)
    return out


def _letters(text: str) -> int:
    return len(regex.findall(r"\p{L}", text))


def _name_score(ln: Line, pos: int) -> float:
    text = ln.text
    letters = _letters(text)
    if letters < 3:
        return -9.0
    digits = sum(c.isdigit() for c in text)
    score = 0.0
    if sum(len(w) for w in regex.findall(r"\p{L}{3,}", text)) < 4:
        score -= 2.0  # no real word in it ("ihe a", "of Te"): OCR of a logo, not the name
    if LEGAL_SUFFIX.search(text):
        score += 3.0
    if BUSINESS_WORD.search(text):
        score += 1.0
    if NOT_NAME.search(text):
        score -= 3.0
    if REGISTRATION.search(text):
        score -= 4.0
    if ADDRESS_CUE.search(text) and not LEGAL_SUFFIX.search(text):
        score -= 1.5
    if digits > letters / 2:
        score -= 2.0
    if find_dates(text):
        score -= 3.0
    score -= 0.45 * pos
    score += 0.3 * ln.confidence
    return score


def _unbalanced(text: str) -> bool:
    return text.count("(") != text.count(")")


_CONTINUATION_START = regex.compile(
    r"^(?:S[DO0]N\.?\s*B[HN]D|BHD|BERHAD|S/B|LTD|LIMITED|INC|ENTERPRISES?|TRADING|HOLDINGS|CORP\w*|CO\.?|COMPANY"
    r"|&|AND|\(|[A-Z]+\))",
    regex.IGNORECASE,
)


_JUNK_TOKEN = regex.compile(r"[^\p{L}\p{N}]+|[^\p{L}\p{N}]*[\p{L}\p{N}][^\p{L}\p{N}]+|#\d+")
"""OCR debris at the ends of a name: punctuation, one character wrapped in punctuation, ``#000002``."""


def _strip_junk(text: str) -> str:
    tokens = text.split()
    while tokens and _JUNK_TOKEN.fullmatch(tokens[0]) and not regex.fullmatch(r"[\p{L}\p{N}]\.", tokens[0]):
        tokens.pop(0)
    while (
        tokens
        and _JUNK_TOKEN.fullmatch(tokens[-1])
        and not LEGAL_SUFFIX.fullmatch(tokens[-1])
        and not regex.fullmatch(r"\(?[\p{L}\p{N}]+\)|[\p{L}\p{N}]\.", tokens[-1])
    ):
        tokens.pop()
    return " ".join(tokens)


_REG_THEN_DEBRIS = regex.compile(r"(?<=\p{L}\.?)\s+[({\[]?\d[\d/]{3,6}\d\s?-\s?[A-Z]\b.*$")
"""``KING'S CONFECTIONERY S/B 273500-U (8KJ}``, ``... SDN BHD 862/25-U``: a registration number
(as OCR read it) and whatever OCR read after it."""

_SDN_BHD = regex.compile(
    r"\b[S5](?:DN|ON|DIV|UN|DM|DH|0N|DI|IN|DTI|DRI)(\.?’?\s*)[B8](?:HD|HO|H0|HI|ILD|UILD|HID|H1D|ED|ND|HB|KD)(?=\W|$)",
    regex.IGNORECASE,
)
_BHD_S_B = regex.compile(r"(?<=\s|^)(?:8HD|BH0|\$/B|5/B|S/8)(?=\W|$)")
"""Digits and signs OCR reads for letters in the short legal suffixes: "8HD", "$/B"."""
_GLUED_SIGN = regex.compile(r"(?<=\p{L})[¥£€©®]+|[¥£€©®]+(?=\p{L})")
"""A currency or other sign OCR glued to a letter of a name ("D.I.Y¥.", "£LC"): a speck, not a letter."""
_MALAYSIA = regex.compile(r"\((?:H|N|W|4|1|IM|RM|NM)\)(?=\s*(?:S[DO0]N\.?\s*)?(?:BHD|BERHAD|S/B)\b)")
"""``(H) BHD``, ``(4) SDN BHD``: the ``(M)`` (Malaysia) of a Malaysian company's legal name, misread."""
_INITIALS = regex.compile(r"(?<![\w.])(?:[\p{L}\d¥]\.){2,}(?![\w])")
"""Initials like "D.1.Y.", in which OCR reads I as 1 and Y as ¥."""
_INITIAL_LETTERS = str.maketrans({"1": "I", "0": "O", "5": "S", "8": "B", "¥": "Y", "$": "S"})


def fix_legal_name(name: str) -> str:
    """OCR's slips in legal suffixes ("SDN BND", "SON 8HO", "8HD", "$/B", "(H) BHD" for "(M) BHD"),
    signs glued to letters and initials ("D.1.¥.") put right; only the letters change, the
    punctuation stays."""
    name = _SDN_BHD.sub(lambda m: "SDN" + m.group(1).replace("’", "") + "BHD", name)
    name = _BHD_S_B.sub(lambda m: "BHD" if m.group(0)[-1] in "DdOo0" else "S/B", name)
    name = _MALAYSIA.sub("(M)", _GLUED_SIGN.sub("", name))
    return _INITIALS.sub(lambda m: m.group(0).translate(_INITIAL_LETTERS), name)


_LONE_POINT = regex.compile(r"[,;.]+")
"""A comma or point standing alone between the words of a name OCR read is a speck ("THE COFFEE BEAN , &
TEA LEAF"); typed text keeps it ("MR . DAKGALBI")."""

_CURLY_BRACKETS = regex.compile(r"[{\[(]([\p{L}\d&.\s]{1,12})[}\])]")
"""A bracketed part of a name with OCR's braces or square brackets for parentheses: ``{SP}``."""


def clean_company(text: str, ocr: bool = True) -> str:
    """Mend OCR slips in the legal suffix and initials, drop OCR debris at the ends and a trailing
    registration number from a company name; with ``ocr`` (text from an OCR engine, not typed) also
    a comma or point standing alone between its words."""
    text = _REG_THEN_DEBRIS.sub("", fix_legal_name(text))
    # "{SP}" for "(SP)"; "BERRY’S" for "BERRY'S"; a quote OCR put after a word ("PAPAN’ YEW")
    text = _CURLY_BRACKETS.sub(r"(\1)", text)
    text = regex.sub(r"(?<=\p{L})[’‘`](?=\p{L})", "'", text)
    text = regex.sub(r"(?<=\p{L}(?<![Ss]))[’‘'`](?=\s)", "", text)
    text = regex.sub(r"^[\s\p{Pi}\p{Pf}\"'`~_|=*]+|[\s\p{Pi}\p{Pf}\"`~_|=*]+$", "", text)
    out = _strip_junk(text)
    out = _strip_junk(TRAILING_REG.sub("", out))
    out = out.strip(" ,:;-_|")
    # Table rules and specks between the words of a name wrapped over lines ("KITCH | | - BUKIT").
    out = " ".join(t for t in out.split() if not _RULE_TOKEN.fullmatch(t) and not (ocr and _LONE_POINT.fullmatch(t)))
    if ocr and "[" not in out:
        out = _L_AS_SIGN.sub("l", out)
    # One speck after the legal suffix ("SDN BHD iz").
    out = regex.sub(r"(\b(?:BHD|BERHAD|S/B|LTD|INC)\.?)\s+[^\s\d]{1,2}\W*$", r"\1", out, flags=regex.IGNORECASE)
    # A Malaysian legal name ends at its suffix: words after it on the line are not the name, unless
    # bracketed (an outlet: "CHECKERS HYPERMARKET SDN BHD (JALAN KLANG LAMA)").
    out = regex.sub(r"(\b(?:SDN\.?\s*BHD|BERHAD)\.?)(?:\s+[^\s(\[{][^(\[{]*)$", r"\1", out)
    return regex.sub(r"\s+", " ", out) or text.strip()


_RULE_TOKEN = regex.compile(r"[|¦_\-—–]+")


NOISE_CONFIDENCE = 0.35
"""OCR lines below this confidence in the header are usually specks and logos read as text (``Ankoot :``)."""

_LEGAL_ONLY = regex.compile(
    r"\W*(?:S[DO0]N\.?\s*B[HN][DO0]|BHD|BERHAD|S/B|PTE\.?\s*LTD|LTD|LIMITED|INC|LLC|PLC|GMBH)\W*", regex.IGNORECASE
)
"""A line that is only a legal suffix (``SDN. BHD.``): the end of the name above it."""


_NOISE_TOKEN = regex.compile(r"[|¦_=~*<>«»“”‘’\"'`.,:;\-—–]+")
"""A token OCR made of a table rule, a speck, a stray quote or a lone comma or colon: never part of an
address."""

_ADDRESS_END = regex.compile(
    r"(?:\p{L}+:?)?\+?\(?0\d{1,2}\)?[\s-]?\d{3,4}[\s-]?\d{4}\b|TAX\s?INVOICE|\bINVOICE\b|\bRECEIPT\b", regex.IGNORECASE
)
"""Where an address line runs on into something else: a telephone number (``Outlet:03-80626265``) or
the document's title (``Johor TAXINVOICE``). The address ends before it."""

_TRAILING_SPECK = regex.compile(r"\W+|\p{Ll}{1,2}")
"""A last token that is no word of an address: punctuation, one or two lower-case letters (``e``)."""

_OCR_POSTCODE = regex.compile(r"(?<![\w-])(?=[\dSs$OoIil]{5}(?![\w-]))(?=(?:\D*\d){3})[\dSs$OoIil]{5}")
"""``S3000``, ``S2i00``: a five-character postcode with letters OCR read for digits."""

ADDRESS_OCR_WORDS = {"JIN": "JLN", "BIK": "BLK", "TRN": "TMN", "THN": "TMN", "LOY": "LOT"}
"""Address abbreviations as Tesseract misreads them (``Jin`` for ``JLN``), by their upper-case spelling."""


def clean_address(text: str, ocr: bool = True) -> str:
    """Drop OCR noise tokens (``|``, ``.``, stray quotes) and repair postcodes misread in an address;
    with ``ocr`` (text from an OCR engine, not typed) also the abbreviations it misreads."""
    end = _ADDRESS_END.search(text)
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
        out = _OCR_ABBREVIATION.sub(lambda m: ADDRESS_OCR_WORDS[m.group(0).upper()], out)
        out = _INITIALS_COMMA.sub(".", out)
        out = _NUMBER_WORD.sub("NO.", out)
        out = _BAR_IN_NUMBER.sub("1", out)
        out = _L_AS_SIGN.sub("l", out)
    return out


_TRAILING_QUOTE = regex.compile(r"(?<=\p{L}\.?)[“”\"‘’']+$")
"""``SEL.”``: a quote after the last word is a speck; an address never ends in one."""

_NUMBER_WORD = regex.compile(r"(?<![\p{L}\p{N}])(?:N[Q0][.,]|NO,(?=\s))(?=\s?\d)")
"""``NQ.9``, ``N0.9``, ``NO, 89``: the house-number word "NO." with its O or point misread (typed
addresses write ``NO,1`` without a space, and that stays)."""

_BAR_IN_NUMBER = regex.compile(r"(?<=\b\d+)[\]|](?=\d|-\w)")
"""``4]-1``: a 1 read as a bracket or bar inside a house number."""

_L_AS_SIGN = regex.compile(r"(?<=\p{Lu}\p{Ll}+)[\]|!](?=[\s,.]|$)")
"""``BHPetro]``, ``Aeon Mal!``: a last lower-case l read as a bracket, bar or exclamation mark (an
upper-case I or L looks no more like one than the other, and stays)."""


_OCR_ABBREVIATION = regex.compile(r"(?<!\p{L})(?:" + "|".join(ADDRESS_OCR_WORDS) + r")(?!\p{L})", regex.IGNORECASE)
"""A misread abbreviation as a word of its own, also after a hyphen (``1237-THN INDAH``)."""

_INITIALS_COMMA = regex.compile(r"(?<=(?<![\p{L}.])(?:\p{Lu}\.)+\p{Lu}),(?=\s\d)")
"""``LOT P.T, 2811``: the last point of initials read as a comma before a number (``SELANGOR D.E,
MALAYSIA`` keeps its comma)."""


_POSTCODE_DIGITS = str.maketrans({"S": "5", "s": "5", "$": "5", "O": "0", "o": "0", "I": "1", "i": "1", "l": "1"})


def guess_header(lines: Sequence[Line]) -> HeaderGuess:
    """Company and address from the top of the receipt."""
    clean = [ln for ln in lines if ln.confidence >= NOISE_CONFIDENCE or ln.index > 14]
    if len(clean) >= 2:
        lines = clean
    block = header_block(lines)
    if not block:
        return HeaderGuess(None, (), None, (), 0.0, 0.0)
    scored = [(_name_score(ln, i), i) for i, ln in enumerate(block)]
    best_score, best = max(scored, key=lambda t: (t[0], -t[1]))
    if best_score < -3.0:
        return HeaderGuess(None, (), None, (), 0.0, 0.0)
    name_line = block[best].text
    if not (LEGAL_SUFFIX.search(name_line) or BUSINESS_WORD.search(name_line)):
        # the best "name" is the street, or the line after it: the name is a logo OCR did not
        # read, and the address starts on the street
        street = next(
            (
                i
                for i in (best, best - 1)
                if i >= 0 and (_STREET_LINE.search(block[i].text) or (i == best and POSTCODE.search(name_line)))
            ),
            None,
        )
        if street is not None:
            address, address_lines, conf_a = _address(lines, block[street].index - 1)
            return HeaderGuess(None, (), address, address_lines, 0.0, conf_a)
    start = end = best
    # a name wrapped over several lines: "AIK HUAT HARDWARE / ENTERPRISE (SETIA / ALAM) SDN BHD"
    while start > 0:
        prev, cur = block[start - 1], block[start]
        joined = " ".join(ln.text for ln in block[start : end + 1])
        if (
            (_unbalanced(joined) or _CONTINUATION_START.match(cur.text))
            and _name_score(prev, 0) > -2.5
            and not REGISTRATION.search(prev.text)
        ):
            start -= 1
        else:
            break
    while end + 1 < len(block) and (
        (regex.search(r"[&-]\s*$", block[end].text) and not _STREET_LINE.search(block[end + 1].text))
        or _LEGAL_ONLY.fullmatch(block[end + 1].text)
    ):
        end += 1
    if (
        end + 1 < len(block)
        and _unbalanced(block[end].text)
        and ")" in block[end + 1].text
        and not _unbalanced(block[end].text + block[end + 1].text)
    ):
        end += 1
    company_raw = " ".join(ln.text for ln in block[start : end + 1])
    company = clean_company(company_raw, ocr=any(ln.confidence < TYPED_CONFIDENCE for ln in block[start : end + 1]))
    conf_c = min(1.0, max(0.2, 0.45 + 0.12 * best_score)) * min(ln.confidence for ln in block[start : end + 1])

    address, address_lines, conf_a = _address(lines, block[end].index)
    return HeaderGuess(
        company=company,
        company_lines=tuple(ln.index for ln in block[start : end + 1]),
        address=address,
        address_lines=address_lines,
        confidence_company=round(conf_c, 3),
        confidence_address=conf_a,
    )


def _address(lines: Sequence[Line], after: int) -> tuple[str | None, tuple[int, ...], float]:
    """The address in the lines after the line with index ``after`` (the name's last line), up to the
    first stop line; its line indexes and confidence."""
    end = next((i for i, ln in enumerate(lines) if ln.index > after), len(lines)) - 1
    addr: list[Line] = []
    for ln in lines[end + 1 : end + 9]:
        text = ln.text
        if REGISTRATION.search(text) or (not addr and text.startswith("(") and text.endswith(")")):
            if addr and any(ADDRESS_CUE.search(a.text) for a in addr):
                break
            addr = []  # "JIAWEI HOUSE / 002693074-K": a second name line above the registration number
            continue
        stop = STOP_LINE.search(text)
        if stop or find_dates(text):
            head = text[: stop.start()] if stop else ""
            if POSTCODE.search(head) and (addr or ADDRESS_CUE.search(head)):
                addr.append(Line(ln.index, head, ln.confidence))  # "81750 JOHOR BAHRU, JOHOR. TEL: ..."
                break
            if addr or ln.index - end > 4:
                break
            continue
        if not addr and LEGAL_SUFFIX.search(text) and not ADDRESS_CUE.search(text):
            continue  # a second name line ("branch of X SDN BHD")
        if PHONE_ONLY.fullmatch(text):
            break
        if addr and POSTCODE.search(addr[-1].text) and _STATE_LINE.fullmatch(text):
            addr.append(ln)  # "45600 BATANG BERJUNTAI / SELANGOR DARUL EHSAN"
            continue
        if addr and POSTCODE.search(addr[-1].text) and _OUTLET.fullmatch(text):
            addr.append(ln)  # "41150 KLANG, SELANGOR / 1320-TMN BATU": a chain's outlet code and name
            break
        most_words = 6 if addr and _ENDS_WITH_POSTCODE.search(addr[-1].text) else 2
        if (
            addr
            and POSTCODE.search(addr[-1].text)
            and not POSTCODE.search(text)
            and (len(text.split()) > most_words or regex.search(r"\d", text))
        ):
            # The line after "81100 JOHOR BAHRU," is a state ("JOHOR.") or something else; after a
            # line ending in its postcode ("..., 43300") come the town and state ("SELANGOR DARUL EHSAN.").
            break
        post = next((i for i in range(len(addr) - 1, -1, -1) if POSTCODE.search(addr[i].text)), None)
        if post is not None and not POSTCODE.search(text):
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
    while len(addr) > 1 and not ADDRESS_CUE.search(addr[0].text) and any(ADDRESS_CUE.search(a.text) for a in addr[1:]):
        addr.pop(0)
    address = (
        clean_address(" ".join(ln.text for ln in addr), ocr=any(ln.confidence < TYPED_CONFIDENCE for ln in addr))
        or None
    )
    cues = sum(1 for ln in addr if ADDRESS_CUE.search(ln.text))
    conf_a = 0.0
    if addr:
        conf_a = min(1.0, 0.35 + 0.15 * cues) * min(ln.confidence for ln in addr)
    return address, tuple(ln.index for ln in addr), round(conf_a, 3)
