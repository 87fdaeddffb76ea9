"""The schema of a locale pack (``config/locales/<tag>.yaml``), validated with pydantic.

A pack holds what one language or country prints on its receipts: the words of each amount
role, currency marks, date order, legal-form suffixes, address cues, OCR-slip repairs. Every
pattern is a ``regex`` fragment, compiled when the pack is loaded so a bad one is reported
with its file and key; an unknown or misspelled key is an error too (``extra="forbid"``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, field_validator


class Role(StrEnum):
    """What an amount on a receipt is. ``PAID`` is the amount tendered (cash, card)."""

    NOTE = "note"
    QTY = "qty"
    NET = "net"
    VAT_TABLE = "vat_table"
    TOTAL_ROUNDED = "total_rounded"
    ROUNDING = "rounding"
    SUBTOTAL = "subtotal"
    TOTAL = "total"
    DISCOUNT = "discount"
    CHANGE = "change"
    TIP = "tip"
    SERVICE_CHARGE = "service_charge"
    TAX = "tax"
    PAID = "paid"


class SlipScope(StrEnum):
    """Where an OCR-slip repair applies."""

    AMOUNT = "amount"
    """A line before its amounts are read; the repair keeps the line's length (padded with spaces)."""
    DATE = "date"
    """A line before its dates are read."""
    COMPANY = "company"
    """The company name."""
    ADDRESS = "address"
    """An address a recognizer read (typed text is as printed)."""


def _check_pattern(value: str) -> str:
    try:
        regex.compile(value)
    except regex.error as exc:
        raise ValueError(f"bad pattern {value!r}: {exc}") from exc
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Slip(_Strict):
    """One OCR-slip repair: ``pattern`` -> ``replacement`` (``\\1`` refers to a group)."""

    scope: SlipScope
    pattern: str
    replacement: str
    digits: bool = False
    """Letters OCR reads for digits (O, S, l...) in the replaced text become digits."""
    order: int = 0
    """Repairs of one scope run by ``order`` (then pack order): a later one may need an earlier one's output."""
    why: str = ""
    western_years: bool = False
    """The repair takes a year outside 19xx and 20xx for a misread one (``2518`` for ``2018``): it does
    not apply where the packs count years from another epoch (``year_offset``), whose years those are."""

    _check = field_validator("pattern")(_check_pattern)


class LabelRule(_Strict):
    """Labels of one amount role. Rules are tried by ``tier`` (lowest first) over all applied packs:
    the first tier whose patterns match a label names the amount's role."""

    tier: int
    role: Role
    patterns: list[str]

    @field_validator("patterns")
    @classmethod
    def _compile(cls, values: list[str]) -> list[str]:
        return [_check_pattern(v) for v in values]


class Currency(_Strict):
    code: str = Field(pattern=r"^[A-Z]{3}$")
    marks: list[str]
    """How receipts print it (``RM``, ``€``, ``EUR``); ISO codes are marks too."""
    countries: list[str] = []
    weak: bool = False
    """A mark OCR also makes out of specks and that several countries share (``$``): it counts half."""
    whole: bool = False
    """Printed without cents though ISO 4217 gives it a minor unit (the New Taiwan dollar: ``NT$125``)."""


class Cue(_Strict):
    """Evidence that a document comes from this pack's country or language."""

    pattern: str
    weight: float = 1.0
    head: bool = False
    """Only in the first lines (a state and postcode in the header)."""

    _check = field_validator("pattern")(_check_pattern)


PatternList = list[str]


class LocalePack(_Strict):
    """Everything one locale contributes. Lists of patterns from the applied packs are joined as
    alternatives (base first)."""

    tag: str
    description: str = ""
    languages: list[str] = []
    """Babel language codes: month names come from babel's data for them."""
    countries: list[str] = []
    date_order: Literal["day_first", "month_first"] | None = None
    decimal: Literal[".", ","] | None = None
    marked_letters: str | None = None
    """The letters with accents or other marks the language writes (``ÄÖÜäöüß``; ``""``: none). On a
    document only such packs apply to, a marked letter none of them writes is an OCR slip (``Jaça``)
    and loses its mark. Unset: every mark may be printed."""
    town_ends_address: bool = False
    """The address ends with the line of the postcode and its town ("10115 Berlin"): no region or
    mall name follows it, so a short line after it is the receipt's body."""
    eras: dict[str, int] = {}
    """Era names a date's year may count in, each with the Western year before its first
    (``令和: 2018``: 令和5年 is 2023; its first year may be written 元年)."""
    year_offset: int = Field(default=0, ge=0)
    """Years counted from another epoch: the Western year is the printed year less this (Thailand's
    Buddhist era, ``543``: 14/03/2567 and 14/03/67 are 2024-03-14). Applies where every applied
    country pack gives the same offset."""
    spaceless: bool = False
    """The language writes its words without spaces between them (Chinese, Japanese): where the pack
    applies, a word looked for may stand inside a run of its letters, and an amount glued to its
    label (``合計3,300円``) is still an amount."""
    detect: list[Cue] = []
    currencies: list[Currency] = []
    amount_labels: list[LabelRule] = []
    final_total: PatternList = []
    """Labels of the last, payable total (``GRAND TOTAL``, ``ZU ZAHLEN``)."""
    strong_total: PatternList = []
    """Labels that make a total more likely the total (``TOTAL AMOUNT``)."""
    count_words: PatternList = []
    """Words a count of items is printed with inside a label (``TOTAL 5 ITEMS 59.00``):
    the count and its word are no part of the label, which names the amount after them."""
    payment_methods: dict[str, Literal["card", "cash", "ewallet", "cheque", "voucher"]] = {}
    payment_labels: PatternList = []
    """Payment words beyond ``payment_methods`` that mark a payment line (``CREDIT``)."""
    payment_named: PatternList = []
    """Words that say how a document was paid on a line without its amount (a card scheme, ``PAY BY:
    CASH``, a masked card number). Elsewhere a payment word counts only on a tender line, one with an
    amount: ``Check #93`` is a bill's number, ``NO CASH REFUND`` a policy, ``GUEST CHECK`` a heading."""
    date_labels: PatternList = []
    time_labels: PatternList = []
    legal_suffixes: PatternList = []
    """Legal-form endings of a company name (``GMBH``, ``SDN\\.?\\s*BHD``)."""
    legal_prefixes: PatternList = []
    """Legal forms printed before the name (``PT``, ``CV``)."""
    name_continuations: PatternList = []
    """Words that start the second line of a wrapped company name."""
    legal_only: PatternList = []
    """A line that is only a legal suffix."""
    legal_name_ends: PatternList = []
    """Suffixes after which nothing unbracketed on the line belongs to the name."""
    business_words: PatternList = []
    branch_lines: PatternList = []
    """A line that names only a branch ("新宿西口店"): the brand on the line above leads the name."""
    not_name: PatternList = []
    stop_words: PatternList = []
    """Words that end the address (contact details, the document title)."""
    address_cues: PatternList = []
    address_labels: PatternList = []
    """A label printed before the address on its first line (``ADDRESS``, ``ĐỊA CHỈ``): not part of it."""
    street_starts: PatternList = []
    """How a street line starts (``NO``, ``LOT``) before its number: never part of a name."""
    address_abbreviations: PatternList = []
    """Address words a point ends as an abbreviation (``Hauptstr. 5``, ``Sunset Blvd. 12``): the point
    stays as printed, not taken for a comma read small."""
    street_lines: PatternList = []
    """A whole street line as the language writes it, from the line's start (``14 rue de la Paix``,
    ``Am Mühlenweg 7``, ``1234 Main St``): the first text line of a receipt whose brand is a logo."""
    regions: PatternList = []
    """States or regions printed on a line of their own at the end of an address."""
    postcodes: PatternList = []
    address_ocr_words: dict[str, str] = {}
    """Address abbreviations as OCR misreads them (``JIN`` -> ``JLN``)."""
    document_titles: PatternList = []
    """The document's title (``TAX INVOICE``, ``RECEIPT``): it starts the body, and an address line
    running on into it (``Johor TAXINVOICE``) ends before it."""
    body_words: PatternList = []
    """Besides a title, words of a line that starts the body (``CASHIER``, ``QTY``): the header ends."""
    company_words: PatternList = []
    """The company in a registration number's label (``CO`` in ``CO. REG. NO.``)."""
    registration_words: PatternList = []
    """The registration in that label (``REG``, ``REGISTRATION``)."""
    registers: PatternList = []
    """Registers whose name labels a company registration number on its own (``ROC``, ``SSM``)."""
    phone_labels: PatternList = []
    """Labels of a telephone number (``TEL``, ``HP``), before an optional ``NO``."""
    tax_id_labels: PatternList = []
    """Labels of a tax registration number (``GST``, ``VAT``, ``UST``)."""
    tax_id_schemes: list[str] = []
    """The tax and company numbers such a label prints, as python-stdnum modules (``se.orgnr``,
    ``fr.siret``; the base pack's ``eu.vat``), besides the VAT number stdnum knows for each of the
    pack's ``countries``: a number whose check digits agree with one is taken for sure."""
    tax_rate_labels: PatternList = []
    """Names of the tax a rate is printed with (``VAT 20%``, ``19% MwSt``)."""
    receipt_labels: PatternList = []
    """Labels of the receipt's own number (``RECEIPT NO``, ``INVOICE #``)."""
    card_labels: PatternList = []
    """Words of a line that prints a payment card's number (``VISA``, ``DEBIT``)."""
    not_date_labels: PatternList = []
    """Labels of a date that is not the document's (``EXP``, ``BEST BEFORE``, ``PRINTED``)."""
    not_item_words: PatternList = []
    """Words of a description that is no item's (totals, tax, payment, column heads)."""
    slips: list[Slip] = []

    @field_validator(
        "final_total",
        "strong_total",
        "count_words",
        "payment_labels",
        "payment_named",
        "date_labels",
        "time_labels",
        "legal_suffixes",
        "legal_prefixes",
        "name_continuations",
        "legal_only",
        "legal_name_ends",
        "business_words",
        "branch_lines",
        "not_name",
        "stop_words",
        "address_cues",
        "address_labels",
        "street_starts",
        "address_abbreviations",
        "street_lines",
        "regions",
        "postcodes",
        "document_titles",
        "body_words",
        "company_words",
        "registration_words",
        "registers",
        "phone_labels",
        "tax_id_labels",
        "tax_rate_labels",
        "receipt_labels",
        "card_labels",
        "not_date_labels",
        "not_item_words",
    )
    @classmethod
    def _compile(cls, values: list[str]) -> list[str]:
        return [_check_pattern(v) for v in values]

    @field_validator("tax_id_schemes")
    @classmethod
    def _known_schemes(cls, names: list[str]) -> list[str]:
        from icr.text.taxids import scheme

        for name in names:
            scheme(name)  # ValueError: stdnum has no such module
        return names
