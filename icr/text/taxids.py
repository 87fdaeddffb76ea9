"""Tax and company registration numbers checked by their check digits, with python-stdnum.

A locale pack names the numbers its receipts print as stdnum modules (``se.orgnr``, ``fr.siret``);
each of its countries' VAT number comes from stdnum itself (``stdnum.util.get_cc_module(cc, "vat")``:
``de.vat``, ``au.abn``, ``br.cnpj``). A number printed after a tax-id label whose check digits agree
with one of the document's schemes is that number for sure, in stdnum's compact form; a misread digit
almost never passes. This module is the only one that talks to stdnum.
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType
from typing import cast

import regex

_TOKEN = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}.\-/]*")
"""A run of a number as printed: letters and digits, with the points, dashes and slashes inside it."""
_MOST_TOKENS = 5
"""A number is printed in at most this many groups (``GB 220 4302 31``, ``88 000 014 675``)."""
_FEWEST_DIGITS = 6
"""No scheme's number has fewer digits: a tax rate or an amount after the label is none."""
_REACH = 64
"""Characters after the label a number is looked for in."""
AMOUNT = regex.compile(r"\d[.,]\d{2}(?![\d.,/-])")
"""A money amount's cents (``12.50``): no tax, company or telephone number has a group of two digits
after a point or comma at its end, and joining amounts makes digit runs some scheme accepts."""


@functools.cache
def scheme(name: str) -> ModuleType:
    """The stdnum module ``name`` (``"de.vat"``); ValueError when stdnum has none that checks numbers."""
    try:
        module = importlib.import_module(f"stdnum.{name}")
    except ImportError as exc:
        raise ValueError(f"python-stdnum has no module {name!r}") from exc
    if not (callable(getattr(module, "is_valid", None)) and callable(getattr(module, "compact", None))):
        raise ValueError(f"stdnum.{name} checks no number (no is_valid/compact)")
    return module


@functools.cache
def country_vat(country: str) -> str | None:
    """The scheme stdnum knows as ``country``'s VAT number (``"DE"`` -> ``"de.vat"``), if any."""
    from stdnum.util import get_cc_module

    try:
        module = get_cc_module(country.lower(), "vat")
    except (ImportError, AttributeError):
        return None
    return cast(ModuleType, module).__name__.removeprefix("stdnum.") if module is not None else None


def canonical(text: str, name: str) -> str | None:
    """``text`` as scheme ``name``'s number in compact form when its check digits agree, else None.
    A country prefix printed before it (``GB 220 4302 31``) is kept where stdnum's form drops it."""
    module = scheme(name)
    if not module.is_valid(text):  # stdnum's checks return False on any input they reject
        return None
    number = str(module.compact(text))
    country = name.split(".")[0].rstrip("_").upper()
    if len(country) == 2 and text[:2].upper() == country and not number.upper().startswith(country):
        number = country + number
    return number


def checked_number(text: str, schemes: tuple[str, ...]) -> str | None:
    """The first number in ``text`` (what follows a tax-id label) whose check digits agree with one of
    ``schemes``, tried in order: each run of up to five groups separated by single spaces, longest
    first (``VAT NO: GB 220 4302 31``, ``ABN 88 000 014 675``, ``Org.nr 556123-4567``)."""
    head = text[:_REACH]
    tokens = list(_TOKEN.finditer(head))
    for i in range(len(tokens)):
        for j in range(min(len(tokens), i + _MOST_TOKENS), i, -1):
            if any(head[tokens[k].end() : tokens[k + 1].start()] != " " for k in range(i, j - 1)):
                continue
            candidate = head[tokens[i].start() : tokens[j - 1].end()].rstrip(".-/")
            if sum(c.isdigit() for c in candidate) < _FEWEST_DIGITS or AMOUNT.search(candidate):
                continue
            for name in schemes:
                number = canonical(candidate, name)
                if number is not None:
                    return number
    return None
