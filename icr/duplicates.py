"""Purchases stored twice: the same receipt scanned again, photographed after it was scanned, or
sent by two people.

Files of other bytes are other documents, so ingest stores such a receipt twice and every report
counts the expense twice. After a batch is stored, each document it stored that repeats a purchase
stored before it is flagged for review, naming the earlier one. Two documents repeat a purchase
when they print the same total and the same date, no field of :attr:`DuplicateOptions.distinct_by`
(a currency) read otherwise on both, and more of the fields that tell purchases apart
(:attr:`DuplicateOptions.identify_by`: the company, the time, the receipt number, the telephone
number) read alike on both than otherwise; with the date unread on one, two of those at least and
all read alike. A date's
day and month may be swapped on one copy, a time twelve hours off (its order, its "PM", unread).
Alike: at least :attr:`DuplicateOptions.similarity` (rapidfuzz ratio of the upper-cased readings,
as read or with their words sorted), so that a letter or digit misread on one copy, or a name's
words read in another order, still agree. A company read with a word of its address on one copy
is outvoted by the time and receipt number; two coffees of one price on one day at one shop are
told apart by their times. Nothing is deleted: a person decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz

Record = Mapping[str, str]
"""A document's fields by name: each its stored (normalized) value."""

REASON = "possible duplicate"
"""How the review reason starts (a reason about the whole document: confirming it settles it)."""


def reason(earlier: str) -> str:
    """The review reason of a document that repeats the purchase of the document named ``earlier``."""
    return f"{REASON}: the same total and date as {earlier.replace(';', ',')}, read alike (stored twice?)"


@dataclass(frozen=True)
class DuplicateOptions:
    similarity: float = 80.0
    """rapidfuzz ratio (0-100), as read or with the words sorted, at which two readings of a field
    are one value."""
    identify_by: tuple[str, ...] = ("company", "time", "receipt_number", "phone")
    """Fields that tell one purchase from another: more must be read alike than otherwise."""
    distinct_by: tuple[str, ...] = ("currency",)
    """Fields that make two purchases when read otherwise on both (alike, they tell nothing)."""


def options_from(settings: Mapping[str, object]) -> DuplicateOptions | None:
    """The ``duplicates`` section of the config as options (None when it is switched off)."""
    if not settings.get("enabled", False):
        return None

    def names(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = settings.get(key, default)
        return tuple(str(f) for f in value) if isinstance(value, list | tuple) else default

    return DuplicateOptions(
        similarity=float(str(settings.get("similarity", DuplicateOptions.similarity))),
        identify_by=names("identify_by", DuplicateOptions.identify_by),
        distinct_by=names("distinct_by", DuplicateOptions.distinct_by),
    )


def _key(text: str) -> str:
    return " ".join(text.upper().split())


def same_purchase(a: Record, b: Record, options: DuplicateOptions) -> bool:
    """Whether two documents record one purchase (see the module's docstring)."""
    if not a.get("total") or a.get("total") != b.get("total"):
        return False
    if a.get("date") and b.get("date") and not _same_day(a["date"], b["date"]):
        return False
    if any(a.get(f) and b.get(f) and _key(a[f]) != _key(b[f]) for f in options.distinct_by):
        return False
    both = [(f, a[f], b[f]) for f in options.identify_by if a.get(f) and b.get(f)]
    alike = sum(1 for f, x, y in both if _alike(f, _key(x), _key(y), options.similarity))
    if not (a.get("date") and b.get("date")):  # a date unread on one copy: the others must all agree
        return alike >= 2 and alike == len(both)
    return alike > len(both) - alike


def _same_day(a: str, b: str) -> bool:
    """Two stored dates (ISO) of one day, or of one day read in two orders: a copy whose cues went
    unread takes 2019-02-09 for 2019-09-02."""
    if a == b:
        return True
    x, y = a.split("-"), b.split("-")
    return len(x) == len(y) == 3 and x[0] == y[0] and (x[1], x[2]) == (y[2], y[1])


def _minutes(time: str) -> int | None:
    parts = time.split(":")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        return None
    return int(parts[0]) * 60 + int(parts[1])


def _alike(field: str, a: str, b: str, similarity: float) -> bool:
    """Two readings of ``field`` name one value: alike as text, or for a time, twelve hours apart
    (a "PM" read on one copy and lost on the other)."""
    if _likeness(a, b) >= similarity:
        return True
    if field == "time":
        x, y = _minutes(a), _minutes(b)
        return x is not None and y is not None and abs(x - y) == 12 * 60
    return False


def _likeness(a: str, b: str) -> float:
    """How alike two readings are: as read, or with their words in one order (a name's words read
    in another order are the same name; a sign parted from its word is no other order)."""
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


def duplicates(new: Mapping[int, Record], stored: Mapping[int, Record], options: DuplicateOptions) -> dict[int, int]:
    """Each of the ``new`` documents that repeats a purchase of one stored before it: the earliest
    such. Keys are ids in the order documents were stored (a lower id, earlier); ``stored`` holds
    the documents to compare with (the new ones may be among them), so of two copies in one batch
    the second is flagged."""
    everything = {**stored, **new}
    by_total: dict[str, list[int]] = {}
    for key in sorted(everything):
        by_total.setdefault(everything[key].get("total", ""), []).append(key)
    found: dict[int, int] = {}
    for key, record in new.items():
        earlier = (k for k in by_total.get(record.get("total", ""), []) if k < key)
        first = next((k for k in earlier if same_purchase(record, everything[k], options)), None)
        if first is not None:
            found[key] = first
    return found
