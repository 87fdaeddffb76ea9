"""Spreadsheet cells that cannot run: OWASP's rule against CSV/formula injection.

A receipt's text is the sender's to choose: a shop name read as ``=HYPERLINK("http://…")`` or
``@SUM(…)`` would run when a CSV or Excel export is opened. A text cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is written with a leading ``'``, which
spreadsheets show as text and do not display. A plain signed number (``-7.43``) is no formula
and stays as it is.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")


def inert(value: str) -> str:
    """``value`` as a CSV cell that no spreadsheet evaluates."""
    if value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value
