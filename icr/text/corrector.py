"""Stage 3: the text corrector — spelling, template choice and field extraction.

:class:`DefaultTextCorrector` is built once per worker (it loads the symspell
dictionaries and the templates) and then turns many :class:`OcrResult` objects
into :class:`Extraction` objects. :class:`FakeTextCorrector` is a deliberately
naive stand-in for fast tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import regex

from icr.config import Settings, config_dir
from icr.text.amounts import choose_amounts, included_tax
from icr.text.fields import EXTRACTORS, Found, extract_payment_method
from icr.text.header import guess_header
from icr.text.items import extract_line_items
from icr.text.ledger import check_by_items, settle, supported
from icr.text.lines import TYPED_CONFIDENCE, Line, document_lines
from icr.text.locales import detect_locales, lexicon_for, load_packs, unmark
from icr.text.parsers import PARSERS, ParseOptions, find_amounts, mask_card_numbers, normalize
from icr.text.realign import realign
from icr.text.scoring import default_scoring, load_scoring
from icr.text.spelling import SpellingCorrector, letters_for_digits, read_vocabulary, shared_corrector
from icr.text.taxtable import table_tax
from icr.text.templates import (
    Template,
    another_place,
    choose_template,
    complete_head,
    load_templates,
    nearest_variant,
    repair_head,
)
from icr.types import Extraction, FieldValue, OcrResult, TypedValue

DEFAULT_REQUIRED = ("company", "date", "total")


_COMMA_CENTS = regex.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})*,\d{2}(?![\d,.])")
_POINT_CENTS = regex.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})*\.\d{2}(?![\d,.])")


def infer_decimal(lines: Sequence[Line], default: str = ".") -> str:
    """``","`` when the document's amounts are written ``12,50``, ``"."`` for ``12.50``; ``default``
    when it prints no cents (the locale's convention)."""
    comma = dot = 0
    for ln in lines:
        comma += len(_COMMA_CENTS.findall(ln.text))
        dot += len(_POINT_CENTS.findall(ln.text))
    if comma == dot == 0:
        return default
    return "," if comma > dot else "."


class DefaultTextCorrector:
    """Spelling correction, template choice and field extraction."""

    name = "default"

    def __init__(self, settings: Settings) -> None:
        options = settings.section("text_corrector")
        self.review_threshold = float(options.get("review_threshold", 0.5))
        self.variant_similarity = float(options.get("variant_similarity", 90.0))
        """How near (rapidfuzz ratio of letters and digits) a field's reading must be to one of the
        template's ways of writing it for that one to be taken instead of the static value ..."""
        self.branch_similarity = float(options.get("branch_similarity", 97.0))
        """... and, where the template has no static value (its variants are a chain's branches, which
        differ in a few letters of a long address), to one branch's."""
        self.name_spelling = bool(options.get("name_spelling", True))
        """Correct long unknown words in company names one edit away, and misread place words in
        addresses (config/dictionaries/places*.txt); helps OCR, may alter rare names."""
        load_packs()  # a locale pack that fails validation stops here, naming its file and key
        scoring = options.get("scoring")
        self.scoring = load_scoring(Path(scoring)) if scoring else default_scoring()
        """The points of the evidence for the total, date, company and address (validated here)."""
        self.home_locale: str | None = options.get("home_locale")  # a country's pack (validated settings)
        """A document whose cues name no country surely takes this pack's date order and currency."""
        folders = [*settings.template_dirs, config_dir() / "templates"]
        self.templates: list[Template] = load_templates(folders)
        self.speller: SpellingCorrector | None = None
        self.lookalikes: dict[str, str] = {}
        if options.get("spelling", True):
            vocab: list[str] = []
            places: list[str] = []
            dict_dir = config_dir() / "dictionaries"
            for path in sorted(dict_dir.glob("*.txt")) if dict_dir.is_dir() else []:
                (places if path.name.startswith("places") else vocab).extend(read_vocabulary(path))
            lookalikes = options.get("lookalike_digits") or {}
            self.lookalikes = {str(d): str(letters).lower() for d, letters in lookalikes.items()}
            self.speller = shared_corrector(
                tuple(vocab),
                int(options.get("english_words", 0) or 0),
                tuple(sorted(set(places))),
                tuple(sorted((str(d), str(letters)) for d, letters in lookalikes.items())),
            )

    @classmethod
    def from_templates(cls, settings: Settings, template_dirs: Sequence[Path]) -> DefaultTextCorrector:
        """A corrector using ``template_dirs`` before the shipped templates."""
        return cls(Settings(settings.raw, [*template_dirs, *settings.template_dirs]))

    def extract(self, ocr: OcrResult) -> Extraction:
        raw_lines = [Line(ln.index, mask_card_numbers(ln.text), ln.confidence) for ln in document_lines(ocr)]
        # The packs whose cues the document shows (a US receipt: 7/4/2013), unless a template names them.
        cues = detect_locales([ln.text for ln in raw_lines], home=self.home_locale)
        lex = lexicon_for(cues.tags)
        if lex.marked_letters is not None:
            # even a sure reading: PP-OCRv6 reads "Jaça" for JAYA at 0.99
            keep = lex.marked_letters
            raw_lines = [Line(ln.index, unmark(ln.text, keep), ln.confidence) for ln in raw_lines]
        # The speller knows English: a receipt in another language keeps its words as read.
        speller = self.speller if lex.english else None
        if speller is not None:
            # a word's letters read as digits ("Gr111") before any field is read from the line, on
            # every line a recognizer read: a neural engine reads "Gril1" as surely as the rest
            raw_lines = [
                Line(ln.index, speller.correct_lookalikes(ln.text), ln.confidence) if ln.confidence < 1.0 else ln
                for ln in raw_lines
            ]
            # Typed text (a PDF's text layer, a transcript) is as printed: only OCR'd lines are respelled.
            lines = [
                Line(
                    ln.index,
                    speller.correct_text(ln.text) if ln.confidence < TYPED_CONFIDENCE else ln.text,
                    ln.confidence,
                )
                for ln in raw_lines
            ]
        else:
            lines = raw_lines
        corrected_text = "\n".join(ln.text for ln in lines)
        raw_text = "\n".join(ln.text for ln in raw_lines)
        template, template_score = choose_template(self.templates, raw_text + "\n" + corrected_text)
        topts = template.options if template is not None else {}
        named = topts.get("locale")
        if named:
            lex = lexicon_for((named,) if isinstance(named, str) else tuple(named))
        decimal = topts.get("decimal") or infer_decimal(raw_lines, lex.decimal or ".")
        currency = topts.get("currency")
        explicit = topts.get("date_order") or (None if named else cues.date_order)
        day_first = explicit != "month_first" if explicit else lex.day_first
        hinted = lexicon_for((cues.hint,)).home_currencies if cues.hint and not named else frozenset()
        hint_currency = next(iter(hinted)) if len(hinted) == 1 else None
        opts = ParseOptions(
            day_first=day_first,
            decimal=decimal,
            currency=currency,
            hint_currency=hint_currency,
            lexicon=lex,
            scoring=self.scoring,
        )
        fields: dict[str, FieldValue] = {}

        def put(
            name: str, value: TypedValue, raw: str, confidence: float, source: str, margin: float | None = None
        ) -> None:
            if value is None or value == "":
                return
            fields[name] = FieldValue(name, normalize(value), value, raw, round(confidence, 3), source, margin=margin)

        header = guess_header(raw_lines, lex, self.scoring)

        def read_by_ocr(indexes: Sequence[int]) -> bool:
            # typed text (a transcript, a PDF's text layer) is as printed: only OCR misreads names
            return read_below(indexes, TYPED_CONFIDENCE)

        def read_below(indexes: Sequence[int], limit: float) -> bool:
            return any(raw_lines[i].confidence < limit for i in indexes if i < len(raw_lines))

        if header.company:
            company = header.company
            if speller is not None and self.name_spelling and read_by_ocr(header.company_lines):
                company = speller.correct_name(company)
                company = speller.respell_from_document(company, ((w.text, w.confidence) for w in ocr.words))
            elif speller is not None and self.name_spelling and read_below(header.company_lines, 1.0):
                company = speller.mend_sure_name(company)  # read surely, but its spaces left out
            if self.name_spelling and read_by_ocr(header.company_lines):
                company = letters_for_digits(company, self.lookalikes)  # in any language: "MON0PRIX"
            put("company", company, header.company, header.confidence_company, "header")
        if header.address:
            address = header.address
            if speller is not None and self.name_spelling and read_by_ocr(header.address_lines):
                address = speller.correct_address(address)
            put("address", address, header.address, header.confidence_address, "header")

        money_lines, hits = realign(lines, opts)  # amounts a curled photo read a line off their labels
        if money_lines != lines:
            corrected_text = "\n".join(ln.text for ln in money_lines)  # templates read them beside their labels
        for name, chosen in choose_amounts(hits, len(lines), lex, self.scoring.total).items():
            put(name, chosen.value, chosen.raw, chosen.confidence, chosen.source.value, chosen.margin)
        rate = EXTRACTORS["tax_rate"](lines, opts)
        settle(fields, hits, money_lines, rate.value if rate and isinstance(rate.value, Decimal) else None, lex)
        total, tax = fields.get("total"), fields.get("tax")
        if total is not None and isinstance(total.typed, Decimal):
            # after the ledger: an inclusive subtotal already holds the tax, so it fills and checks nothing
            labelled = tax.typed if tax is not None and isinstance(tax.typed, Decimal) else None
            included = included_tax(hits, total.typed, lex, self.scoring.total) if tax is None else None
            if included is None:
                share = self.scoring.total.parts_share
                included = table_tax(money_lines, total.typed, opts, share, labelled)
            if included is not None:
                put("tax", included.value, included.raw, included.confidence, included.source.value)

        for name, extractor in EXTRACTORS.items():
            found: Found | None = extractor(lines, opts)
            if found is not None:
                put(name, found.value, found.raw, found.confidence, found.source, found.margin)
        paid_by = extract_payment_method(lines, opts, hits)
        if paid_by is not None:
            put("payment_method", paid_by.value, paid_by.raw, paid_by.confidence, paid_by.source)

        if template is not None:
            readings = dict(fields)
            self._apply_template(template, corrected_text, raw_text, opts, put)
            self._apply_variants(template, readings, lex.postcode, put)

        items = extract_line_items(lines, hits, header.company_lines + header.address_lines, lex)
        check_by_items(fields, [i.amount for i in items if i.amount is not None], hits)
        missing, reasons = self._review(fields, template)
        return Extraction(
            fields=fields,
            corrected_text=corrected_text,
            doc_type=template.doc_type if template is not None else "receipt",
            template=template.name if template is not None else None,
            template_score=round(template_score, 3),
            line_items=items,
            needs_review=bool(reasons),
            review_reasons=reasons,
            missing=missing,
        )

    def _review(self, fields: Mapping[str, FieldValue], template: Template | None) -> tuple[list[str], list[str]]:
        """The required fields missing, and every reason to review the document."""
        required = template.required if template is not None and template.required else DEFAULT_REQUIRED
        missing: list[str] = []
        reasons: list[str] = []
        for name in required:
            fv = fields.get(name)
            if fv is None:
                missing.append(name)
                reasons.append(f"{name}: missing")
            elif fv.confidence < self.review_threshold:
                reasons.append(f"{name}: low confidence {fv.confidence:.2f}")
        return missing, reasons

    def combine(self, first: Extraction, second: Extraction) -> Extraction:
        """Two readings of one document as one: for each field, the reading whose value the
        arithmetic supports, else the more confident one (``first`` on a tie); a field only one
        reading found comes from it. The text, template and line items stay ``first``'s."""
        fields = dict(first.fields)
        for name, other in second.fields.items():
            mine = fields.get(name)
            if mine is None or (_support(other), other.confidence) > (_support(mine), mine.confidence):
                fields[name] = other
        template = next((t for t in self.templates if t.name == first.template), None)
        missing, reasons = self._review(fields, template)
        return replace(first, fields=fields, needs_review=bool(reasons), review_reasons=reasons, missing=missing)

    @staticmethod
    def _apply_template(
        template: Template, corrected_text: str, raw_text: str, opts: ParseOptions, put: object
    ) -> None:
        assert callable(put)
        for name, spec in template.fields.items():
            if spec.pattern is None:
                continue
            for text in (corrected_text, raw_text):
                m = spec.search(text)
                if not m:
                    continue
                raw = m.group("value")
                value = PARSERS[spec.type](raw, opts)
                if value is not None:
                    put(name, value, raw, 0.9, "template")
                    break
        for name, value in template.static.items():
            put(name, value, value, 1.0, "static")

    def _apply_variants(
        self, template: Template, read: Mapping[str, FieldValue], postcode: regex.Pattern[str], put: object
    ) -> None:
        """A learned value against the reading (``read``: the fields as found before the template
        applied): of the ways the template knows a field is written (branches, reprints) the one
        nearest the reading; a chain's address completed from the head its branches share; and an
        address whose postcode none of the known ones has kept as read (another outlet)."""
        assert callable(put)
        for name in dict.fromkeys([*template.variants, *template.static]):
            values = template.variants.get(name) or ((template.static[name],) if name in template.static else ())
            current = read.get(name)
            reading = current.value if current is not None else None
            places = name not in template.static
            floor = self.branch_similarity if places else self.variant_similarity
            chosen = nearest_variant(reading, values, floor)
            if chosen is not None:
                put(name, chosen, chosen, 1.0, "static")
                continue
            if current is None:
                continue
            whole = (
                (repair_head(reading, values, self.variant_similarity) or complete_head(reading, values))
                if places
                else None
            )
            if whole is not None:
                chosen = nearest_variant(whole, values, floor)
                put(name, chosen or whole, current.raw, current.confidence, "static" if chosen else "template")
            elif not places and name == "address" and another_place(reading, values, postcode):
                put(name, current.value, current.raw, current.confidence, current.source)


def _support(value: FieldValue) -> int:
    """1 when the arithmetic of the receipt agrees with the value."""
    return int(supported(value.source))


class FakeTextCorrector:
    """A fake for fast tests: first line as company, the last amount after "total" as total. Not for real use."""

    name = "fake"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings

    def extract(self, ocr: OcrResult) -> Extraction:
        lines = [ln.text for ln in document_lines(ocr)]
        fields: dict[str, FieldValue] = {}
        if lines:
            fields["company"] = FieldValue("company", lines[0], lines[0], lines[0], 0.5, "fake")
        for text in lines:
            if "TOTAL" in text.upper():
                amounts = find_amounts(text)
                if amounts:
                    value, raw, _ = amounts[-1]
                    fields["total"] = FieldValue("total", normalize(value), value, raw, 0.5, "fake")
        return Extraction(
            fields=fields,
            corrected_text="\n".join(mask_card_numbers(t) for t in lines),
            template=None,
            needs_review="total" not in fields,
            review_reasons=[] if "total" in fields else ["total: missing"],
            missing=[] if "total" in fields else ["total"],
        )

    def combine(self, first: Extraction, second: Extraction) -> Extraction:
        """``first`` with the fields only ``second`` found."""
        fields = {**second.fields, **first.fields}
        return replace(
            first,
            fields=fields,
            needs_review="total" not in fields,
            review_reasons=[] if "total" in fields else ["total: missing"],
            missing=[] if "total" in fields else ["total"],
        )
