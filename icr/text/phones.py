"""Telephone numbers checked against the numbering plans of the document's countries, with the
``phonenumbers`` library (Google's libphonenumber metadata); this module is the only one that talks
to it."""

from __future__ import annotations

from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher, format_number

from icr.text.taxids import AMOUNT

_REACH = 48
"""Characters after a label a number is looked for in."""
_UNLABELLED_DIGITS = 7
"""A number printed without a label has at least this many digits (a subscriber's number)."""
_FEWEST_DIGITS = 8
"""A number valid in no plan is taken only with this many digits: shorter runs after a stray label are
a ticket's number, a registration's or two amounts more often than a telephone's."""


def valid_phone(text: str, regions: tuple[str, ...]) -> tuple[str, str] | None:
    """The first number in ``text`` valid in one of ``regions`` (not one written with its country code
    alone: unlabelled, a number must fit the document's own country), in E.164 form, and as printed.
    A line of fewer than :data:`_UNLABELLED_DIGITS` digits is not searched (the matcher is the cost)."""
    if sum(c.isdigit() for c in text) < _UNLABELLED_DIGITS:
        return None
    for region in regions:
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            if not AMOUNT.search(match.raw_string):
                return format_number(match.number, PhoneNumberFormat.E164), match.raw_string
    return None


def find_phone(text: str, regions: tuple[str, ...]) -> tuple[str, bool] | None:
    """The first number in ``text`` that one of ``regions`` (ISO country codes, tried in order) could
    dial, or one written with its country code (``+44 1865 123456``): in E.164 form (``+60361569266``)
    and True when it is valid there, else as printed and False (of a possible length only:
    ``03-9221345``, a digit short of a Kuala Lumpur number)."""
    head = text[:_REACH]
    for region in (*regions, None):
        for match in PhoneNumberMatcher(head, region, leniency=Leniency.VALID):
            return format_number(match.number, PhoneNumberFormat.E164), True
    for region in regions:
        for match in PhoneNumberMatcher(head, region, leniency=Leniency.POSSIBLE):
            raw = match.raw_string
            if sum(c.isdigit() for c in raw) >= _FEWEST_DIGITS and not AMOUNT.search(raw):
                return raw, False
    return None
