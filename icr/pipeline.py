"""The one place that composes the four stages.

Follow one document from file to database here:

1. :func:`process_document` (in a worker) — load pages, **image corrector**,
   **recognizer**, **text corrector** — returns a :class:`DocumentResult`;
2. :func:`ingest` (in the parent) — finds files, skips those already stored,
   hands the rest to an executor, and has the **populator** write each batch of
   results in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import resource
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from icr.calibrate import Calibration, calibrate, load_calibration
from icr.config import Settings
from icr.consolidate import ConsolidateOptions
from icr.duplicates import DuplicateOptions
from icr.errors import DocumentError
from icr.files import open_regular
from icr.forms.reader import FORM, FormReader
from icr.forms.zonal import ZonalLayout
from icr.imaging.load import PageLimits, load_pages, supported_extensions
from icr.layout import column_spans, gutter_cuts, joined, side_by_side, text_extent, word_columns
from icr.ocr.scripts import ScriptFallback, read_again
from icr.stages import ImageCorrector, Populator, Recognizer, TextCorrector
from icr.store import FileStore, encode_png
from icr.text.ledger import Provenance
from icr.text.locate import locate_fields
from icr.text.templates import Template
from icr.types import (
    CorrectedPage,
    CropReading,
    DocumentResult,
    Extraction,
    FormData,
    Image,
    OcrPage,
    OcrResult,
    Page,
    Word,
)

TEMPLATE_SOURCES = frozenset({"template", "static"})
"""Fields a template asked for: the only ones a form keeps."""


NEURAL_RECOGNIZERS = ("rapidocr", "hybrid", "fusion")


@dataclass
class Stages:
    """The three worker-side stages, built once per worker process."""

    corrector: ImageCorrector
    recognizer: Recognizer
    text: TextCorrector
    language: str | None = None
    """The OCR language for every document (``--lang``); None: the configured one, or the template's."""
    second_read: tuple[str, ...] | None = None
    """The image-corrector steps a second read keeps (None: no second read); see :func:`process_document`."""
    second_recognizer: Recognizer | None = None
    """The recognizer of the second read (None: ``recognizer``)."""
    date_check: bool = False
    """Read the chosen date's line again, alone (:mod:`icr.confirm`)."""
    keep_pages: bool = False
    """Return the corrected pages as PNG (the parent keeps them beside the originals, :mod:`icr.store`)."""
    calibration: Calibration | None = None
    """Turns the text corrector's confidences into measured ones and flags on them (:mod:`icr.calibrate`)."""
    limits: PageLimits = field(default_factory=PageLimits)
    """Pages and decoded memory one document may take."""
    split: str = "auto"
    """How a multi-page file becomes documents (``ingest.split``): none, pages or auto; see :func:`split_step`."""
    side_by_side_gap: float = 0.0
    """Receipts side by side on a page are cut apart at gutters this many word heights wide
    (``ingest.side_by_side_gap``; 0: never); see :func:`split_step`."""
    stacked_gap: float = 0.0
    """Receipts one above another on a page are cut apart at blank bands this many word heights tall
    (``ingest.stacked_gap``; 0: never); see :func:`_stacked`."""
    stacked_apart: bool = False
    """Read a page's bands again apart when it did not read as receipts one above another
    (``ingest.stacked_apart``); see :func:`_read_apart`."""
    side_by_side_apart: float = 0.0
    """A page whose columns did not read as receipts side by side is read again column by column when
    two of them hold at least this share of the largest one's words (``ingest.side_by_side_apart``;
    0: never); see :func:`_read_apart`."""
    forms: FormReader | None = None
    """The forms step: tells a form from a receipt and reads its pairs (None: every document is read as a receipt)."""
    form_corrector: ImageCorrector | None = None
    """The image corrector a form is read again with (``forms.image_corrector`` over the configured options)."""
    form_recognizer: Recognizer | None = None
    """The recognizer a form is read again with (None: ``recognizer``): Tesseract when that is a neural engine,
    whose detector takes no page segmentation mode and whose every zone crop would go through it."""
    script_fallback: ScriptFallback | None = None
    """When a page the recognizer could not read (a script its model lacks) is read by Tesseract in
    that script (``script_fallback``; None: never); see :func:`_other_script`."""
    script_recognizer: Recognizer | None = None
    """The Tesseract recognizer of :attr:`script_fallback`."""

    def close(self) -> None:
        self.recognizer.close()
        if self.second_recognizer is not None and self.second_recognizer is not self.recognizer:
            self.second_recognizer.close()
        if self.form_recognizer is not None:
            self.form_recognizer.close()
        if self.script_recognizer is not None:
            self.script_recognizer.close()


def build_stages(settings: Settings) -> Stages:
    # Imported here: the stages pull in OpenCV and Tesseract, which the parent of a worker pool
    # does not need (its workers preload them instead; see icr.executor).
    from icr.registry import build_image_corrector, build_recognizer, build_text_corrector

    forced = settings.get("recognizer", "force_language")
    second = settings.section("second_read")
    recognizer = build_recognizer(settings)
    second_recognizer = None
    replayed = settings.stage("recognizer") == "fake"
    if replayed:
        second = {}  # replayed OCR (tests, load benchmarks) is never read again by a real engine
    if second.get("enabled") and str(second.get("recognizer", "same")) != "same":
        second_recognizer = build_recognizer(settings.with_overrides({"stages": {"recognizer": second["recognizer"]}}))
    forms_section = settings.section("forms")
    forms = FormReader.from_section(forms_section) if forms_section.get("enabled", True) else None
    form_corrector = None
    if forms is not None and forms_section.get("image_corrector"):
        overrides = {"image_corrector": dict(forms_section["image_corrector"])}
        form_corrector = build_image_corrector(settings.with_overrides(overrides))
    form_recognizer = None
    if forms is not None and settings.stage("recognizer") in NEURAL_RECOGNIZERS:
        form_recognizer = build_recognizer(settings.with_overrides({"stages": {"recognizer": "auto"}}))
    script_fallback, script_recognizer = None, None
    fallback = settings.section("script_fallback")
    if fallback.get("enabled") and settings.stage("recognizer") in NEURAL_RECOGNIZERS:
        script_fallback = ScriptFallback(**{k: v for k, v in fallback.items() if k != "enabled"})
        script_recognizer = build_recognizer(settings.with_overrides({"stages": {"recognizer": "auto"}}))
    calibration = None
    if settings.get("calibration", "enabled", False) and settings.stage("text_corrector") == "default":
        # the default corrector's scores are what config/calibration.yaml was fitted on
        calibration = load_calibration(settings.get("calibration", "file"))
    return Stages(
        corrector=build_image_corrector(settings),
        recognizer=recognizer,
        text=build_text_corrector(settings),
        language=str(forced) if forced else None,
        second_read=tuple(str(s) for s in second.get("steps") or ()) if second.get("enabled") else None,
        second_recognizer=second_recognizer,
        date_check=bool(settings.get("date_check", "enabled", False)) and not replayed,
        keep_pages=bool(settings.get("store", "keep_pages", False)),
        limits=PageLimits.from_settings(settings),
        split=str(settings.get("ingest", "split") or "auto"),
        side_by_side_gap=float(settings.get("ingest", "side_by_side_gap") or 0.0),
        stacked_gap=float(settings.get("ingest", "stacked_gap") or 0.0),
        stacked_apart=bool(settings.get("ingest", "stacked_apart", False)),
        side_by_side_apart=float(settings.get("ingest", "side_by_side_apart") or 0.0),
        forms=forms,
        form_corrector=form_corrector,
        form_recognizer=form_recognizer,
        script_fallback=script_fallback,
        script_recognizer=script_recognizer,
        calibration=calibration,
    )


@dataclass(frozen=True)
class ReadOptions:
    """How a document is read: the image-corrector steps, Tesseract's language and page segmentation mode.
    ``None`` means the configured default."""

    steps: tuple[str, ...] | None = None
    language: str | None = None
    psm: int | None = None


def _template(stages: Stages, name: str | None) -> Template | None:
    """The text corrector's template of this name (the one it chose)."""
    if not name:
        return None
    for candidate in getattr(stages.text, "templates", ()):
        if getattr(candidate, "name", None) == name:
            return candidate
    return None


def template_read_options(stages: Stages, template: str | None) -> ReadOptions:
    """What the chosen template asks for in its ``options`` (``--lang`` wins over its language)."""
    candidate = _template(stages, template)
    if candidate is None:
        return ReadOptions()
    opts = candidate.options
    steps = opts.get("steps")
    language = None if stages.language else opts.get("language")
    psm = opts.get("psm")
    return ReadOptions(tuple(steps) if steps else None, str(language) if language else None, int(psm) if psm else None)


def _read(
    pages: list[Page],
    stages: Stages,
    how: ReadOptions,
    timings: dict[str, float],
    recognizer: Recognizer | None = None,
    corrector: ImageCorrector | None = None,
) -> tuple[list[CorrectedPage], OcrResult]:
    """Stages 1 and 2 on every page: the image corrector (a PDF text layer needs none), then the recognizer."""
    t = time.perf_counter()
    fixer = corrector or stages.corrector
    corrected = [
        CorrectedPage(page.image, page.number, text_layer=page.text_layer)
        if page.text_layer and page.text_layer.strip()
        else fixer.correct(page, list(how.steps) if how.steps is not None else None)
        for page in pages
    ]
    timings["correct"] = timings.get("correct", 0.0) + time.perf_counter() - t
    for page in corrected:
        for step, seconds in page.timings.items():
            timings[f"correct.{step}"] = timings.get(f"correct.{step}", 0.0) + seconds
    t = time.perf_counter()
    engine = recognizer or stages.recognizer
    ocr = engine.recognize(corrected, language=how.language or stages.language, psm=how.psm)
    timings["recognize"] = timings.get("recognize", 0.0) + time.perf_counter() - t
    if any(page.info.get("orientation_deferred") for page in corrected):
        corrected, ocr = _settle_orientation(pages, corrected, ocr, stages, how, engine, timings)
    return corrected, _other_script(corrected, ocr, stages, timings)


def _other_script(
    corrected: list[CorrectedPage], ocr: OcrResult, stages: Stages, timings: dict[str, float]
) -> OcrResult:
    """``ocr`` with each page its recognizer could not read (a script its model lacks: Cyrillic, Hangul)
    read again by Tesseract in that script's language, when its model is installed (:mod:`icr.ocr.scripts`)."""
    rule, tesseract = stages.script_fallback, stages.script_recognizer
    if rule is None or tesseract is None or len(corrected) != len(ocr.pages):
        return ocr
    if not any(rule.looked_at(page) for page in ocr.pages):
        return ocr
    from icr.ocr import tesseract as tesseract_cli  # pytesseract: the worker side only

    def read(page: CorrectedPage, language: str) -> OcrPage:
        return tesseract.recognize([page], language=language, psm=rule.psm).pages[0]

    t = time.perf_counter()
    pages, languages = read_again(ocr.pages, corrected, rule, read, tesseract_cli.languages)
    timings["script_fallback"] = timings.get("script_fallback", 0.0) + time.perf_counter() - t
    if not languages:
        return ocr
    for page in corrected:
        page.info["script_fallback"] = 1.0
    return replace(ocr, pages=pages, language="+".join(dict.fromkeys(languages)))


def _settle_orientation(
    pages: list[Page],
    corrected: list[CorrectedPage],
    ocr: OcrResult,
    stages: Stages,
    how: ReadOptions,
    recognizer: Recognizer,
    timings: dict[str, float],
) -> tuple[list[CorrectedPage], OcrResult]:
    """Pages whose orientation the corrector's geometry could not tell were left as they came and
    read: a page read convincingly is upright; for another one the orientation probe decides, and a
    page that must turn is corrected turned and read again (benchmarks/README.md, "Orientation")."""
    from icr.imaging.steps.orientation import (  # OpenCV: worker side only
        convincing,
        deferred_turns,
        settle,
        turn,
    )

    t = time.perf_counter()
    options = dict(getattr(stages.corrector, "options", {}))
    names = list(how.steps if how.steps is not None else options.get("steps", []))
    before = names[: names.index("orientation")] if "orientation" in names else []
    words = {page.number: page.words for page in ocr.pages}
    turns: dict[int, int] = {}

    def as_the_step_saw(page: Page) -> Callable[[], Image]:
        """The page as the orientation step saw it: the steps before it, run again on demand."""
        return lambda: stages.corrector.correct(page, before).image

    steps = [s for s in names if s != "orientation"]
    by_reading = bool(options.get("orientation_by_reading"))
    turned: dict[int, CorrectedPage] = {}
    again: dict[int, OcrPage] = {}
    for page, original in zip(corrected, pages, strict=True):
        if not page.info.get("orientation_deferred"):
            continue
        if by_reading:
            open_turns = deferred_turns(page.info)
            best = _sureness(words.get(page.number, []), options)
            if 0 in open_turns and convincing(*best, options):
                continue
            # read the page turned each way still open, upside down first, until a reading convinces;
            # keep the surest (a photo on its side or upside down, which Tesseract's probe cannot read)
            for degrees in sorted((d for d in open_turns if d), key=lambda d: d != 180):
                fixed = stages.corrector.correct(replace(original, image=turn(original.image, degrees)), steps)
                fixed.info.update(rotation=float(degrees), orientation_applied=1.0, orientation_probe=0.0)
                started = time.perf_counter()
                [reading] = recognizer.recognize([fixed], language=how.language or stages.language, psm=how.psm).pages
                timings["recognize"] = timings.get("recognize", 0.0) + time.perf_counter() - started
                t += time.perf_counter() - started  # recognition is not the corrector's time
                sure = _sureness(reading.words, options)
                if sure[0] > best[0]:
                    best, turned[page.number], again[page.number] = sure, fixed, reading
                if convincing(*sure, options):
                    break
            continue
        read = [(w.text, 100.0 * w.confidence) for w in words.get(page.number, [])]
        turns[page.number], probed = settle(read, options, as_the_step_saw(original))
        page.info["orientation_probe"] = float(probed)
    for original in pages:
        degrees = turns.get(original.number, 0)
        if degrees:
            fixed = stages.corrector.correct(replace(original, image=turn(original.image, degrees)), steps)
            fixed.info.update(rotation=float(degrees), orientation_applied=1.0, orientation_probe=1.0)
            turned[original.number] = fixed
    seconds = time.perf_counter() - t
    for key in ("correct", "correct.orientation"):
        timings[key] = timings.get(key, 0.0) + seconds
    if not turned:
        return corrected, ocr
    t = time.perf_counter()
    pending = [page for number, page in turned.items() if number not in again]
    if pending:
        reread = recognizer.recognize(pending, language=how.language or stages.language, psm=how.psm)
        again.update({page.number: page for page in reread.pages})
    timings["recognize"] = timings.get("recognize", 0.0) + time.perf_counter() - t
    return (
        [turned.get(page.number, page) for page in corrected],
        replace(ocr, pages=[again.get(page.number, page) for page in ocr.pages]),
    )


def _sureness(words: Sequence[Word], options: dict[str, Any]) -> tuple[int, int]:
    """(letters read surely in words wider than tall, all letters read) of a page's reading. The
    neural engine turns a standing line to read it, so a page on its side reads surely too; its
    words then stand, and only lying words count for the way up."""
    from icr.imaging.steps.orientation import sure_letters

    lying = [(w.text, 100.0 * w.confidence) for w in words if w.width > w.height]
    return sure_letters(lying, options)[0], sure_letters([(w.text, 100.0 * w.confidence) for w in words], options)[1]


def cpu_seconds() -> float:
    """CPU seconds of this worker and the programs it ran (the Tesseract CLI): a document's cost
    per core, which wall time on a shared machine does not tell."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _corrected(pages: Sequence[CorrectedPage], keep: Sequence[str]) -> bool:
    """Whether a step other than ``keep`` changed any page (else a second read sees the same image)."""
    return any(
        value and key.endswith("_applied") and key.removesuffix("_applied") not in keep
        for page in pages
        for key, value in page.info.items()
    )


@dataclass(frozen=True)
class Task:
    """One document to process: where it is and the sha256 the parent computed."""

    path: str
    sha256: str


def process_document(task: Task, stages: Stages) -> DocumentResult:
    """Run stages 1-3 on one file. Never raises for a bad document: it returns a failed result."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    cpu_start = cpu_seconds()
    path = Path(task.path)
    try:
        pages = load_pages(path, stages.limits)
        timings["load"] = time.perf_counter() - start

        corrected, ocr = _read(pages, stages, ReadOptions(), timings)

        t = time.perf_counter()
        extraction = stages.text.extract(ocr)
        timings["extract"] = time.perf_counter() - t

        wanted = template_read_options(stages, extraction.template)
        if wanted != ReadOptions():
            # The chosen template reads its documents otherwise (steps, language, psm): read it again so.
            t = time.perf_counter()
            corrected, ocr = _read(pages, stages, wanted, {})
            extraction = stages.text.extract(ocr)
            timings["reread"] = time.perf_counter() - t

        form: FormData | None = None
        side: Columns | None = None  # the page as receipts side by side, once worked out
        rows: list[Stacked] | None = None  # its receipts (or the page) as receipts one above another
        template = _template(stages, extraction.template)
        if stages.forms is not None:
            kind = stages.forms.kind(extraction, ocr, FORM if template and template.doc_type == FORM else None)
            if kind == FORM and not (template and template.doc_type == FORM):
                # receipts side by side spread text across the page as a form does: they are no form
                side = _columns(stages, ocr)
                if side[0]:
                    kind = extraction.doc_type
            if kind == FORM:
                t = time.perf_counter()
                layout = template.layout if template is not None else None
                corrected, ocr, form, extraction = _read_form(pages, stages, stages.forms, wanted, extraction, layout)
                timings["forms"] = time.perf_counter() - t

        readings: list[tuple[OcrResult, list[CorrectedPage]]] = [(ocr, corrected)]
        if (
            form is None
            and extraction.missing
            and stages.second_read is not None
            and (stages.second_recognizer is not None or _corrected(corrected, stages.second_read))
        ):
            # A required field is missing: the corrector's changes may have cost it (Tesseract reads
            # a cleaned page differently, not always better). Read the page as it came, keeping only
            # the steps it cannot do without (a turned page), with the second recognizer (another
            # Tesseract build reads differently), and take the better of both readings.
            t = time.perf_counter()
            how = replace(wanted, steps=stages.second_read)
            second_pages, second = _read(pages, stages, how, {}, stages.second_recognizer)
            extraction = stages.text.combine(extraction, stages.text.extract(second))
            readings.append((second, second_pages))
            timings["second_read"] = time.perf_counter() - t

        if stages.date_check and form is None:
            from icr.confirm import confirm_date  # OpenCV: the worker side only

            t = time.perf_counter()
            language = wanted.language or stages.language
            extraction = confirm_date(extraction, readings, stages.recognizer, language=language)
            timings["date_check"] = time.perf_counter() - t

        extraction = locate_fields(extraction, ocr)
        if stages.calibration is not None:
            extraction = calibrate(extraction, ocr.mean_confidence, stages.calibration)
        page_images = [encode_png(page.image) for page in corrected] if stages.keep_pages else []

        if form is None and len(corrected) == 1:
            side = side if side is not None else _columns(stages, ocr)
            if stages.side_by_side_apart > 0 and (not side[0] or any(doubt for *_, doubt in side[0])):
                # no receipts side by side, or fewer than may be: read the columns apart
                again = _read_apart(stages, corrected[0], ocr, wanted, timings)
                apart = _columns(stages, again) if again is not None else None
                if apart is not None and len(apart[0]) > len(side[0]):
                    side = apart
            rows = _rows(stages, corrected[0], ocr, side[0], wanted, timings)

        t = time.perf_counter()
        parts, extraction = split_step(task, stages, ocr, extraction, form is not None, page_images, side, rows)
        timings["split"] = time.perf_counter() - t
    except DocumentError as exc:
        timings["total"] = time.perf_counter() - start
        return DocumentResult(task.path, task.sha256, "failed", error=str(exc), timings=timings)
    except Exception as exc:  # an engine failing on one document must not stop the batch
        timings["total"] = time.perf_counter() - start
        error = f"{task.path}: {type(exc).__name__}: {exc}".strip()
        return DocumentResult(task.path, task.sha256, "failed", error=error, timings=timings)
    timings["total"] = time.perf_counter() - start
    timings["cpu"] = cpu_seconds() - cpu_start
    info: dict[str, float] = {}
    for page in corrected:
        info.update(page.info)
    return DocumentResult(
        source=task.path,
        sha256=task.sha256,
        status="ok",
        ocr=ocr,
        extraction=extraction,
        timings=timings,
        pages=len(pages),
        info=info,
        page_images=page_images,
        form=form,
        parts=parts,
    )


def handwriting_reader() -> Callable[[Image, str | None], CropReading | None] | None:
    """The handwriting recognizer (:mod:`icr.htr`) for handwritten zones (a crop and a field grammar of
    ``config/htr.yaml``) and lines, when its runtime is installed (the ``htr`` extra); None: the default
    engine's reading stands."""
    import importlib.util

    if importlib.util.find_spec("onnxruntime") is None:
        return None
    from icr.htr import ENGINE, shared_reader

    def read(crop: Image, grammar: str | None) -> CropReading:
        got = shared_reader().read([crop], grammar, trim=True)[0]  # a zone is loose round the writing
        words = tuple((w.text, w.confidence, w.start, w.end) for w in got.words)
        return CropReading(got.text, got.confidence, ENGINE, words)

    return read


SPLIT_MODES = ("none", "pages", "auto")


def _complete(extraction: Extraction) -> bool:
    """A page that reads as a whole receipt: a labelled total and a date. A company is no evidence:
    the first line of any page is taken for one (benchmarks/README.md, "Multi-page files")."""
    return _labelled(extraction) and "date" in extraction.fields


_UNLABELLED = frozenset({Provenance.POSITION, Provenance.POSITION_CHECKED, Provenance.ARITHMETIC})
"""How a total is found when no total label stands beside it (the last amount, or the sums)."""


def _labelled(extraction: Extraction) -> bool:
    """A total printed under a total label (not the last amount taken for one)."""
    total = extraction.fields.get("total")
    return total is not None and total.source not in _UNLABELLED


def _total(extraction: Extraction) -> object:
    total = extraction.fields.get("total")
    return total.typed if total is not None else None


def _one_purchase(a: Extraction, b: Extraction) -> bool:
    """Two readings of one purchase: a receipt and its card slip print the same total and date (its
    day and month maybe swapped: a slip alone may show no cue of the country's order)."""
    date, other = (e.fields["date"].typed if "date" in e.fields else None for e in (a, b))
    if not isinstance(date, dt.date) or not isinstance(other, dt.date) or _total(a) is None:
        return False
    swapped = (other.year, other.day, other.month) == (date.year, date.month, date.day)
    return (date == other or swapped) and _total(a) == _total(b)


def _page_reading(ocr: OcrResult, number: int) -> OcrResult:
    return replace(ocr, pages=[p for p in ocr.pages if p.number == number])


def split_step(
    task: Task,
    stages: Stages,
    ocr: OcrResult,
    extraction: Extraction,
    is_form: bool,
    page_images: list[bytes],
    side: Columns | None = None,
    rows: list[Stacked] | None = None,
) -> tuple[list[DocumentResult], Extraction]:
    """Decide the documents of a file: ``pages`` makes each page of a multi-page file a document;
    ``auto`` does when its pages read as complete receipts of their own (each its own total and a
    date, the total not the previous page's), as a scanner batch of receipts does — a multi-page
    invoice prints its total once, a bill the same total on every page.
    A batch may hold a page or two whose total was misread (:func:`_misses_allowed`); those become
    documents of their own too, flagged by their missing total. Under both, a page whose text stands
    in columns apart that each read as a complete receipt (receipts laid side by side on a flatbed,
    :mod:`icr.layout`) makes a document of each. ``none`` keeps one document, and a document kept
    whole with two pages or columns or more that print a total of their own is flagged for review,
    so a record never silently mixes fields from unrelated receipts. ``side``: :func:`_columns` of
    ``ocr`` when already worked out; ``rows``: :func:`_rows`, each of those columns (or the page,
    when it stands in none) as receipts one above another, when worked out. Returns the parts (empty:
    the file is one document) and the whole document's extraction."""
    numbers = [p.number for p in ocr.pages]
    if is_form:
        return [], extraction
    if len(numbers) < 2:
        columns, totals = side if side is not None else _columns(stages, ocr)
        # each receipt of a row of them, or the page, may hold receipts one above another
        found: list[tuple[OcrResult, Extraction, str]] = []
        for k, (reading, extracted, doubt) in enumerate(columns or [(ocr, extraction, "")]):
            below = rows[k] if rows is not None else _stacked(stages, reading, bool(columns))
            stacked, labelled, dated, receipts = below
            # a receipt cut from beside others is doubted on less than a whole page is flagged on
            if max(labelled, receipts) >= 2 and columns and not stacked and not doubt:
                n, what = (labelled, "print a total") if labelled >= 2 else (receipts, "read a total and a date")
                doubt = f"one above another: {n} bands of text {what} of their own, and it may hold two"
            found += stacked or [(reading, extracted, doubt)]
            totals = max(totals, dated)
        if len(found) > 1 and stages.split != "none":
            return _column_parts(task, stages, numbers[0], found, page_images), extraction
        if totals >= 2:
            remedy = "ingest with --split auto" if stages.split == "none" else "scan them apart"
            reason = (
                f"{totals} receipts on the page (side by side or one above another) print a total of their own, "
                f"so fields may come from different receipts: {remedy}"
            )
            extraction = replace(extraction, needs_review=True, review_reasons=[*extraction.review_reasons, reason])
        return [], extraction
    readings = {n: _page_reading(ocr, n) for n in numbers}
    pages: dict[int, Extraction] = {}
    allowed = _misses_allowed(len(numbers))
    complete = misses = totals = 0
    for n in numbers:  # stops once too many pages are no receipt of their own (a long report: a few reads)
        pages[n] = stages.text.extract(readings[n])
        total, previous = _total(pages[n]), _total(pages[n - 1]) if n - 1 in pages else None
        # a page printing the total the page before it printed continues it (a bill's every page)
        if _labelled(pages[n]) and total != previous:
            totals += 1
        if _complete(pages[n]) and total != previous:
            complete += 1
        else:
            misses += 1
            if misses > allowed and stages.split != "pages":
                break
    batch = complete >= 2 and misses <= allowed
    if stages.split == "pages" or (stages.split == "auto" and batch):
        parts = []
        for i, n in enumerate(numbers):
            columns, _ = _columns(stages, readings[n])
            if columns:
                parts += _column_parts(task, stages, n, columns, page_images[i : i + 1])
                continue
            parts.append(_part(task, stages, f"#page={n}", readings[n], pages[n], page_images[i : i + 1]))
        return parts, extraction
    if totals >= 2:  # a false flag costs a look, a false split a wrong record: flagged on less
        reason = (
            f"{totals} of {len(numbers)} pages print a total of their own, "
            "so fields may come from different receipts: ingest with --split auto or --split pages"
        )
        extraction = replace(extraction, needs_review=True, review_reasons=[*extraction.review_reasons, reason])
    return [], extraction


MAX_COLUMNS = 10
"""A page cut into more columns than this is no set of receipts side by side (a table): read whole."""


def _receipt(extraction: Extraction) -> bool:
    """A column that reads as a receipt beside others: a total and a date (the gutter is evidence
    enough that it stands alone; its total may be the last amount, with its label misread)."""
    return "total" in extraction.fields and "date" in extraction.fields


Columns = tuple[list[tuple[OcrResult, Extraction, str]], int]
"""A page as receipts side by side (:func:`_columns`): each group's reading, extraction and doubt, and
the most groups of any one grouping that print a labelled total."""


def _columns(stages: Stages, reading: OcrResult) -> Columns:
    """A one-page reading as receipts side by side: the page's columns (:func:`icr.layout.word_columns`)
    grouped, neighbours with neighbours, into the most groups that each read as a receipt (a total
    and a date; at least half of them a total under a total label) — a receipt's own columns, names
    apart from prices, hold no labelled total alone. Returns each group's reading, extraction and
    doubt, or nothing when no grouping into two or more qualifies; and the most groups of any one
    grouping that print a labelled total. A doubt is a review reason (empty: none) for a group of
    columns two of which read a total or a date alone, or start at its top: it may hold a receipt
    besides the one that made it whole."""
    if stages.side_by_side_gap <= 0 or len(reading.pages) != 1:
        return [], 0
    columns = word_columns(reading.pages[0], stages.side_by_side_gap)
    if not 2 <= len(columns) <= MAX_COLUMNS:
        return [], 0
    group = _group_reader(stages, reading, columns)
    best, totals, *_ = _grouping(group, len(columns), stacked=False)

    def doubt(i: int, j: int) -> str:
        if j - i < 2:
            return ""
        alone = [group(k, k + 1)[1].fields for k in range(i, j)]
        tops = [min(w.top for w in column) for column in columns[i:j]]
        reach = 0.1 * (max(w.top + w.height for c in columns[i:j] for w in c) - min(tops))
        headed = sum(1 for top in tops if top - min(tops) <= reach)  # a receipt's prices start below its name
        if max(sum("total" in f for f in alone), sum("date" in f for f in alone), headed) < 2:
            return ""
        return f"side by side: {j - i} columns of text read as one receipt, and it may hold two"

    return [(*group(i, j), doubt(i, j)) for i, j in best], totals


Stacked = tuple[list[tuple[OcrResult, Extraction, str]], int, int, int]
"""A page as receipts one above another (:func:`_stacked`): each group's reading, extraction and doubt,
the most groups printing a labelled total, of those the most that read a date as well, and the most
groups that read a total (labelled or not) and a date."""


def _stacked(stages: Stages, reading: OcrResult, thorough: bool = False) -> Stacked:
    """A one-page reading (or one receipt's column of a page) as receipts one above another: its
    bands of text parted by at least ``stacked_gap`` word heights of blank rows across it, grouped
    as :func:`_columns` groups columns but stricter (:func:`_grouping`). Returns the groups (no
    doubts), and the most groups of any grouping that print a labelled total, each another than the
    one above, of those the most that read a date as well, and the most that read a total and a date,
    labelled or not. Unless ``thorough``, groupings are read top down only until a group fails, and
    the counts are those of the groups returned: nearly every page is one receipt whose top band
    prints no total, and reading each band costs a text extraction."""
    if stages.stacked_gap <= 0 or len(reading.pages) != 1:
        return [], 0, 0, 0
    bands = word_columns(reading.pages[0], stages.stacked_gap, across=True)
    if not 2 <= len(bands) <= MAX_COLUMNS:
        return [], 0, 0, 0
    group = _group_reader(stages, reading, bands)
    if thorough:
        best, totals, dated, receipts = _grouping(group, len(bands), stacked=True)
    else:
        best = _first_stacking(group, len(bands))
        totals = dated = receipts = len(best)
    return [(*group(i, j), "") for i, j in best], totals, dated, receipts


def _rows(
    stages: Stages,
    page: CorrectedPage,
    ocr: OcrResult,
    columns: list[tuple[OcrResult, Extraction, str]],
    how: ReadOptions,
    timings: dict[str, float],
) -> list[Stacked]:
    """Each receipt cut from beside others (``columns``: :func:`_columns`), or the page when it
    stands in none, as receipts one above another (:func:`_stacked`; a column's groupings read
    thoroughly, since it is doubted on less). One that does not read so has its bands read apart
    (``stacked_apart``): a page two receipts tall reaches a detector that scales the page's longer
    side with letters half as tall, and a column of a grid of receipts as well."""
    if not columns:
        return [_stacked_apart(stages, page, ocr, how, timings, False, None)]
    spans = [text_extent(reading.pages[0].words) for reading, *_ in columns]
    cuts = gutter_cuts(spans, page.image.shape[1])
    return [
        _stacked_apart(stages, page, reading, how, timings, True, within)
        for (reading, *_), within in zip(columns, itertools.pairwise(cuts), strict=True)
    ]


def _stacked_apart(
    stages: Stages,
    page: CorrectedPage,
    reading: OcrResult,
    how: ReadOptions,
    timings: dict[str, float],
    thorough: bool,
    within: tuple[int, int] | None,
) -> Stacked:
    rows = _stacked(stages, reading, thorough)
    if rows[0] or not stages.stacked_apart:
        return rows
    again = _read_apart(stages, page, reading, how, timings, across=True, within=within)
    if again is None:
        return rows
    other = _stacked(stages, again, thorough)
    # read apart or not, a band that read a total of its own did print one
    return other if other[0] else (rows[0], max(rows[1], other[1]), max(rows[2], other[2]), max(rows[3], other[3]))


def _first_stacking(group: Reading, cells: int) -> list[tuple[int, int]]:
    """:func:`_grouping`'s best stacked grouping, each grouping's groups read top down only until one
    is no receipt under a labelled total."""
    best: list[tuple[int, int]] = []
    for cuts in itertools.product((False, True), repeat=cells - 1):
        bounds = [0, *(k + 1 for k, cut in enumerate(cuts) if cut), cells]
        groups = list(itertools.pairwise(bounds))
        if len(groups) <= max(1, len(best)):
            continue
        if not all(_labelled(group(i, j)[1]) and _receipt(group(i, j)[1]) for i, j in groups):
            continue
        if all(_total(group(*a)[1]) != _total(group(*b)[1]) for a, b in itertools.pairwise(groups)):
            best = groups
    return best


Reading = Callable[[int, int], tuple[OcrResult, Extraction]]
"""Cells ``i`` to ``j`` (columns or bands of a page) read together: the reading and its extraction."""


def _group_reader(stages: Stages, reading: OcrResult, cells: list[list[Word]]) -> Reading:
    page = reading.pages[0]
    read: dict[tuple[int, int], tuple[OcrResult, Extraction]] = {}

    def group(i: int, j: int) -> tuple[OcrResult, Extraction]:
        if (i, j) not in read:
            part = replace(reading, pages=[joined(page, cells[i:j])])
            read[i, j] = (part, stages.text.extract(part))
        return read[i, j]

    return group


def _grouping(group: Reading, cells: int, stacked: bool) -> tuple[list[tuple[int, int]], int, int, int]:
    """The most groups of neighbouring cells that each read as a receipt, at least half of them a
    labelled total; the most groups printing a labelled total of any grouping, of those the most
    that read a date as well, and the most that read as a receipt, labelled or not. ``stacked``
    (bands one above another): every group a labelled total, another than the group's above — a
    receipt's last band (a tax summary, a card slip) may read a total and a date of its own. Side by
    side, neighbours printing the same total and date are one purchase (:func:`_one_purchase`)."""
    best: list[tuple[int, int]] = []
    totals = dated = receipts = 0
    for cuts in itertools.product((False, True), repeat=cells - 1):
        bounds = [0, *(k + 1 for k, cut in enumerate(cuts) if cut), cells]
        groups = list(itertools.pairwise(bounds))
        if len(groups) < 2:
            continue
        if stacked and any(_total(group(*a)[1]) == _total(group(*b)[1]) for a, b in itertools.pairwise(groups)):
            continue
        if any(_one_purchase(group(*a)[1], group(*b)[1]) for a, b in itertools.pairwise(groups)):
            continue  # a receipt with its card slip beside it: one record, not the purchase twice
        labelled = sum(1 for i, j in groups if _labelled(group(i, j)[1]))
        totals = max(totals, labelled)
        dated = max(dated, sum(1 for i, j in groups if _labelled(group(i, j)[1]) and _receipt(group(i, j)[1])))
        receipts = max(receipts, sum(1 for i, j in groups if _receipt(group(i, j)[1])))
        enough = labelled == len(groups) if stacked else 2 * labelled >= len(groups)
        if len(groups) > len(best) and enough and all(_receipt(group(i, j)[1]) for i, j in groups):
            best = groups
    return best, totals, dated, receipts


def _read_apart(
    stages: Stages,
    page: CorrectedPage,
    reading: OcrResult,
    how: ReadOptions,
    timings: dict[str, float],
    across: bool = False,
    within: tuple[int, int] | None = None,
) -> OcrResult | None:
    """The page read again column by column, when its text stands in two or more columns of a like
    size (each at least ``side_by_side_apart`` of the largest's words): a recognizer that finds its
    rows across the whole page (Tesseract) runs them over the gutters and garbles both sides. Each
    column, cut at the middle of its gutters, is read as a page of its own. ``across``: band by
    band (:func:`_stacked`'s bands): a page two receipts tall reaches a detector that scales the
    page's longer side (the neural engine's) with letters half as tall; ``within``: the bands of the
    page's columns from x ``a`` to ``b`` (``reading`` holds that column's words). None when the text
    stands in one column or band, or in none of a like size."""
    gap = stages.stacked_gap if across else stages.side_by_side_gap
    if page.text_layer or len(reading.pages) != 1 or gap <= 0:
        return None
    words = reading.pages[0].words
    spans = column_spans(words, gap, across)
    sizes = [len(c) for c in word_columns(reading.pages[0], gap, across)]
    if not 2 <= len(spans) <= MAX_COLUMNS or sum(n >= stages.side_by_side_apart * max(sizes) for n in sizes) < 2:
        return None
    t = time.perf_counter()
    cuts = gutter_cuts(spans, page.image.shape[0 if across else 1])
    left, right = within if across and within is not None else (0, page.image.shape[1])
    pieces = [page.image[a:b, left:right] if across else page.image[:, a:b] for a, b in itertools.pairwise(cuts)]
    crops = [CorrectedPage(piece, page.number) for piece in pieces]
    read = stages.recognizer.recognize(crops, language=how.language or stages.language, psm=how.psm)
    again = replace(reading, pages=[side_by_side(reading.pages[0], read.pages, cuts, across, left)])
    timings["read_apart"] = timings.get("read_apart", 0.0) + time.perf_counter() - t
    return again


def _column_parts(
    task: Task,
    stages: Stages,
    number: int,
    columns: list[tuple[OcrResult, Extraction, str]],
    page_images: list[bytes],
) -> list[DocumentResult]:
    return [
        _part(task, stages, f"#page={number}&part={k}", reading, ex, page_images, doubt)
        for k, (reading, ex, doubt) in enumerate(columns, start=1)
    ]


def _part(
    task: Task,
    stages: Stages,
    mark: str,
    reading: OcrResult,
    extraction: Extraction,
    page_images: list[bytes],
    doubt: str = "",
) -> DocumentResult:
    """One document of a file split into several (``FILE#page=N`` or ``FILE#page=N&part=K``), its key
    derived from the file's sha256 and the mark, its fields located and calibrated as a whole file's;
    ``doubt``: a review reason besides."""
    extraction = locate_fields(extraction, reading)
    if stages.calibration is not None:
        extraction = calibrate(extraction, reading.mean_confidence, stages.calibration)
    if doubt:
        extraction = replace(extraction, needs_review=True, review_reasons=[*extraction.review_reasons, doubt])
    return DocumentResult(
        source=f"{task.path}{mark}",
        sha256=hashlib.sha256(f"{task.sha256}{mark}".encode()).hexdigest(),
        status="ok",
        ocr=reading,
        extraction=extraction,
        pages=1,
        page_images=page_images,
    )


def _misses_allowed(pages: int) -> int:
    """Pages of a scanner batch that may fail to read as a whole receipt (a total or date misread):
    none of two, one of three or four, two of more. Asking every page to read whole left most
    batches of ten receipts unsplit (benchmarks/README.md, "Multi-page files")."""
    return min(2, (pages - 1) // 2)


def read_as_form(
    pages: list[Page],
    stages: Stages,
    reader: FormReader,
    wanted: ReadOptions | None = None,
    handwritten_lines: bool = True,
) -> tuple[list[CorrectedPage], OcrResult]:
    """Stages 1 and 2 as a form is read (the forms step's steps, recognizer and page segmentation
    mode), then the lines the engine read badly read again by the handwriting recognizer where it
    is sure (``forms.handwriting``; not on a zonal template's page, whose handwriting zones it
    reads itself): what the forms step and ``icr forms train`` read pairs off."""
    wanted = wanted or ReadOptions()
    how = ReadOptions(
        steps=reader.read_steps if reader.read_steps is not None else wanted.steps,
        language=wanted.language,
        psm=reader.psm if reader.psm is not None else wanted.psm,
    )
    recognizer = stages.form_recognizer or stages.recognizer
    corrected, ocr = _read(pages, stages, how, {}, recognizer, corrector=stages.form_corrector)
    handwriting = handwriting_reader() if handwritten_lines else None
    if handwriting is not None:
        ocr = reader.reread_handwriting(ocr, corrected, handwriting)
    return corrected, ocr


def _read_form(
    pages: list[Page],
    stages: Stages,
    reader: FormReader,
    wanted: ReadOptions,
    extraction: Extraction,
    layout: ZonalLayout | None = None,
) -> tuple[list[CorrectedPage], OcrResult, FormData, Extraction]:
    """The forms step: a form is read again as forms want (sparse text, rules removed, small print
    enlarged), its pairs are read off that reading, and it keeps only the fields its template asks for
    (a template's patterns and static values): never a receipt's total or date."""
    recognizer = stages.form_recognizer or stages.recognizer
    corrected, ocr = read_as_form(pages, stages, reader, wanted, handwritten_lines=layout is None)

    def read_line(crop: Image) -> str:
        """One zone's crop read alone, as a single line."""
        return recognizer.recognize([CorrectedPage(crop)], language=wanted.language or stages.language, psm=7).text

    form = reader.read(ocr, corrected, layout, read_line, handwriting_reader())
    if layout is not None:
        form.template = extraction.template
    kept = {name: fv for name, fv in extraction.fields.items() if fv.source in TEMPLATE_SOURCES}
    reasons = [] if form.pairs or form.checkboxes else ["form: no pairs found"]
    extraction = replace(
        extraction,
        fields=kept,
        doc_type=FORM,
        line_items=[],
        missing=[],
        needs_review=bool(reasons),
        review_reasons=reasons,
    )
    return corrected, ocr, form, extraction


# -- the parent side -------------------------------------------------------------------------


FolderError = Callable[[Path, OSError], None]
"""Called with a folder that cannot be listed, and why."""


def discover(paths: Iterable[str | Path], on_error: FolderError | None = None) -> Iterator[Path]:
    """Files to ingest: files as given, folders searched recursively (symlinks followed) for
    supported extensions, in sorted order. A path that does not exist is yielded as is, so
    that it is recorded as a failed document; a folder that cannot be listed goes to ``on_error``."""
    exts = supported_extensions()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(_walk(path, exts, on_error))
        else:
            yield path


def _walk(top: Path, exts: Collection[str], on_error: FolderError | None) -> list[Path]:
    """The supported files under ``top``, visiting each real folder once: a symlink back to a
    folder already seen (``a -> .``) is not followed again, so loops end and nothing is found twice."""
    seen: set[tuple[int, int]] = set()
    found: list[Path] = []

    def unlistable(exc: OSError) -> None:
        if on_error is not None:
            on_error(Path(exc.filename) if exc.filename else top, exc)

    for root, dirs, files in os.walk(top, followlinks=True, onerror=unlistable):
        try:
            st = os.stat(root)
        except OSError as exc:
            unlistable(exc)
            dirs.clear()
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirs.clear()
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs.sort()  # which of two names of one folder is kept must not depend on listing order
        found.extend(Path(root) / f for f in files if Path(f).suffix.lower() in exts)
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def unreadable_id(path: Path) -> str:
    """A stable id for a path whose bytes cannot be read (so a retry replaces its row)."""
    # realpath, not Path.resolve: it raises on a symlink loop, which is one of the unreadable paths.
    return hashlib.sha256(b"unreadable:" + os.fsencode(os.path.realpath(path))).hexdigest()


@dataclass
class IngestSummary:
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)
    consolidated: int = 0
    """Fields respelled after the vendor's other receipts (:mod:`icr.consolidate`)."""
    duplicates: int = 0
    """Documents flagged as repeating a purchase stored before (:mod:`icr.duplicates`)."""

    @property
    def processed(self) -> int:
        return self.ok + self.failed

    @property
    def docs_per_second(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0


class Executor:
    """Runs :func:`process_document` over tasks; yields results in any order."""

    def run(self, tasks: Sequence[Task]) -> Iterator[DocumentResult]:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        return None


def plan(
    paths: Iterable[str | Path],
    populator: Populator,
    *,
    reprocess: bool = False,
    on_skipped: Callable[[str], None] | None = None,
) -> tuple[list[Task], list[DocumentResult], int]:
    """Hash every file and decide: tasks to run, results already known to have failed
    (unreadable paths), and how many are skipped (already stored, or a duplicate in this batch);
    ``on_skipped(source)`` for each file skipped although it was read."""
    tasks: list[Task] = []
    failed: list[DocumentResult] = []
    seen: set[str] = set()
    duplicates = 0

    def unlistable(folder: Path, exc: OSError) -> None:
        problem = f"{folder}: cannot list folder: {exc.strerror or exc}"
        failed.append(DocumentResult(str(folder), unreadable_id(folder), "failed", error=problem))

    for path in discover(paths, on_error=unlistable):
        try:
            sha = file_sha256(path)
        except FileNotFoundError:
            problem = f"{path}: no such file"
        except IsADirectoryError:
            problem = f"{path}: is a folder"
        except OSError as exc:
            problem = f"{path}: cannot read file: {exc.strerror or exc}"
        else:
            problem = ""
        if problem:
            uid = unreadable_id(path)
            if uid in seen:
                duplicates += 1
            else:
                seen.add(uid)
                failed.append(DocumentResult(str(path), uid, "failed", error=problem))
            continue
        if sha in seen:
            duplicates += 1
            if on_skipped:
                on_skipped(str(path))
            continue
        seen.add(sha)
        tasks.append(Task(str(path), sha))
    skipped = 0
    if not reprocess:
        known = populator.known([t.sha256 for t in tasks])
        skipped = sum(1 for t in tasks if t.sha256 in known)
        for t in tasks:
            if t.sha256 in known and on_skipped:
                on_skipped(t.path)
        tasks = [t for t in tasks if t.sha256 not in known]
    return tasks, failed, skipped + duplicates


def ingest(
    paths: Iterable[str | Path],
    populator: Populator,
    executor: Executor,
    *,
    reprocess: bool = False,
    batch_size: int = 8,
    on_planned: Callable[[int, int], None] | None = None,
    on_result: Callable[[DocumentResult], None] | None = None,
    consolidate: ConsolidateOptions | None = None,
    duplicates: DuplicateOptions | None = None,
    store: FileStore | None = None,
) -> IngestSummary:
    """Ingest files and folders into the populator's database.

    ``on_planned(to_process, skipped)`` is called once the files are hashed;
    ``on_result(result)`` once per document as it is stored. With ``consolidate``, once all
    are in, the names and addresses of every document not consolidated yet (these, and any a
    killed run left) are consolidated (:mod:`icr.consolidate`); with ``duplicates``, then each
    document stored that repeats a purchase stored before it is flagged (:mod:`icr.duplicates`).
    With ``store``, each file read is kept there once, with the pages as read (:mod:`icr.store`).
    """
    start = time.perf_counter()
    summary = IngestSummary()
    paths = list(paths)
    read: list[str] = []
    tasks, failed_early, summary.skipped = plan(paths, populator, reprocess=reprocess, on_skipped=read.append)
    if read:  # read fine now and stored already: a failure recorded for one of them is over
        populator.forget_failures(read)
    if on_planned:
        on_planned(len(tasks) + len(failed_early), summary.skipped)

    pending: list[DocumentResult] = []
    stored: list[str] = []

    def flush() -> None:
        if pending:
            if store is not None:
                _keep_originals(store, pending)
            populator.store(pending, reprocess=reprocess)
            stored.extend(r.sha256 for r in pending if r.ok)
            for r in pending:
                _count(summary, r)
                if on_result:
                    on_result(r)
            pending.clear()

    for result in failed_early:
        pending.append(result)
    flush()
    for result in executor.run(tasks):
        pending.extend(result.parts or [result])  # a file split into documents stores those
        if len(pending) >= batch_size:
            flush()
    flush()
    if consolidate is not None:
        summary.consolidated = populator.consolidate(consolidate)
    if duplicates is not None and stored:  # after consolidation: the vendors' names agree
        summary.duplicates = populator.flag_duplicates(stored, duplicates)
    summary.seconds = time.perf_counter() - start
    return summary


def _keep_originals(store: FileStore, results: Sequence[DocumentResult]) -> None:
    """Copy each file read into the store, with its pages as read; a file gone since it was
    hashed is simply not kept (its document is stored all the same). Failed files are not kept."""
    for result in results:
        if not result.ok:
            continue
        source = Path(result.source)
        try:
            if source.is_file():
                store.put_original(source, result.sha256)
            if result.page_images:
                store.put_pages(result.sha256, result.page_images)
        except OSError:
            continue
        result.page_images = []  # written: no need to hold them any longer


def _count(summary: IngestSummary, result: DocumentResult) -> None:
    if result.ok:
        summary.ok += 1
    else:
        summary.failed += 1
        summary.failures.append((result.source, result.error or "unknown error"))
