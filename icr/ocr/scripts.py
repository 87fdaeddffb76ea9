"""A page in a script its recognizer's model cannot read, read again by Tesseract in that script.

The neural engine (PP-OCRv6) has no Cyrillic or Hangul and reads Greek capitals only in part: such a
page reads as digits and stray marks (``000 "A"``, ``NHH 7825706086``), or as Latin look-alikes
(``AOHNON``). The recognizer tells how many of a page's detected lines it could not read
(:attr:`icr.types.OcrPage.unread`); a page past :attr:`ScriptFallback.unread`, or one where it read
letters of a listed script, is read by Tesseract in each listed language whose model is installed
(and English, which receipts mix in), and in English alone: the surest reading names the script
(Tesseract's OSD named it on 6 of 18 printed receipts, benchmarks/README.md). When that is a listed
language's, the page takes it, each amount or date the neural engine read surely kept
(:func:`combined`).

The pipeline names this step (:func:`icr.pipeline._other_script`); this module decides and merges.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

import regex

from icr.ocr.adapter import page_from_words
from icr.types import OcrPage, Word, box_overlap, words_box

log = logging.getLogger(__name__)

T = TypeVar("T")

_NUMBER = re.compile(r"[^\w]*\d[\d.,:/\-]*[^\w]*")
"""A token of digits and their separators, marks around it (``=612.40``, ``14.03.2024``, ``(1)``)."""


@dataclass(frozen=True)
class ScriptFallback:
    """``script_fallback``: when and how a page the recognizer could not read is read by Tesseract."""

    unread: float = 0.15
    """A page where at least this share of the recognizer's detected lines read as nothing or unsurely
    is read in each listed language ..."""
    min_lines: int = 3
    """... and at least this many of them (a page of a few lines tells no script)."""
    letters: int = 3
    """A page the recognizer read this many letters of a listed script on (Greek capitals, which the
    neural model knows in part) is read in that script's language alone."""
    languages: Mapping[str, str] = field(default_factory=dict)
    """Unicode script -> the Tesseract language that reads it (``Cyrillic: rus``); other scripts
    (Latin, Han, Japanese) are never read again."""
    min_confidence: float = 0.5
    """The surest reading is taken when its words' mean confidence reaches this ..."""
    margin: float = 0.1
    """... and, on a page the recognizer read no letter of the script on, exceeds ``with_language``'s
    alone by this."""
    with_language: str = "eng"
    """Read with the script's language (``rus+eng``): receipts print Latin brands and codes too."""
    psm: int = 6
    """Tesseract's page segmentation mode for the page."""
    keep_numbers: float = 0.9
    """A number the recognizer read at least this surely replaces Tesseract's digits at its place (above 1: never)."""
    join_gap: float = 0.5
    """Tesseract gives each Hangul or Han character as a word of its own: such words of a line nearer
    than this many of their heights are one word."""

    def wanted(self, page: OcrPage) -> bool:
        """Whether the recognizer left enough of ``page`` unread to name its script."""
        return page.lines_seen >= self.min_lines and page.unread >= self.unread * page.lines_seen

    def looked_at(self, page: OcrPage) -> bool:
        """Whether ``page`` may be in a listed script (:meth:`wanted` or :meth:`read_script`)."""
        log.debug("script fallback: page %d, %d of %d lines unread", page.number, page.unread, page.lines_seen)
        return self.wanted(page) or self.read_script(page) is not None

    def read_script(self, page: OcrPage) -> str | None:
        """The listed script the recognizer read at least ``letters`` letters of on ``page``, if any."""
        counts = {name: len(regex.findall(rf"\p{{Script={name}}}", page.text)) for name in self.languages}
        best = max(counts, key=lambda name: counts[name], default=None)
        return best if best is not None and counts[best] >= self.letters else None

    def language(self, script: str, installed: frozenset[str]) -> str | None:
        """The Tesseract language to read a page in ``script`` with (``rus+eng``), or None (logged)
        when its model is not installed."""
        wanted = self.languages[script].split("+")
        missing = [lang for lang in wanted if lang not in installed]
        if missing:
            log.warning(
                "script fallback: Tesseract has no %s model (apt-get install tesseract-ocr-%s): a page in %s "
                "script is left as the recognizer read it",
                "+".join(missing),
                missing[0],
                script,
            )
            return None
        extra = [lang for lang in self.with_language.split("+") if lang and lang in installed and lang not in wanted]
        return "+".join([*wanted, *extra])


def mean_confidence(page: OcrPage) -> float:
    """The mean confidence of the page's words that hold a letter (0: none)."""
    scores = [w.confidence for w in page.words if any(c.isalpha() for c in w.text)]
    return sum(scores) / len(scores) if scores else 0.0


def joined(page: OcrPage, scripts: Sequence[str], gap: float) -> OcrPage:
    """``page`` with the words of a line that are all ``scripts``' letters and stand nearer than ``gap``
    of their height made one (Tesseract gives each Hangul syllable as a word: "맛 있 는 식당")."""
    if not scripts:
        return page
    letters = regex.compile(r"[" + "".join(rf"\p{{Script={s}}}" for s in scripts) + r"]+")
    out: list[Word] = []
    for w in page.words:
        last = out[-1] if out else None
        if (
            last is not None
            and (last.block, last.paragraph, last.line) == (w.block, w.paragraph, w.line)
            and letters.fullmatch(last.text)
            and letters.fullmatch(w.text)
            and 0 <= w.left - (last.left + last.width) < gap * max(last.height, w.height)
        ):
            right = max(last.left + last.width, w.left + w.width)
            top, bottom = min(last.top, w.top), max(last.top + last.height, w.top + w.height)
            size = len(last.text) + len(w.text)
            confidence = (last.confidence * len(last.text) + w.confidence * len(w.text)) / size
            out[-1] = replace(
                last, text=last.text + w.text, width=right - last.left, top=top, height=bottom - top,
                confidence=confidence,
            )  # fmt: skip
            continue
        out.append(w)
    return page_from_words(out, page.width, page.height, page.number)


def number_token(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text)) and any(c.isdigit() for c in text)


def _overlap(a: Word, b: Word) -> float:
    """The share of the smaller word's box the two boxes share."""
    return box_overlap(words_box([a]), words_box([b]))


def combined(neural: OcrPage, tesseract: OcrPage, keep: float, script: str = "") -> OcrPage:
    """Tesseract's reading of the page with each number the recognizer read at least ``keep`` surely
    in place of Tesseract's words there (but a word of ``script``'s letters: ООО is no 000), or, where
    Tesseract read nothing, added to the line beside it: the neural engine reads digits better than
    Tesseract does, but no letter of the page."""
    sure = [w for w in neural.words if w.confidence >= keep and number_token(w.text)]
    letters = regex.compile(rf"\p{{Script={script}}}") if script else None
    out: list[Word] = []
    used: set[int] = set()
    for word in tesseract.words:
        hits = [i for i, n in enumerate(sure) if _overlap(word, n) >= 0.5]
        if not hits or (letters is not None and letters.search(word.text)):
            out.append(word)
            continue
        for i in hits:
            if i not in used:
                used.add(i)
                n = sure[i]
                out.append(replace(n, block=word.block, paragraph=word.paragraph, line=word.line, page=word.page))
    for i, number in enumerate(sure):
        if i in used or any(_overlap(number, w) > 0 for w in out):
            continue
        beside = [w for w in out if _rows_overlap(w, number) >= 0.5]
        if not beside:
            continue  # a number on a line of its own Tesseract did not see: left out, as Tesseract left it
        row = max(beside, key=lambda w: _rows_overlap(w, number))
        key = (row.block, row.paragraph, row.line)
        place = [j for j, w in enumerate(out) if (w.block, w.paragraph, w.line) == key]
        before = [j for j in place if out[j].left <= number.left]
        at = before[-1] + 1 if before else place[0]
        out.insert(at, replace(number, block=row.block, paragraph=row.paragraph, line=row.line, page=row.page))
    return page_from_words(out, tesseract.width, tesseract.height, tesseract.number)


def _rows_overlap(a: Word, b: Word) -> float:
    """The share of the shorter word's height the two words share."""
    h = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    return max(0, h) / max(1, min(a.height, b.height))


def read_again(
    pages: Sequence[OcrPage],
    images: Sequence[T],
    rule: ScriptFallback,
    read: Callable[[T, str], OcrPage],
    installed: Callable[[], frozenset[str]],
) -> tuple[list[OcrPage], list[str]]:
    """Each page in a script its recognizer cannot read, read again by Tesseract in that script's
    language and :func:`combined` with the recognizer's reading; the languages read with, one per
    page read again.

    A page is looked at when the recognizer read letters of a listed script on it
    (:meth:`ScriptFallback.read_script`: that language alone reads it) or left most of its lines unread
    (:meth:`ScriptFallback.wanted`: every listed language whose model is installed reads it). The
    surest reading is taken when it is sure enough (``min_confidence``) and, the script unseen, surer
    by ``margin`` than ``with_language``'s alone (a faint Latin page reads no surer in Cyrillic)."""
    out: list[OcrPage] = []
    read_with: list[str] = []
    for page, image in zip(pages, images, strict=True):
        seen = rule.read_script(page)
        if seen is None and not rule.wanted(page):
            out.append(page)
            continue
        have = installed()
        scripts = [seen] if seen is not None else list(rule.languages)
        by_language = {lang: name for name in scripts if (lang := rule.language(name, have)) is not None}
        if not by_language:
            out.append(page)
            continue
        readings = {language: read(image, language) for language in by_language}
        best = max(readings, key=lambda lang: mean_confidence(readings[lang]))
        sure = mean_confidence(readings[best])
        control = 0.0
        if seen is None and rule.with_language in have:
            control = mean_confidence(read(image, rule.with_language))
        log.info(
            "script fallback: page %d, %d of %d lines unread, %s read; %s %.2f (%s %.2f)",
            page.number, page.unread, page.lines_seen, seen, best, sure, rule.with_language, control,
        )  # fmt: skip
        if sure < rule.min_confidence or sure < control + rule.margin:
            out.append(page)
            continue
        script = by_language[best]
        again = joined(readings[best], [script], rule.join_gap)
        out.append(combined(page, again, rule.keep_numbers, script))
        read_with.append(best)
    return out, read_with
