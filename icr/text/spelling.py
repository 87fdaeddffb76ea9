"""Spelling correction with symspellpy: English frequencies plus a receipt vocabulary.

Only plain words are corrected: a token with any digit (amounts, dates, codes,
phone numbers) is never touched, nor are short tokens, nor words the
dictionaries already know. Case is kept (``TOTAI`` -> ``TOTAL``, ``Totai`` -> ``Total``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.resources
import itertools
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import regex
from symspellpy import SymSpell, Verbosity

WORD = regex.compile(r"\p{L}+(?:['’]\p{L}+)?")
NAME_WORD = regex.compile(r"(?<![\p{N}])\p{L}+(?![\p{N}])")
"""A word of a name as the name mending sees it: letters, not touching a digit."""
TOKEN = regex.compile(r"\S+")
_LETTER_RUN = regex.compile(r"\p{L}+")
PLAIN_WORD = regex.compile(r"(?<![\p{N}\p{L}])\p{L}+(?![\p{N}\p{L}])")
"""A run of letters touching no digit or other letter: the unit names and addresses are corrected in."""
ALNUM_RUN = regex.compile(r"(?<![\p{L}\p{N}])[\p{L}\p{N}]{4,}(?![\p{L}\p{N}])")
"""A run of four letters and digits or more: where a digit may stand for a letter."""
LOOKALIKE_READINGS = 16
"""Readings of a run tried at most (each lookalike digit one of its letters)."""

_MISREAD_AS = {"t": "i", "l": "i", "n": "m", "h": "m"}
"""Letters Tesseract reads for another in receipt capitals: I as T or L ("KEDAT", "ALK"), M as N or H
("SPEED NART")."""

CACHE_SIZE = 50_000
"""Corrected words remembered per worker."""

RUN_TOGETHER = 12
"""Letters an unknown word of a name needs before it is read as known words run together."""
RECEIPT_COUNT = 10_000_000_000
"""Frequency given to receipt-vocabulary words so they win over rare English words."""


def bundled_english_dictionary() -> Path:
    return Path(str(importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"))


def read_vocabulary(path: Path) -> list[str]:
    """One word per line; ``#`` starts a comment."""
    words: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.extend(line.split())
    return words


class SpellingCorrector:
    """Corrects words in a text; built once, reused for many documents."""

    def __init__(
        self,
        vocabulary: Iterable[str] = (),
        *,
        english: bool = True,
        english_words: int = 0,
        max_edit_distance: int = 2,
        min_length: int = 4,
        places: Iterable[str] = (),
        lookalikes: Mapping[str, str] | None = None,
    ) -> None:
        """``english_words``: only the N most frequent English words (0: all 82,765 of symspellpy's list);
        ``places``: the words addresses are corrected against (:meth:`correct_address`) and nothing else
        (a place word as a target of every correction turned "GERBANG" in a company name into "TERBANG");
        ``lookalikes``: digits a recognizer reads for letters and the small letters each may stand for
        (:meth:`lookalike_word`)."""
        self.max_edit_distance = max_edit_distance
        self.lookalikes = {d: letters.lower() for d, letters in (lookalikes or {}).items()}
        self.min_length = min_length
        # A prefix length of 5 keeps the deletes index at ~35 MB per worker (7: ~135 MB) and
        # loads in a third of the time; suggestions for receipt words are the same.
        self.places = {w.lower() for w in places}
        self.vocabulary = {w.lower() for w in vocabulary}
        self._sym = self._build(english, english_words)
        self._places = SymSpell(max_dictionary_edit_distance=1, prefix_length=7)
        for word in self.places:
            self._places.create_dictionary_entry(word, 1)
        self._cache: dict[str, str] = {}

    def _build(self, english: bool, limit: int) -> SymSpell:
        """The dictionary with its deletes index: from the cache (:func:`cache_dir`) when this very
        dictionary was built before (0.15 s), else built (0.8 s: every worker of a batch pays it
        at start) and cached."""
        folder = cache_dir()
        cached = folder / f"spelling-{self._cache_key(english, limit)}.pickle" if folder else None
        if cached is not None and cached.is_file():
            loaded = SymSpell(max_dictionary_edit_distance=self.max_edit_distance, prefix_length=5)
            try:
                if loaded.load_pickle(cached, compressed=False):
                    return loaded
            except Exception:  # a truncated or foreign file: build instead (and write it again)
                pass
        sym = SymSpell(max_dictionary_edit_distance=self.max_edit_distance, prefix_length=5)
        if english:
            _load_english(sym, limit)
        for word in self.vocabulary:
            sym.create_dictionary_entry(word, RECEIPT_COUNT)
        if cached is not None:
            _save_atomically(sym, cached)
        return sym

    def _cache_key(self, english: bool, limit: int) -> str:
        english_file = bundled_english_dictionary()
        stat = english_file.stat() if english else None
        identity = [
            importlib.metadata.version("symspellpy"),
            self.max_edit_distance,
            RECEIPT_COUNT,
            [str(english_file), stat.st_size, stat.st_mtime_ns, limit] if stat else None,
            sorted(self.vocabulary),
        ]
        return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:20]

    def _confused_letter(self, word: str) -> str:
        """``word`` with one letter Tesseract confuses put right (:data:`_MISREAD_AS`), when exactly one
        such reading is a word of the project's vocabulary (not of general English: too many short
        words are one letter apart)."""
        low = word.lower()
        fixes = {low[:i] + _MISREAD_AS[ch] + low[i + 1 :] for i, ch in enumerate(low) if ch in _MISREAD_AS}
        fixes &= self.vocabulary | self.places
        return _same_case(word, fixes.pop()) if len(fixes) == 1 else word

    def known(self, word: str) -> bool:
        """In the dictionary, or the plural (-s, -es) of a word of three letters or more that is ("HYPERMARKETS")."""
        low = word.lower()
        words = self._sym.words
        singular = (low[:-1] in words) or (low.endswith("es") and low[:-2] in words)
        return low in words or (len(low) >= 5 and low.endswith("s") and singular)

    def correct_word(self, word: str) -> str:
        """The corrected word, or ``word`` itself when it has digits, is short, known, or has no close match."""
        if any(c.isdigit() for c in word) or len(word) < self.min_length or not word.isalpha():
            return word
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        low = word.lower()
        out = word
        if low not in self._sym.words:
            # one edit away first; then two known words run together ("INVOICENO": the space a line
            # recognizer left out); then long words may be two edits away (short ones never: fewer
            # false corrections)
            suggestions = self._sym.lookup(low, Verbosity.TOP, max_edit_distance=1)
            split = None if suggestions else self._two_words(low)
            if split:
                out = _same_case(word, split)
            else:
                if not suggestions and len(word) >= 7 and self.max_edit_distance > 1:
                    suggestions = self._sym.lookup(low, Verbosity.TOP, max_edit_distance=self.max_edit_distance)
                if suggestions:
                    out = _same_case(word, suggestions[0].term)
        if len(self._cache) >= CACHE_SIZE:  # bounded: memory stays flat over any batch
            self._cache.clear()
        self._cache[word] = out
        return out

    def _two_words(self, low: str) -> str | None:
        """``low`` as two known words of two letters or more, the first as long as can be, or None."""
        for i in range(len(low) - 2, 1, -1):
            if low[:i] in self._sym.words and low[i:] in self._sym.words:
                return f"{low[:i]} {low[i:]}"
        return None

    def _run_together(self, word: str) -> str | None:
        """A name's words run together by a recognizer that left out the spaces of letter-spaced
        print ("SANYUSTATIONERYSHOP"): known words of three letters or more, the first part alone
        maybe unknown (the proper name), a known word of six letters or more among them. None when
        ``word`` does not split so."""
        low = word.lower()
        if len(low) < RUN_TOGETHER:
            return None
        words = self._sym.words
        # best[i]: the fewest parts that spell low[i:] as known words
        best: list[list[str] | None] = [None] * len(low) + [[]]
        for i in range(len(low) - 3, -1, -1):
            options = [
                [low[i:j], *rest]
                for j in range(i + 3, len(low) + 1)
                if low[i:j] in words and (rest := best[j]) is not None
            ]
            best[i] = min(options, key=len) if options else None
        parts = best[0]
        if parts is None:
            # the shortest unknown head: known words cover the most letters
            parts = next(([low[:i], *rest] for i in range(3, len(low) - 2) if (rest := best[i])), None)
        if not parts or len(parts) < 2 or max(len(p) for p in parts if p in words) < 6:
            return None
        at, out = 0, []
        for part in parts:
            out.append(word[at : at + len(part)])
            at += len(part)
        return " ".join(out)

    def mend_sure_name(self, text: str) -> str:
        """``text`` with its long unknown words parted into the known words run together in them, or
        put right when one letter away from exactly one long word of the receipt vocabulary
        ("HARDWAKE"); nothing else changed (for lines a recognizer read too surely to respell
        against all of English: "LANDFALL" stays)."""

        def fix(m: regex.Match[str]) -> str:
            word = m.group(0)
            if self.known(word):
                return word
            parted = self._run_together(word)
            if parted:
                return parted
            if len(word) >= 7:
                # a letter misread, never one added or lost: a sure reading with a letter more is a name's own
                # spelling ("WELLCOME", not "WELCOME")
                near = [
                    s.term
                    for s in self._sym.lookup(word.lower(), Verbosity.ALL, max_edit_distance=1)
                    if s.term in self.vocabulary and len(s.term) >= 7 and len(s.term) == len(word)
                ]
                if len(near) == 1:
                    return _same_case(word, near[0])
            return word

        return NAME_WORD.sub(fix, text)

    def correct_name(self, text: str, min_length: int = 7) -> str:
        """Conservative correction for names and addresses: long unknown words one edit away only,
        and shorter ones (4+ letters) with one letter Tesseract confuses ("KEDAT" -> "KEDAI",
        "NART" -> "MART") when that gives a word of the receipt vocabulary; known words run together
        are parted."""

        def fix(m: regex.Match[str]) -> str:
            word = m.group(0)
            if self.known(word):
                return word
            if len(word) < min_length:
                return self._confused_letter(word) if len(word) >= 4 else word
            suggestions = self._sym.lookup(word.lower(), Verbosity.TOP, max_edit_distance=1)
            if suggestions:
                return _same_case(word, suggestions[0].term)
            return self._run_together(word) or word

        return NAME_WORD.sub(fix, text)

    def correct_address(self, text: str, min_length: int = 5) -> str:
        """Place names put right: a word of ``min_length`` letters or more that no dictionary knows and
        that is one misread letter from exactly one place word becomes that word ("Suaang" ->
        "Subang", "TAMPOL" -> "TAMPOI"). Only a letter read wrong counts, never the first one, and
        never a letter missing or added: a street name the list lacks ("ANGSA") is left alone
        rather than turned into a listed one ("WANGSA"). A word touching a digit stays as read."""
        if not self.places:
            return text

        def fix(m: regex.Match[str]) -> str:
            word = m.group(0)
            low = word.lower()
            if len(word) < min_length or low in self.places or self.known(word):
                return word
            near = [
                s.term
                for s in self._places.lookup(low, Verbosity.ALL, max_edit_distance=1)
                if len(s.term) == len(low) and s.term[0] == low[0]
            ]
            return _same_case(word, near[0]) if len(near) == 1 else word

        return PLAIN_WORD.sub(fix, text)

    def respell_from_document(
        self, name: str, words: Iterable[tuple[str, float]], *, min_confidence: float = 0.85, min_count: int = 2
    ) -> str:
        """``name`` with a word no dictionary knows spelled as the receipt prints it elsewhere.

        A shop's name is often printed twice or more (a footer, a web address, the owning company),
        and a logo font misreads it consistently in one place only: "SANYO STATIONERY SHOP" over
        "SANYU SUPPLY LTD" and "www.Sanyu.Stationery". A word of 4+ letters is replaced by the
        spelling one letter away from it (same length) that ``words`` (text, confidence 0..1)
        hold at least ``min_count`` times, each read with ``min_confidence``, and more often than
        the word itself; when two such spellings compete, nothing changes.
        """
        runs: dict[str, list[float]] = {}
        for text, confidence in words:
            for run in _LETTER_RUN.findall(text):
                runs.setdefault(run.upper(), []).append(confidence)

        def fix(m: regex.Match[str]) -> str:
            word = m.group(0)
            if len(word) < 4 or self.known(word):
                return word
            key = word.upper()
            own = len(runs.get(key, ()))
            alternatives = [
                alt
                for alt, confidences in runs.items()
                if len(alt) == len(key)
                and sum(a != b for a, b in zip(alt, key, strict=True)) == 1
                and sum(c >= min_confidence for c in confidences) >= max(min_count, own + 1)
            ]
            return _same_case(word, alternatives[0].lower()) if len(alternatives) == 1 else word

        return PLAIN_WORD.sub(fix, name)

    def lookalike_word(self, run: str) -> str:
        """``run`` (letters and digits) as the one known word its lookalike digits spell when read as
        letters ("Gr111" -> "Grill", "Tota1" -> "Total", "C0FFEE" -> "COFFEE"), else as it is. Only a
        run whose letters are not outnumbered two to one by digits, or that has a small letter: a code
        in capitals ("SE11", "GR111") keeps its digits, and so does a known word numbered ("TAX1")."""
        if len(run) < 4 or not self.lookalikes or any(c.isdigit() and c not in self.lookalikes for c in run):
            return run
        letters = [c for c in run if c.isalpha()]
        digits = len(run) - len(letters)
        if not digits or len(letters) < 2 or not (any(c.islower() for c in letters) or len(letters) >= 2 * digits):
            return run
        if self.known(run.strip("0123456789")):
            return run  # a word numbered ("TAX1", "Room1"), not a word misread
        choices = [self.lookalikes[c] if c.isdigit() else c.lower() for c in run]
        if math.prod(len(options) for options in choices) > LOOKALIKE_READINGS:
            return run
        known = {w for w in ("".join(p) for p in itertools.product(*choices)) if self.known(w)}
        return _same_case(run, known.pop()) if len(known) == 1 else run

    def correct_lookalikes(self, text: str) -> str:
        """``text`` with the digits a recognizer read for a word's letters put back (:meth:`lookalike_word`)."""
        if not self.lookalikes or not any(c in self.lookalikes for c in text):
            return text
        return ALNUM_RUN.sub(lambda r: self.lookalike_word(r.group(0)), text)

    def correct_text(self, text: str) -> str:
        """``text`` with each digit-free token's words corrected; spacing and line breaks kept."""

        def fix_token(m: regex.Match[str]) -> str:
            token = m.group(0)
            if any(c.isdigit() for c in token):
                return token
            return WORD.sub(lambda w: self.correct_word(w.group(0)), token)

        return TOKEN.sub(fix_token, text)


def letters_for_digits(name: str, lookalikes: Mapping[str, str]) -> str:
    """``name`` with each lookalike digit that stands inside a word's letters read as the letter it
    looks like, in the case of the letters around it ("MON0PRIX", "Po1ska", "DELHA1ZE"). No
    dictionary is needed: a digit between letters is an OCR slip in any language (a number is
    "REMA 1000", "A101", "7-ELEVEN", "Room1").
    ``lookalikes``: digits and the small letters each may stand for (``text_corrector.lookalike_digits``)."""

    def letter(digit: str, upper: bool) -> str | None:
        options = lookalikes.get(digit, "")
        if not options:
            return None
        # in capitals a 1 is an I; in small letters an l (an i has its dot)
        return options[0].upper() if upper else options[-1]

    def mend(m: regex.Match[str]) -> str:
        run = list(m.group(0))
        digits = [i for i, c in enumerate(run) if c.isdigit()]
        if not digits or sum(c.isalpha() for c in run) < 3:
            return m.group(0)
        for i in digits:
            before, after = run[i - 1] if i > 0 else "", run[i + 1] if i + 1 < len(run) else ""
            if before.isalpha() and after.isalpha():
                new = letter(run[i], before.isupper() and after.isupper())
                run[i] = new or run[i]
        return "".join(run)

    return _WORD_RUN.sub(mend, name)


_WORD_RUN = regex.compile(r"[\p{L}\p{N}]+")


def cache_dir() -> Path | None:
    """Where built dictionaries are kept between runs: ``$ICR_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/icr`` or ``~/.cache/icr``; ``ICR_CACHE_DIR=""`` switches the cache off."""
    configured = os.environ.get("ICR_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (KeyError, RuntimeError):  # no home directory (a service account): no cache
            return None
    return Path(base) / "icr"


def _load_english(sym: SymSpell, limit: int) -> None:
    path = bundled_english_dictionary()
    if limit <= 0:
        sym.load_dictionary(str(path), term_index=0, count_index=1)
        return
    # The list is ordered by frequency, most frequent first.
    with path.open(encoding="utf-8") as lines:
        for line in itertools.islice(lines, limit):
            term, _, count = line.strip().partition(" ")
            if term and count.isdigit():
                sym.create_dictionary_entry(term, int(count))


def _save_atomically(sym: SymSpell, path: Path) -> None:
    """Write the pickle under a temporary name and rename it (workers starting together never read
    half a file); a cache that cannot be written is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        os.close(fd)
        try:
            sym.save_pickle(Path(tmp), compressed=False)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass


def _same_case(original: str, term: str) -> str:
    if original.isupper():
        return term.upper()
    if original[:1].isupper():
        return term[:1].upper() + term[1:]
    return term


@functools.lru_cache(maxsize=4)
def shared_corrector(
    vocabulary: tuple[str, ...],
    english_words: int = 0,
    places: tuple[str, ...] = (),
    lookalikes: tuple[tuple[str, str], ...] = (),
) -> SpellingCorrector:
    """One :class:`SpellingCorrector` per vocabulary per process (loading the dictionary takes seconds)."""
    return SpellingCorrector(vocabulary, english_words=english_words, places=places, lookalikes=dict(lookalikes))
