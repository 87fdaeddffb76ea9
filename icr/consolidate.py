"""Vendor consolidation: receipts of one shop agree on how its name and address are spelled.

Tesseract misreads a letter or two of a shop's address on one receipt and reads
it right on the next. After a batch is stored, a company or address that OCR read
one way on a single document takes the spelling that at least two other
documents were read with, when the two are that close (rapidfuzz ratio of the
upper-cased text) and neither is the other with words added or left out (a
branch, "(M)", an outlet name: a different value, not a misreading), and only
after documents of the same vendor (the other field alike, or not read). Values
from a template (static fields) and typed text are never changed; the value as
read stays in ``raw``.

Measured on sroie-dev with ``icr eval`` (benchmarks/README.md, "Consolidation"):
address 0.33 -> 0.43 with nothing right made wrong; company 0.64 -> 0.65 (two
mended, one made wrong where most receipts had the same misreading).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import regex
from rapidfuzz import fuzz, process

K = TypeVar("K", bound=Hashable)

SOURCE = "consensus"
"""The ``source`` of a field whose value consolidation set."""
READ_SOURCES = frozenset({"header"})
"""Field sources that are OCR readings (consolidation may respell them)."""


@dataclass(frozen=True)
class ConsolidateOptions:
    fields: tuple[str, ...] = ("company", "address")
    similarity: float = 90.0
    """rapidfuzz ratio (0-100) a reading must reach against the spelling it takes."""
    support: int = 2
    """Documents that must have been read with that spelling (besides the one respelled)."""
    agree: float = 80.0
    """How alike (rapidfuzz ratio) the other fields of a document and one read with the spelling
    must be (its company, for an address) for both to be the same vendor's."""


def _key(text: str) -> str:
    return " ".join(text.upper().split())


def _words(text: str) -> Counter[str]:
    return Counter(regex.findall(r"[\p{L}\p{N}]+", text))


def _added_or_dropped(a: str, b: str) -> bool:
    """``b`` is ``a`` with whole words added, or the other way round ("MR. D.I.Y. LTD" and
    "MR. D.I.Y. (M) LTD")."""
    wa, wb = _words(a), _words(b)
    return wa != wb and (not (wa - wb) or not (wb - wa))


def options_from(settings: Mapping[str, object]) -> ConsolidateOptions | None:
    """The ``consolidate`` section of the config as options (None when it is switched off)."""
    if not settings.get("enabled", False):
        return None
    fields = settings.get("fields") or ConsolidateOptions.fields
    if not isinstance(fields, list | tuple):
        fields = ConsolidateOptions.fields
    return ConsolidateOptions(
        fields=tuple(str(f) for f in fields),
        similarity=float(str(settings.get("similarity", ConsolidateOptions.similarity))),
        support=int(str(settings.get("support", ConsolidateOptions.support))),
        agree=float(str(settings.get("agree", ConsolidateOptions.agree))),
    )


def respellings(
    values: Mapping[K, str],
    options: ConsolidateOptions,
    *,
    fixed: Collection[K] = (),
    identity: Mapping[K, Sequence[str]] | None = None,
) -> dict[K, str]:
    """The new spelling for each key whose value was read on no other document and is close to a
    value read on ``options.support`` or more (the most similar, then the most frequent).

    Keys in ``fixed`` count towards a spelling's support but keep their own value. ``identity``
    holds each key's other fields (the company, for an address): a reading takes a spelling only
    when one of the documents read with it agrees on them (``options.agree`` alike, or one of the
    two not read) — the shop two doors down is not the same vendor.
    """
    keys = {k: _key(v) for k, v in values.items() if v and v.strip()}
    counts = Counter(keys.values())
    spelled: dict[str, str] = {}
    holders: dict[str, list[K]] = {}
    for k, key in keys.items():
        spelled.setdefault(key, values[k].strip())
        holders.setdefault(key, []).append(k)
    supported = [key for key, n in counts.most_common() if n >= options.support]

    def same_vendor(k: K, spelling: str) -> bool:
        if identity is None:
            return True
        mine = [_key(v) for v in identity.get(k, ())]
        for holder in holders[spelling]:
            theirs = [_key(v) for v in identity.get(holder, ())]
            if all(not a or not b or fuzz.ratio(a, b) >= options.agree for a, b in zip(mine, theirs, strict=False)):
                return True
        return False

    out: dict[K, str] = {}
    for k, key in keys.items():
        if counts[key] > 1 or k in fixed:
            continue
        best: tuple[float, int, str] | None = None
        for other, score, _ in process.extract(
            key, supported, scorer=fuzz.ratio, score_cutoff=options.similarity, limit=None
        ):
            if (
                not _added_or_dropped(key, other)
                and (best is None or (score, counts[other]) > best[:2])
                and same_vendor(k, other)
            ):
                best = (score, counts[other], other)
        if best is not None:
            out[k] = spelled[best[2]]
    return out
