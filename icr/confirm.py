"""Check the chosen date by reading its line again, alone.

Tesseract reads a page with its layout analysis; a single line cut out of the
corrected page and read as one line (page segmentation mode 7) is read
differently, and often better: "12/09/2118" on the page is "12/03/2018" alone.
One such reading is not trusted over the page's (it also misreads), so the
line is read at two scales and the date is replaced only when both crops agree
on the same other date. The smaller crop (1x) is read first; when it agrees with
the page nothing else is read. When the line's crop shows no date at all (a tall
word let the next line into it), the words that carry the date are cut out and
read the same way. When the line agrees with the page but the receipt shows
another date too (printed twice, one copy misread), the date's own word is read
alone the same way, and only a date printed elsewhere on the receipt is taken.
Last, a line whose crops settled nothing is read again with its strokes
thickened, by the same rule: faded print read "18/02" for 16/02 at every size
reads as printed once the ink spreads by a pixel (not on a page whose lighting
was flattened: dark strokes thickened close up).

Measured on sroie-dev (benchmarks/README.md, "Date check" and text rounds 6
and 7): date 0.89 -> 0.96 in ``icr eval``, no date lost, two or three small
Tesseract calls per document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

import cv2
import numpy as np
import regex

from icr.stages import Recognizer
from icr.text.parsers import ParseOptions, find_dates
from icr.types import CorrectedPage, Extraction, FieldValue, Image, OcrResult, TextLine

SCALES = (1.0, 1.5)
"""The crop is read at these scales, in this order (the cheaper first); all must agree on a new date."""
LINE_PSM = 7
"""Tesseract: treat the image as a single text line."""
MARGIN = 10
"""White pixels around the crop (Tesseract reads text touching the edge badly)."""


def _date_line(ocr: OcrResult, date: dt.date) -> tuple[TextLine, ParseOptions] | None:
    """The first line whose text holds ``date``, with the date order it is printed in."""
    for line in ocr.lines():
        if not line.words:
            continue
        for opts in (ParseOptions(day_first=True), ParseOptions(day_first=False)):
            for found, raw, _ in find_dates(line.text, opts):
                if found == date:
                    # "07/14/2013" reads as July 14 either way (one order is impossible); the
                    # crop's "07/04/2013" must be read month-first too
                    numbers = regex.match(r"\D*(\d{1,2})\D+(\d{1,2})\D", raw)
                    month_first = numbers is not None and (int(numbers[1]), int(numbers[2])) == (date.month, date.day)
                    return line, ParseOptions(day_first=not month_first or date.month == date.day)
    return None


THICKEN = np.ones((2, 2), np.uint8)
"""Strokes are thickened by this kernel (a grey-level erosion: dark ink spreads by a pixel) for the
last look at a faded date."""


def _crop(page: CorrectedPage, line: TextLine, scale: float, thicken: bool = False) -> CorrectedPage:
    left, top, right, bottom = line.box
    pad = max(4, (bottom - top) // 3)
    h, w = page.image.shape[:2]
    crop: Image = page.image[max(0, top - pad) : min(h, bottom + pad), max(0, left - pad) : min(w, right + pad)]
    if scale != 1.0:
        crop = np.asarray(cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC), np.uint8)
    framed = cv2.copyMakeBorder(crop, MARGIN, MARGIN, MARGIN, MARGIN, cv2.BORDER_CONSTANT, value=255)
    if thicken:
        framed = cv2.erode(framed, THICKEN)
    return CorrectedPage(np.ascontiguousarray(framed, np.uint8), page.number)


Reading = tuple[OcrResult, Sequence[CorrectedPage]]
"""What the recognizer read, and the pages it read it from."""


def confirm_date(
    extraction: Extraction,
    readings: Sequence[Reading],
    recognizer: Recognizer,
    *,
    language: str | None = None,
    today: dt.date | None = None,
) -> Extraction:
    """``extraction`` with its date replaced when the date's line, read alone at every scale in
    :data:`SCALES`, shows one other date each time; otherwise ``extraction`` unchanged.

    The line is looked for in each of ``readings`` in turn (the corrected page's, then the
    second read's); a date found in none of them (derived, or a PDF's text) is left alone.
    """
    field = extraction.fields.get("date")
    if field is None or not isinstance(field.typed, dt.date):
        return extraction
    found = next(
        ((hit, pages) for ocr, pages in readings for hit in [_date_line(ocr, field.typed)] if hit is not None),
        None,
    )
    if found is None:
        return extraction
    (line, opts), pages = found
    page = next((p for p in pages if p.number == line.page and p.text_layer is None), None)
    if page is None or page.image.ndim < 2 or page.image.size == 0:
        return extraction
    latest = today or dt.date.today()

    def reread(box: TextLine, thicken: bool = False) -> tuple[str, dt.date | None, str]:
        """("silent", ...) when the first crop shows no date, ("new", date, text) when every scale
        reads the same other date, else ("kept", ...)."""
        new: dt.date | None = None
        raw = ""
        for scale in SCALES:
            crop = _crop(page, box, scale, thicken)
            text = recognizer.recognize([crop], language=language, psm=LINE_PSM).text
            dates = [d for d, _, _ in find_dates(text, opts) if d <= latest]
            if not dates and new is None:
                return "silent", None, ""
            if not dates or dates[0] == field.typed or (new is not None and dates[0] != new):
                return ("agrees" if new is None and dates and dates[0] == field.typed else "kept"), None, ""
            new = dates[0]
            raw = " ".join(text.split())
        return "new", new, raw

    outcome, new, raw = reread(line)
    if outcome == "silent":
        # a taller word let the next line in: only the words that carry the date
        date_words = tuple(w for w in line.words if sum(c.isdigit() for c in w.text) >= 4)
        if date_words:
            outcome, new, raw = reread(TextLine(line.text, line.confidence, date_words, line.page))
    elif outcome == "agrees":
        # The line agrees with the page, but the receipt shows another date too (printed twice, one
        # copy misread): the date's own word, alone, may side with that one ("17/06/2018" on the
        # line, "17/05/2018" alone and at the foot). Only a date printed elsewhere is taken.
        own = tuple(w for w in line.words if find_dates(w.text, opts))
        # every line's dates only when the word alone would be read (parsing them all is most of
        # the check's own time)
        others = (
            {d for ocr, _ in readings for ln in ocr.lines() for d, _, _ in find_dates(ln.text, opts)}
            if own and len(own) < len(line.words)
            else set()
        )
        others.discard(field.typed)
        if others and own and len(own) < len(line.words):
            outcome, new, raw = reread(TextLine(line.text, line.confidence, own, line.page))
            if new not in others:
                outcome = "kept"
    if outcome != "new" and outcome != "silent" and not page.info.get("background_applied"):
        # Faded print: thin, broken strokes read as another digit the same way at every size ("16/02"
        # as "18/02"); with the strokes thickened the line reads as printed. Same rule: every scale
        # must show the same other date. Not on a page whose uneven lighting was flattened: its
        # strokes are dark already, and thickened they close up ("16" read "18", "2018" "2016").
        outcome, new, raw = reread(line, thicken=True)
    if outcome != "new" or new is None:
        return extraction
    fields = dict(extraction.fields)
    fields["date"] = FieldValue("date", new.isoformat(), new, raw, field.confidence, "reread")
    return replace(extraction, fields=fields)
