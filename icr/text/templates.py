"""YAML templates: which document this is, how to read it, what to extract.

A template is data (see ``config/templates/*.yaml``)::

    name: fuel_receipt            # unique; defaults to the file name
    doc_type: fuel_receipt
    priority: 5                   # breaks ties between matching templates
    keywords: [pump, litre]       # scored: the share found in the text
    exclude_keywords: [invoice]   # any one found -> the template does not match
    min_score: 0.5                # keyword share needed to be chosen (default 0.5)
    branch_of: acme_fuel          # considered only when the template of this name matches too
    options:                      # read by the text corrector and, later, by the pipeline
      date_order: day_first       # day_first | month_first
      decimal: "."                # "." | ","
      currency: MYR
      language: eng               # Tesseract language
      locale: en_GB               # config/locales pack(s) to apply (default: chosen by the document)
      psm: 6                      # Tesseract page segmentation mode
      steps: [grayscale, deskew]  # image-corrector steps
    fields:
      pump: {pattern: 'PUMP\\s*(?P<value>\\d+)', type: text}
      total: {required: true}     # no pattern: the built-in extractor, but required
    static:
      company: ACME FUEL LTD      # a fixed value for every document this template matches
    variants:                     # the ways a field is written on this vendor's receipts, most
      address: [...]              # frequent first: the one nearest the document's reading wins

Everything is checked when loaded; a problem raises :class:`icr.errors.TemplateError`
naming the file and the key.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex
import yaml
from rapidfuzz import fuzz

from icr.errors import TemplateError
from icr.text.parsers import PARSERS

TOP_KEYS = {
    "name",
    "doc_type",
    "priority",
    "keywords",
    "exclude_keywords",
    "min_score",
    "branch_of",
    "options",
    "fields",
    "static",
    "variants",
    "description",
    "sample",
    "layout",
}
OPTION_KEYS = {"date_order", "decimal", "currency", "language", "locale", "psm", "steps"}
FIELD_KEYS = {"pattern", "type", "required"}
CANONICAL_FIELDS = (
    "company",
    "address",
    "phone",
    "tax_id",
    "date",
    "time",
    "receipt_number",
    "subtotal",
    "tax",
    "tax_rate",
    "service_charge",
    "rounding",
    "discount",
    "tip",
    "total",
    "paid",
    "change",
    "currency",
    "payment_method",
    "card_last4",
)
DEFAULT_TYPES = {
    "date": "date",
    "time": "time",
    "phone": "phone",
    "tax_id": "tax_id",
    "card_last4": "card_last4",
    "currency": "currency",
    "tax_rate": "percent",
    "payment_method": "payment_method",
    "receipt_number": "receipt_number",
    "subtotal": "amount",
    "tax": "amount",
    "service_charge": "amount",
    "rounding": "amount",
    "discount": "amount",
    "tip": "amount",
    "total": "amount",
    "paid": "amount",
    "change": "amount",
}


PATTERN_TIMEOUT = 1.0
"""Seconds one template pattern may search one text: a pattern that backtracks without end
(``(a|a)+$``) is an error naming the template, not a hung worker."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str = "text"
    pattern: regex.Pattern[str] | None = None
    required: bool = False
    source: str = ""
    """The template file the pattern comes from (for errors)."""

    def search(self, text: str, timeout: float = PATTERN_TIMEOUT) -> regex.Match[str] | None:
        """The pattern's first match in ``text``, within ``timeout`` seconds."""
        if self.pattern is None:
            return None
        try:
            return self.pattern.search(text, timeout=timeout)
        except TimeoutError as exc:
            problem = f"the pattern ran longer than {timeout:g} s on a {len(text):,}-character text; simplify it"
            raise TemplateError(self.source, f"fields.{self.name}.pattern", problem) from exc


@dataclass(frozen=True)
class Template:
    """One validated template."""

    name: str
    path: Path | None
    doc_type: str = "receipt"
    priority: int = 0
    keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    min_score: float = 0.5
    options: Mapping[str, Any] = field(default_factory=dict)
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)
    static: Mapping[str, str] = field(default_factory=dict)
    variants: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Each field's known spellings (a vendor's branches, an address printed two ways), most frequent
    first: the text corrector takes the one nearest what it read, else the static value."""
    description: str = ""
    branch_of: str | None = None
    """The name of the template that must match before this one is considered (a vendor's branch)."""
    sample: str = ""
    """Example text this template must match (checked by ``icr templates check``)."""
    layout: Any = None
    """A fixed-layout form's anchors and zones (:class:`icr.forms.zonal.ZonalLayout`), or None."""

    @property
    def day_first(self) -> bool:
        return self.options.get("date_order", "day_first") != "month_first"

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(name for name, spec in self.fields.items() if spec.required)

    def score(self, text: str | Searchable) -> float:
        """The share of keywords found in ``text`` (0 when an excluded keyword is there)."""
        doc = text if isinstance(text, Searchable) else Searchable(text)
        if any(doc.contains(k) for k in self.exclude_keywords):
            return 0.0
        if not self.keywords:
            return 0.0
        found = sum(1 for k in self.keywords if doc.contains(k))
        return found / len(self.keywords)


def squash(text: str) -> str:
    """Upper-case letters and digits only: keyword matching ignores spacing and punctuation."""
    return regex.sub(r"[^\p{L}\p{N}]+", "", text).upper()


FUZZY_SHARE = 0.75
"""A long keyword also matches when this share of its letter trigrams occurs in the text (OCR errors)."""


FUZZY_RATIO = 80.0
"""... or when a stretch of the text is this similar to it (rapidfuzz ``partial_ratio``, 0-100)."""
FUZZY_PREFILTER = 0.3
"""(edits are only counted when this share of the trigrams occurs: most keywords are plainly absent)"""


def _trigrams(squashed: str) -> set[str]:
    return {squashed[i : i + 3] for i in range(len(squashed) - 2)}


@functools.lru_cache(maxsize=8192)
def _keyword(keyword: str) -> tuple[str, frozenset[str]]:
    """A keyword squashed, and its trigrams: the same for every document, so computed once."""
    key = squash(keyword)
    return key, frozenset(_trigrams(key))


class Searchable:
    """A document's text prepared once for matching many templates' keywords."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.squashed = squash(text)
        self.trigrams = _trigrams(self.squashed)

    def contains(self, keyword: str) -> bool:
        key, grams = _keyword(keyword)
        if len(key) >= 8:
            if key in self.squashed:
                return True
            if not grams:
                return False
            share = len(grams & self.trigrams) / len(grams)
            if share >= FUZZY_SHARE:
                return True
            if share < FUZZY_PREFILTER:
                return False
            # a misread letter breaks three trigrams: compare letters instead, against the best-aligned
            # stretch of the text
            return fuzz.partial_ratio(key, self.squashed, score_cutoff=FUZZY_RATIO) > 0
        return keyword_in(keyword, self.text, self.squashed)


def keyword_in(keyword: str, text: str, squashed: str | None = None) -> bool:
    """Whether ``keyword`` occurs exactly in ``text``.

    Long keywords (8+ letters and digits) match ignoring case, spacing and
    punctuation (OCR splits and glues words); short ones must match whole words.
    """
    key = squash(keyword)
    if len(key) >= 8:
        return key in (squashed if squashed is not None else squash(text))
    parts = regex.findall(r"[\p{L}\p{N}]+", keyword)
    pattern = r"(?<![\p{L}\p{N}])" + r"[^\p{L}\p{N}]*".join(regex.escape(p) for p in parts) + r"(?![\p{L}\p{N}])"
    return regex.search(pattern, text, regex.IGNORECASE) is not None


def _fail(path: Path | str, key: str, problem: str) -> TemplateError:
    return TemplateError(path, key, problem)


def _str_list(path: Path | str, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise _fail(path, key, "must be a list of strings")
    out = tuple(str(v) for v in value)
    if any(not squash(v) for v in out):
        raise _fail(path, key, "keywords must contain letters or digits")
    return out


def parse_template(data: Any, path: Path | str) -> Template:
    """Validate one template's YAML data; raise :class:`TemplateError` naming the bad key."""
    if not isinstance(data, dict):
        raise _fail(path, "<top>", "a template must be a mapping")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise _fail(path, sorted(unknown)[0], f"unknown key (allowed: {', '.join(sorted(TOP_KEYS))})")
    name = data.get("name", Path(str(path)).stem)
    if not isinstance(name, str) or not regex.fullmatch(r"[\w.-]+", name):
        raise _fail(path, "name", "must be a word (letters, digits, _ . -)")
    doc_type = data.get("doc_type", "receipt")
    if not isinstance(doc_type, str) or not doc_type:
        raise _fail(path, "doc_type", "must be a non-empty string")
    priority = data.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise _fail(path, "priority", "must be an integer")
    min_score = data.get("min_score", 0.5)
    if not isinstance(min_score, int | float) or isinstance(min_score, bool) or not 0 <= min_score <= 1:
        raise _fail(path, "min_score", "must be a number between 0 and 1")
    keywords = _str_list(path, "keywords", data.get("keywords"))
    exclude = _str_list(path, "exclude_keywords", data.get("exclude_keywords"))
    options = _options(path, data.get("options") or {})
    fields = _fields(path, data.get("fields") or {})
    static = _by_field(path, "static", data.get("static"), "value")
    for key, value in static.items():
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise _fail(path, f"static.{key}", "must be a string")
    variants = _by_field(path, "variants", data.get("variants"), "list of values")
    for key, values in variants.items():
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise _fail(path, f"variants.{key}", "must be a non-empty list of strings")
    branch_of = data.get("branch_of")
    if branch_of is not None and (not isinstance(branch_of, str) or not regex.fullmatch(r"[\w.-]+", branch_of)):
        raise _fail(path, "branch_of", "must be the name of another template")
    description = data.get("description", "")
    sample = data.get("sample", "")
    if not isinstance(description, str):
        raise _fail(path, "description", "must be a string")
    if not isinstance(sample, str):
        raise _fail(path, "sample", "must be a string")
    layout = None
    if data.get("layout") is not None:
        from icr.forms.zonal import parse_layout  # OpenCV: only for templates that have a layout

        layout = parse_layout(data["layout"], path)
    return Template(
        name=name,
        path=Path(path) if not isinstance(path, Path) else path,
        doc_type=doc_type,
        priority=priority,
        keywords=keywords,
        exclude_keywords=exclude,
        min_score=float(min_score),
        options=options,
        fields=fields,
        static={k: str(v) for k, v in static.items()},
        variants={k: tuple(v) for k, v in variants.items()},
        branch_of=branch_of,
        description=description,
        sample=sample,
        layout=layout,
    )


def _by_field(path: Path | str, key: str, value: Any, what: str) -> dict[str, Any]:
    """``value`` as a mapping of canonical field names (to a ``what`` each)."""
    value = value or {}
    if not isinstance(value, dict):
        raise _fail(path, key, f"must be a mapping of field name to {what}")
    for name in value:
        if name not in CANONICAL_FIELDS:
            raise _fail(path, f"{key}.{name}", f"not a canonical field ({', '.join(CANONICAL_FIELDS)})")
    return value


def _options(path: Path | str, options: Any) -> dict[str, Any]:
    if not isinstance(options, dict):
        raise _fail(path, "options", "must be a mapping")
    unknown = set(options) - OPTION_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise _fail(path, f"options.{key}", f"unknown option (allowed: {', '.join(sorted(OPTION_KEYS))})")
    if options.get("date_order", "day_first") not in ("day_first", "month_first"):
        raise _fail(path, "options.date_order", "must be day_first or month_first")
    if options.get("decimal", ".") not in (".", ","):
        raise _fail(path, "options.decimal", "must be '.' or ','")
    if "currency" in options and not (
        isinstance(options["currency"], str) and regex.fullmatch(r"[A-Z]{3}", options["currency"])
    ):
        raise _fail(path, "options.currency", "must be an ISO 4217 code such as MYR or EUR")
    if "language" in options and not (
        isinstance(options["language"], str) and regex.fullmatch(r"[a-z_]{3,}(\+[a-z_]{3,})*", options["language"])
    ):
        raise _fail(path, "options.language", "must be a Tesseract language such as eng or eng+deu")
    if "locale" in options:
        from icr.text.locales import load_packs

        named = options["locale"]
        tags = [named] if isinstance(named, str) else named
        packs = load_packs()
        if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t in packs for t in tags):
            raise _fail(path, "options.locale", f"must name locale packs ({', '.join(sorted(packs))})")
    psm = options.get("psm", 6)
    if not isinstance(psm, int) or isinstance(psm, bool) or not 0 <= psm <= 13:
        raise _fail(path, "options.psm", "must be a Tesseract page segmentation mode 0..13")
    steps = options.get("steps", [])
    if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
        raise _fail(path, "options.steps", "must be a list of image-corrector step names")
    return dict(options)


def _fields(path: Path | str, fields: Any) -> dict[str, FieldSpec]:
    if not isinstance(fields, dict):
        raise _fail(path, "fields", "must be a mapping of field name to its spec")
    out: dict[str, FieldSpec] = {}
    for name, spec in fields.items():
        key = f"fields.{name}"
        if not isinstance(name, str) or not regex.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise _fail(path, key, "field names are lower_case words")
        spec = spec or {}
        if not isinstance(spec, dict):
            raise _fail(path, key, "must be a mapping with pattern/type/required")
        unknown = set(spec) - FIELD_KEYS
        if unknown:
            raise _fail(path, f"{key}.{sorted(unknown)[0]}", "unknown key (allowed: pattern, type, required)")
        ftype = spec.get("type", DEFAULT_TYPES.get(name, "text"))
        if ftype not in PARSERS:
            raise _fail(path, f"{key}.type", f"unknown type '{ftype}' (known: {', '.join(sorted(PARSERS))})")
        required = spec.get("required", False)
        if not isinstance(required, bool):
            raise _fail(path, f"{key}.required", "must be true or false")
        pattern = None
        if "pattern" in spec:
            if not isinstance(spec["pattern"], str):
                raise _fail(path, f"{key}.pattern", "must be a string")
            try:
                pattern = regex.compile(spec["pattern"], regex.IGNORECASE | regex.MULTILINE)
            except regex.error as exc:
                raise _fail(path, f"{key}.pattern", f"not a valid regular expression: {exc}") from exc
            if "value" not in pattern.groupindex:
                raise _fail(path, f"{key}.pattern", "needs a named group (?P<value>...)")
        if pattern is None and name not in CANONICAL_FIELDS:
            raise _fail(path, f"{key}.pattern", "a field that is not canonical needs a pattern")
        out[name] = FieldSpec(name, ftype, pattern, required, str(path))
    return out


def load_template(path: Path) -> Template:
    """Read and validate one YAML template file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(path, "<file>", f"cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise _fail(path, "<file>", f"not valid YAML: {exc}") from exc
    return parse_template(data, path)


def template_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def load_templates(folders: Iterable[Path]) -> list[Template]:
    """All templates from ``folders``; a name in an earlier folder hides the same name in later ones."""
    seen: dict[str, Template] = {}
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        names_here: set[str] = set()
        for path in template_files(folder):
            tpl = load_template(path)
            if tpl.name in names_here:
                raise _fail(path, "name", f"duplicate template name '{tpl.name}' in {folder}")
            names_here.add(tpl.name)
            seen.setdefault(tpl.name, tpl)
    return list(seen.values())


DEFAULT_NAME = "generic_receipt"


def _spelling(text: str) -> str:
    """A value as the nearest-variant choice compares it: its letters and digits, upper case. Spaces
    and punctuation are left out: OCR adds and drops them, and annotators write one printed address
    with and without them, so only the most frequent way of writing them is worth choosing."""
    return squash(text)


def nearest_variant(reading: str | None, variants: Sequence[str], floor: float) -> str | None:
    """The variant ``reading`` is nearest (rapidfuzz ratio of their letters and digits, 0-100) when it
    reaches ``floor``; the more frequent (earlier) one on a tie. None without a reading or when no
    variant is that near."""
    if not reading or not variants:
        return None
    read = _spelling(reading)
    scores = [fuzz.ratio(read, _spelling(value)) for value in variants]
    best = max(range(len(variants)), key=lambda i: (scores[i], -i))
    return variants[best] if scores[best] >= floor else None


def another_place(reading: str | None, known: Sequence[str], postcode: regex.Pattern[str]) -> bool:
    """Whether ``reading`` names a postcode none of the ``known`` addresses has: the receipt was
    printed at an outlet the vendor's template was not learned from, and its own address stands."""
    if not reading:
        return False

    def codes(text: str) -> set[str]:
        return {regex.sub(r"\s+", "", m.group(0)) for m in postcode.finditer(text)}

    read = codes(reading)
    return bool(read) and not read & set().union(*(codes(k) for k in known))


HEAD_OVERLAP = 12
"""Letters, digits and marks a reading's start must share with a variant to be read as its tail."""


def complete_head(reading: str | None, variants: Sequence[str]) -> str | None:
    """``reading`` with the head of the first variant it is the tail of: a chain's receipt whose first
    address line OCR missed ("TAMAN X 41150 KLANG 1076-IJOK" after the head office's street, which
    every branch prints). None when the reading starts no variant's later part."""
    if not reading:
        return None
    start = regex.sub(r"\s+", "", reading).upper()[:HEAD_OVERLAP]
    if len(start) < HEAD_OVERLAP:
        return None
    for value in variants:
        at = regex.sub(r"\s+", "", value).upper().find(start)
        if at <= 0:
            continue
        seen = 0
        for i, ch in enumerate(value):  # the position in ``value`` of its ``at``-th non-space
            if not ch.isspace():
                if seen == at:
                    return f"{value[:i].rstrip()} {reading.strip()}"
                seen += 1
    return None


SHARED_HEAD = 20
"""Letters and digits of a chain's address its branches share (the head office's) before a reading's
start is spelled as the learned one."""


def _shared_head(value: str, variants: Sequence[str]) -> int:
    """How many letters and digits of ``value``'s first words another variant starts with too."""
    words = regex.findall(r"[\p{L}\p{N}]+", value.upper())
    best = 0
    for other in variants:
        if other is value:
            continue
        theirs = regex.findall(r"[\p{L}\p{N}]+", other.upper())
        same = 0
        while same < min(len(words), len(theirs)) and words[same] == theirs[same]:
            same += 1
        best = max(best, sum(len(w) for w in words[:same]))
    return best


def repair_head(reading: str | None, variants: Sequence[str], floor: float) -> str | None:
    """``reading`` with its start spelled as the address a chain's branches share, when it reads that
    head with slips (rapidfuzz alignment of letters and digits reaching ``floor``) and goes on with a
    branch of its own: the branch's part stays as read. None when no variant's head starts it."""
    if not reading:
        return None
    read = squash(reading)
    spots = [i for i, ch in enumerate(reading) if ch.isalnum()]
    for value in variants:
        size = _shared_head(value, variants)
        if size < SHARED_HEAD or len(read) <= size:
            continue
        head = squash(value)[:size]
        found = fuzz.partial_ratio_alignment(head, read[: size + 8])
        if found is None or found.score < floor or found.dest_start > 2:
            continue
        # the window is as long as the head: a letter OCR added or dropped moves where it ends
        end = max(
            range(size - 3, min(len(read), size + 3) + 1),
            key=lambda e: (fuzz.ratio(head, read[found.dest_start : e]), -abs(e - size)),
        )
        if read[:end] == head:
            continue
        ends = [i for i, ch in enumerate(value) if ch.isalnum()]
        return value[: ends[size - 1] + 1] + reading[spots[end - 1] + 1 :]
    return None


def choose_template(templates: Sequence[Template], text: str) -> tuple[Template | None, float]:
    """The best-matching template for ``text`` and its keyword score.

    The template with the highest (priority, score) among those reaching their
    ``min_score`` wins (a ``branch_of`` template only when the template it names
    reaches its own); when none does, the generic receipt template (score 0).
    """
    doc = Searchable(text)
    matched: dict[str, float] = {}
    for tpl in templates:
        if not tpl.keywords:
            continue
        s = tpl.score(doc)
        if s >= tpl.min_score and s > 0:
            matched.setdefault(tpl.name, s)
    best: tuple[int, float, Template] | None = None
    for tpl in templates:
        got = matched.get(tpl.name)
        if got is None or (tpl.branch_of is not None and tpl.branch_of not in matched):
            continue
        if best is None or (tpl.priority, got) > (best[0], best[1]):
            best = (tpl.priority, got, tpl)
    if best is not None:
        return best[2], best[1]
    default = next((t for t in templates if t.name == DEFAULT_NAME), None)
    return default, 0.0
