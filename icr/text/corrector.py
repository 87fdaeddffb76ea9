"""Stage 3: the text corrector — spelling, template choice and field extraction.

:class:`DefaultTextCorrector` is built once per worker (it loads the symspell
dictionaries and the templates) and then turns many :class:`OcrResult` objects
into :class:`Extraction` objects. :class:`FakeTextCorrector` is a deliberately
naive stand-in for fast tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import regex

from icr.config import Settings, config_dir
from icr.text.amounts import AmountHit, choose_amounts, classify_label, labelled_amounts, one_digit_apart
from icr.text.fields import EXTRACTORS, Found
from icr.text.header import guess_header
from icr.text.items import extract_line_items
from icr.text.lines import TYPED_CONFIDENCE, Line, document_lines
from icr.text.parsers import PARSERS, ParseOptions, find_amounts, mask_card_numbers, normalize
from icr.text.spelling import SpellingCorrector, read_vocabulary, shared_corrector
from icr.text.templates import Template, choose_template, load_templates
from icr.types import Extraction, FieldValue, OcrResult, TypedValue

DEFAULT_REQUIRED = ("company", "date", "total")


def infer_decimal(lines: Sequence[Line]) -> str:
    """``","`` when the document's amounts are written ``12,50``, else ``"."``."""
    comma = dot = 0
    for ln in lines:
        comma += len(regex.findall(r"(?<![\d.,])\d{1,3}(?:\.\d{3})*,\d{2}(?![\d,.])", ln.text))
        dot += len(regex.findall(r"(?<![\d.,])\d{1,3}(?:,\d{3})*\.\d{2}(?![\d,.])", ln.text))
    return "," if comma > dot else "."


_US_STATE_ZIP = regex.compile(
    r"\b(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|"
    r"V[AT]|W[AIVY])\s+\d{5}(?:-\d{4})?\b"
)


_US_DOLLARS = regex.compile(r"\bUSD\b|\bUS\s?\$")


def month_first_locale(lines: Sequence[Line]) -> bool:
    """True for a document from a month-first locale: a US state and ZIP code in its header, or
    amounts in US dollars spelled out ("USD", "US$"). A bare "$" says nothing (Singapore, Australia
    and Canada print it too, day first)."""
    return any(_US_STATE_ZIP.search(ln.text) for ln in lines[:12]) or any(_US_DOLLARS.search(ln.text) for ln in lines)


class DefaultTextCorrector:
    """Spelling correction, template choice and field extraction."""

    name = "default"

    def __init__(self, settings: Settings) -> None:
        options = settings.section("text_corrector")
        self.review_threshold = float(options.get("review_threshold", 0.5))
        self.name_spelling = bool(options.get("name_spelling", True))
        """Correct long unknown words in company names one edit away, and misread place words in
        addresses (config/dictionaries/places*.txt); helps OCR, may alter rare names."""
        folders = [*settings.template_dirs, config_dir() / "templates"]
        self.templates: list[Template] = load_templates(folders)
        self.speller: SpellingCorrector | None = None
        if options.get("spelling", True):
            vocab: list[str] = []
            places: list[str] = []
            dict_dir = config_dir() / "dictionaries"
            for path in sorted(dict_dir.glob("*.txt")) if dict_dir.is_dir() else []:
                (places if path.name.startswith("places") else vocab).extend(read_vocabulary(path))
            self.speller = shared_corrector(
                tuple(vocab), int(options.get("english_words", 0) or 0), tuple(sorted(set(places)))
            )

    @classmethod
    def from_templates(cls, settings: Settings, template_dirs: Sequence[Path]) -> DefaultTextCorrector:
        """A corrector using ``template_dirs`` before the shipped templates."""
        return cls(Settings(settings.raw, [*template_dirs, *settings.template_dirs]))

    def extract(self, ocr: OcrResult) -> Extraction:
        raw_lines = [Line(ln.index, mask_card_numbers(ln.text), ln.confidence) for ln in document_lines(ocr)]
        if self.speller is not None:
            # Typed text (a PDF's text layer, a transcript) is as printed: only OCR'd lines are respelled.
            lines = [
                Line(
                    ln.index,
                    self.speller.correct_text(ln.text) if ln.confidence < TYPED_CONFIDENCE else ln.text,
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
        decimal = topts.get("decimal") or infer_decimal(raw_lines)
        currency = topts.get("currency")
        # Without a locale in the template, read it off the document (a US receipt prints 7/4/2013).
        explicit = topts.get("date_order")
        day_first = explicit != "month_first" if explicit else not month_first_locale(raw_lines)
        opts = ParseOptions(day_first=day_first, decimal=decimal, currency=currency)
        fields: dict[str, FieldValue] = {}

        def put(name: str, value: TypedValue, raw: str, confidence: float, source: str) -> None:
            if value is None or value == "":
                return
            fields[name] = FieldValue(name, normalize(value), value, raw, round(confidence, 3), source)

        header = guess_header(raw_lines)

        def read_by_ocr(indexes: Sequence[int]) -> bool:
            # typed text (a transcript, a PDF's text layer) is as printed: only OCR misreads names
            return any(raw_lines[i].confidence < TYPED_CONFIDENCE for i in indexes if i < len(raw_lines))

        if header.company:
            company = header.company
            if self.speller is not None and self.name_spelling and read_by_ocr(header.company_lines):
                company = self.speller.correct_name(company)
                company = self.speller.respell_from_document(company, ((w.text, w.confidence) for w in ocr.words))
            put("company", company, header.company, header.confidence_company, "header")
        if header.address:
            address = header.address
            if self.speller is not None and self.name_spelling and read_by_ocr(header.address_lines):
                address = self.speller.correct_address(address)
            put("address", address, header.address, header.confidence_address, "header")

        hits = labelled_amounts(lines, opts)
        for name, chosen in choose_amounts(hits, len(lines)).items():
            put(name, chosen.value, chosen.raw, chosen.confidence, chosen.source)
        self._reconcile_total(fields, hits)
        self._garbled_final_total(fields, hits, lines)
        self._infer_subtotal(fields, hits)
        rate = EXTRACTORS["tax_rate"](lines, opts)
        self._derive_unreadable(fields, hits, lines, rate.value if rate and isinstance(rate.value, Decimal) else None)
        self._check_total(fields)

        for name, extractor in EXTRACTORS.items():
            found: Found | None = extractor(lines, opts)
            if found is not None:
                put(name, found.value, found.raw, found.confidence, found.source)

        if template is not None:
            self._apply_template(template, corrected_text, raw_text, opts, put)

        items = extract_line_items(lines, hits, header.company_lines + header.address_lines)
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
    def _reconcile_total(fields: dict[str, FieldValue], hits: Sequence[AmountHit]) -> None:
        """A total with one digit misread ("48.16" for 48.15, "110.60" for 110.00) is put right when
        the other amounts agree on a value one digit away from it: cash less change, the total plus
        its rounding adjustment, subtotal plus tax, the cash alone when it is less than the total
        read (impossible) and no change is printed, and how often each value is printed. The new
        value needs two of these and more than the value read has.

        This runs on the chosen fields, after :func:`icr.text.amounts.choose_amounts` (whose
        ``_derived_total`` settles the clear cash-less-change cases among the printed candidates):
        here the subtotal and tax the chooser picked can vote too."""
        total = fields.get("total")
        if total is None or not isinstance(total.typed, Decimal) or total.typed <= 0:
            return
        t = total.typed

        def amount(name: str) -> Decimal | None:
            fv = fields.get(name)
            return fv.typed if fv is not None and isinstance(fv.typed, Decimal) else None

        paid, change, rounding = amount("paid"), amount("change"), amount("rounding")
        subtotal, tax = amount("subtotal"), amount("tax")
        said: Counter[Decimal] = Counter()
        if paid is not None and change is not None and paid > change:
            said[paid - change] += 1
        elif paid is not None and change is None and paid < t:
            said[paid] += 1
        if rounding:
            said[t + rounding] += 1
        if subtotal is not None and tax:
            extra = sum((amount(n) or Decimal(0) for n in ("service_charge", "tip", "rounding")), Decimal(0))
            said[subtotal + tax + extra - abs(amount("discount") or Decimal(0))] += 1
        printed = Counter(h.value for h in hits)
        support = {v: n + printed[v] for v, n in said.items() if v > 0 and v != t and one_digit_apart(v, t)}
        if not support:
            return
        value, best = max(support.items(), key=lambda kv: kv[1])
        if best >= 2 and best > said[t] + printed[t]:
            fields["total"] = FieldValue(
                "total", normalize(value), value, total.raw, round(min(total.confidence, 0.8), 3), "arithmetic"
            )

    @staticmethod
    def _garbled_final_total(fields: dict[str, FieldValue], hits: Sequence[AmountHit], lines: Sequence[Line]) -> None:
        """The last total line above the payment ("GRAND TOTAL", "Total Payable") has its amount
        garbled ("Grand Total M2 | .85", "Grand Tota] an ® 35"), so the total chosen is another
        one (before rounding, or the fragment): cash less change is the final total when the
        digits the garbled line does show end in its cents and are no more than it has. The
        chosen total stands when that line reads an amount, or when its digits disagree."""
        total, paid, change = fields.get("total"), fields.get("paid"), fields.get("change")
        if total is None or paid is None or change is None:
            return
        t, p, c = total.typed, paid.typed, change.typed
        if not (isinstance(t, Decimal) and isinstance(p, Decimal) and isinstance(c, Decimal)) or c <= 0 or p <= c:
            return
        value = p - c
        pay_line = min((h.line for h in hits if h.kind in ("paid", "change")), default=None)
        if value == t or pay_line is None:
            return
        final = [ln for ln in lines if ln.index < pay_line and classify_label(ln.text) in ("total", "total_rounded")]
        if not final or any(h.line == final[-1].index and h.value >= 1 for h in hits):
            return
        digits = "".join(ch for ch in final[-1].text if ch.isdigit())
        if len(digits) < 2 or not digits.endswith(f"{value:.2f}"[-2:]) or len(digits) >= len(f"{value:.2f}"):
            return
        fields["total"] = FieldValue(
            "total", normalize(value), value, final[-1].text, round(min(paid.confidence, 0.7), 3), "arithmetic"
        )

    @staticmethod
    def _infer_subtotal(fields: dict[str, FieldValue], hits: Sequence[AmountHit]) -> None:
        """No subtotal label, but an earlier "total" plus the tax (and service charge) makes the
        final total: that earlier amount is the subtotal ("Total 2 item(s) 11.50 / Tax 1.09 /
        Grand Total 12.59")."""
        total, tax = fields.get("total"), fields.get("tax")
        if "subtotal" in fields or total is None or tax is None:
            return
        if not isinstance(total.typed, Decimal) or not isinstance(tax.typed, Decimal) or tax.typed <= 0:
            return
        service = fields.get("service_charge")
        extra = service.typed if service is not None and isinstance(service.typed, Decimal) else Decimal(0)
        want = total.typed - tax.typed - extra
        for hit in hits:
            # ("Total 2 item(s) 11.50" is labelled as an item count, but its amount is money.)
            if hit.kind in ("total", "subtotal", "qty") and hit.value == want and hit.value != total.typed:
                conf = round(min(1.0, 0.8 * hit.confidence + 0.1), 3)
                fields["subtotal"] = FieldValue(
                    "subtotal", normalize(hit.value), hit.value, hit.raw, conf, "arithmetic"
                )
                return

    @staticmethod
    def _derive_unreadable(
        fields: dict[str, FieldValue], hits: Sequence[AmountHit], lines: Sequence[Line], rate: Decimal | None
    ) -> None:
        """A subtotal or tax line whose amount OCR garbled ("SUBTOTAL 12221)", "GST 6%: 1219."):
        its value follows from the others (subtotal + tax + service - discount + rounding = total).
        Only when the label is on the page with no readable amount, the result is positive, and,
        for tax with a rate, it agrees with the rate to the cent."""
        total = fields.get("total")
        if total is None or not isinstance(total.typed, Decimal):
            return

        def amount(name: str) -> Decimal:
            fv = fields.get(name)
            return fv.typed if fv is not None and isinstance(fv.typed, Decimal) else Decimal(0)

        def unreadable(kind: str) -> bool:
            labelled = any(classify_label(ln.text) == kind for ln in lines)
            return labelled and not any(h.kind == kind for h in hits)

        others = amount("service_charge") + amount("tip") + amount("rounding") - abs(amount("discount"))
        if "subtotal" not in fields and "tax" in fields and unreadable("subtotal"):
            value = total.typed - amount("tax") - others
            if value > 0:
                fields["subtotal"] = FieldValue("subtotal", normalize(value), value, "", 0.5, "arithmetic")
        elif "tax" not in fields and "subtotal" in fields and unreadable("tax"):
            value = total.typed - amount("subtotal") - others
            fits_rate = rate is None or abs(amount("subtotal") * rate / 100 - value) <= Decimal("0.01")
            if value >= 0 and fits_rate:
                fields["tax"] = FieldValue("tax", normalize(value), value, "", 0.5, "arithmetic")

    @staticmethod
    def _check_total(fields: dict[str, FieldValue]) -> None:
        """Raise the total's confidence when the other amounts add up to it."""
        total = fields.get("total")
        if total is None or not isinstance(total.typed, Decimal):
            return
        t = total.typed

        def amount(name: str) -> Decimal:
            fv = fields.get(name)
            return fv.typed if fv is not None and isinstance(fv.typed, Decimal) else Decimal(0)

        checks = 0
        if "paid" in fields and "change" in fields and amount("paid") - amount("change") == t:
            checks += 1
        if "subtotal" in fields and (
            amount("subtotal")
            + amount("tax")
            + amount("service_charge")
            + amount("tip")
            + amount("rounding")
            - abs(amount("discount"))
            == t
        ):
            checks += 1
        if checks:
            conf = min(1.0, total.confidence + 0.15 * checks)
            fields["total"] = FieldValue(
                total.name, total.value, total.typed, total.raw, round(conf, 3), total.source + "+arithmetic"
            )

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


def _support(value: FieldValue) -> int:
    """1 when the arithmetic of the receipt agrees with the value."""
    return int("arithmetic" in value.source)


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
