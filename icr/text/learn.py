"""Learn vendor templates from labelled receipts (SROIE layout: ``<id>.json`` + ``<id>.ocr.txt``).

For every vendor (company and address from the key files) templates are
written: the header lines that identify it as keywords (lines printed on its
receipts but rarely on other vendors'), its canonical company and address as
static fields, and options that fit (date order, currency). A vendor with
several branches gets one template for the vendor and one per branch.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex
import yaml
from rapidfuzz import fuzz, process
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from icr.text.locales import default_lexicon
from icr.text.parsers import find_amounts, find_dates, parse_currency
from icr.text.templates import parse_template, squash

HEADER_LINES = 14
MAX_KEYWORDS = 6
GENERIC_GROUPS = 3
"""A line printed by more vendors than this is not a vendor keyword ("TAX INVOICE")."""


@dataclass
class Labelled:
    stem: str
    company: str
    address: str
    date: str
    lines: list[str]


def read_labelled(folder: Path, exclude: Iterable[str] = ()) -> list[Labelled]:
    """The labelled receipts in ``folder`` (skipping stems in ``exclude`` and files without a company)."""
    skip = set(exclude)
    out: list[Labelled] = []
    for path in sorted(folder.glob("*.json")):
        if path.stem in skip:
            continue
        txt = path.with_suffix(".ocr.txt")
        if not txt.exists():
            continue
        try:
            gold = json.loads(path.read_text(encoding="utf-8-sig", errors="replace"))
        except json.JSONDecodeError:
            continue
        company = " ".join(str(gold.get("company") or "").split())
        if not company:
            continue
        lines = [" ".join(t.split()) for t in txt.read_text(encoding="utf-8", errors="replace").splitlines()]
        out.append(
            Labelled(
                path.stem,
                company,
                " ".join(str(gold.get("address") or "").split()),
                str(gold.get("date") or ""),
                [t for t in lines if t],
            )
        )
    return out


def labelled_from_db(engine: Engine) -> list[Labelled]:
    """The receipts in a database whose company a person confirmed or corrected (``icr serve``),
    as labelled receipts: the reviewed company and address, the date as printed, the OCR lines."""
    from icr.review import reviewed_receipts

    out: list[Labelled] = []
    with Session(engine) as session:
        for doc, fields in reviewed_receipts(session):
            address, date = fields.get("address"), fields.get("date")
            lines = [" ".join(t.split()) for t in (doc.ocr_text or "").splitlines()]
            out.append(
                Labelled(
                    doc.name,
                    " ".join((fields["company"].value or "").split()),
                    " ".join(((address.value if address is not None else "") or "").split()),
                    (date.raw or date.value or "") if date is not None else "",
                    [t for t in lines if t],
                )
            )
    return out


def _slug(text: str) -> str:
    return regex.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:48] or "vendor"


def _is_keyword_line(line: str) -> bool:
    key = squash(line)
    if len(key) < 6 or find_dates(line) or find_amounts(line) or default_lexicon().receipt_label.search(line):
        return False
    return not regex.fullmatch(r"[\W\d_]*", line)


def _date_order(dates: Iterable[str]) -> str:
    month_first = day_first = 0
    for d in dates:
        m = regex.search(r"(\d{1,2})[-/.](\d{1,2})[-/.]\d{2,4}", d)
        if m:
            a, b = int(m[1]), int(m[2])
            day_first += a > 12
            month_first += b > 12
    return "month_first" if month_first > day_first else "day_first"


SAME_LABEL = 90.0
"""Labels this similar (rapidfuzz ratio of the squashed text) name the same vendor or branch:
annotators' slips ("GARDENIA BAKERIES (KI ) LTD" for "(KL)") must not split a vendor."""
SAME_LINE = 80.0
"""Header lines this similar (rapidfuzz ratio) are the same printed line read differently."""


def _clusters(labels: Iterable[str]) -> dict[str, str]:
    """Each label's representative: the most frequent label it is nearly the same as."""
    reps: list[str] = []
    out: dict[str, str] = {}
    for label, _ in Counter(labels).most_common():
        key = squash(label)
        rep = next(
            (
                r
                for r in reps
                if squash(r) == key or (min(len(key), len(squash(r))) >= 6 and fuzz.ratio(key, squash(r)) >= SAME_LABEL)
            ),
            None,
        )
        if rep is None:
            reps.append(label)
            rep = label
        out[label] = rep
    return out


def _tokens(text: str) -> set[str]:
    return {t for t in regex.findall(r"[\p{L}\p{N}]+", text.upper()) if len(t) >= 3}


def _words(text: str) -> set[str]:
    return set(regex.findall(r"[\p{L}\p{N}]+", text.upper()))


def _identifies(line: str, labels: set[str]) -> bool:
    """A line names the vendor when it shares a word with its name or address labels, or carries
    a number of five digits or more (registration, GST, phone); "THANK YOU" lines do not."""
    return bool(_tokens(line) & labels) or regex.search(r"\d{5}", regex.sub(r"[\s-]", "", line)) is not None


def _shape(line: str) -> str:
    """A line with each run of digits masked: ``TRANS: 364810`` and ``TRANS : 79369`` are one shape."""
    return regex.sub(r"\p{N}+", "#", squash(line))


def _numbered_shapes(groups: Iterable[list[Labelled]]) -> set[str]:
    """Shapes of header lines that carry a new number on every receipt (a transaction, invoice or
    cashier number): in two or more groups of receipts of one shop, every receipt prints the line
    with other digits. Such a line names one receipt, not the shop; a shop's phone or tax number is
    printed the same on all its receipts (one mistyped copy is not every receipt differing)."""
    varied: Counter[str] = Counter()
    for members in groups:
        texts: dict[str, list[str]] = defaultdict(list)
        for doc in members:
            shapes = Counter(_shape(line) for line in doc.lines[:HEADER_LINES] if regex.search(r"\p{N}", line))
            for line in doc.lines[:HEADER_LINES]:
                shape = _shape(line)
                if shapes.get(shape) == 1:  # a shape printed twice on one receipt (two phones) tells nothing
                    texts[shape].append(squash(line))
        varied.update(shape for shape, seen in texts.items() if len(seen) > 1 and len(set(seen)) == len(seen))
    return {shape for shape, n in varied.items() if n >= 2}


def _keywords(
    members: list[Labelled],
    line_owners: dict[str, set[str]],
    owner_limit: int,
    exclude: Set[str] = frozenset(),
    numbered: Set[str] = frozenset(),
    places: bool = False,
) -> list[str]:
    """Header lines that identify the vendor, printed on at least half of ``members``, by few vendors
    (``owner_limit``), not in ``exclude`` and of no ``numbered`` shape; a line naming a place only
    (its street, its mall) when ``places`` (a branch, once its vendor is known) or nothing else does."""
    labels = set().union(*(_tokens(d.company) | _tokens(d.address) for d in members))
    counts: Counter[str] = Counter()
    printed: dict[str, str] = {}
    first_pos: dict[str, int] = {}
    for doc in members:
        seen: set[str] = set()
        for pos, line in enumerate(doc.lines[:HEADER_LINES]):
            k = squash(line)
            if k in seen or k in exclude or not _is_keyword_line(line) or len(line_owners[k]) > owner_limit:
                continue
            if _shape(line) in numbered:
                continue
            if not _identifies(line, labels):
                continue
            seen.add(k)
            counts[k] += 1
            printed.setdefault(k, line)
            first_pos[k] = min(first_pos.get(k, pos), pos)
    need = max(1, round(0.5 * len(members)))
    ranked = sorted((k for k, c in counts.items() if c >= need), key=lambda k: (-counts[k], first_pos[k]))
    # a street or town line is printed by the neighbours too: it names a place, not the vendor
    where = set().union(*(_words(d.address) for d in members))
    own = ranked if places else [k for k in ranked if not _words(printed[k]) <= where]
    return [printed[k] for k in (own or ranked)[:MAX_KEYWORDS]]


VARIANT_FIELDS = ("company", "address")
"""Fields whose every labelled spelling a template keeps (see :func:`_spellings`)."""


def _spellings(values: Iterable[str]) -> list[str]:
    """The distinct labels (spaces collapsed), most frequent first: a vendor's branches, or one
    address printed or labelled two ways; the text corrector takes the one nearest its reading."""
    counts = Counter(" ".join(v.split()) for v in values if v and v.strip())
    return [v for v, _ in counts.most_common()]


def _options(members: list[Labelled]) -> dict[str, Any]:
    currency_votes = Counter(c for d in members for line in d.lines for c in [parse_currency(line)] if c is not None)
    options: dict[str, Any] = {"date_order": _date_order(d.date for d in members)}
    if currency_votes:
        options["currency"] = currency_votes.most_common(1)[0][0]
    return options


def learn_templates(docs: list[Labelled], priority: int = 10) -> list[dict[str, Any]]:
    """Templates (as YAML-ready data) for every vendor in ``docs``.

    Receipts are grouped by vendor (company labels that are nearly the same) and, within a
    vendor, by branch (nearly the same address). The canonical name and address are the
    labels most receipts carry. A vendor seen at one branch gets one template with both as
    static fields. A vendor with several branches gets a vendor template (the name only, so
    that a branch not seen in training still gets its address from the text) and, one
    priority higher, a template per branch (``branch_of`` the vendor's) keyed on the lines
    only that branch prints.
    """
    company_of = _clusters(d.company for d in docs)
    vendors: dict[str, list[Labelled]] = defaultdict(list)
    for doc in docs:
        vendors[company_of[doc.company]].append(doc)
    groups: list[list[Labelled]] = []
    for members in vendors.values():
        address_of = _clusters(d.address for d in members if d.address)
        by_place: dict[str, list[Labelled]] = defaultdict(list)
        for doc in members:
            by_place[address_of.get(doc.address, "")].append(doc)
        groups.extend(by_place.values())
    numbered = _numbered_shapes(groups)
    line_vendors: dict[str, set[str]] = defaultdict(set)
    for vendor, members in vendors.items():
        for doc in members:
            for line in doc.lines[:HEADER_LINES]:
                line_vendors[squash(line)].add(vendor)
    templates: list[dict[str, Any]] = []
    used_names: set[str] = set()

    def add(data: dict[str, Any]) -> None:
        parse_template(data, f"<learned {data['name']}>")  # what we write must load
        used_names.add(data["name"])
        templates.append(data)

    def template(
        name: str, members: list[Labelled], keywords: list[str], static: dict[str, str], rank: int
    ) -> dict[str, Any]:
        variants = {
            key: spelled
            for key in VARIANT_FIELDS
            for spelled in [_spellings(getattr(d, key) for d in members)]
            if len(spelled) > 1
        }
        return {
            "name": name,
            "doc_type": "receipt",
            "priority": rank,
            "description": f"Learned from {len(members)} labelled receipt(s).",
            "keywords": keywords,
            "min_score": 0.5 if len(keywords) > 1 else 1.0,
            "options": _options(members),
            "static": static,
            **({"variants": variants} if variants else {}),
            "fields": {"total": {"required": True}, "date": {"required": True}},
        }

    for members in sorted(vendors.values(), key=lambda ms: min(d.stem for d in ms)):
        company = " ".join(Counter(d.company for d in members).most_common(1)[0][0].split())
        address_of = _clusters(d.address for d in members if d.address)
        branches: dict[str, list[Labelled]] = defaultdict(list)
        for doc in members:
            if doc.address:
                branches[address_of[doc.address]].append(doc)
        name = "vendor_" + _slug(company)
        if name in used_names:
            name += "_" + hashlib.sha1(squash(company).encode()).hexdigest()[:6]
        if len(branches) <= 1:
            keywords = _keywords(members, line_vendors, GENERIC_GROUPS, numbered=numbered)
            if keywords:
                address = Counter(d.address for d in members if d.address).most_common(1)
                static = {"company": company, **({"address": address[0][0]} if address else {})}
                add(template(name, members, keywords, static, priority))
            continue
        # lines printed at one branch only tell the branches apart; the vendor is known by the others
        line_branches: dict[str, set[str]] = defaultdict(set)
        for branch, docs_at in branches.items():
            for doc in docs_at:
                for line in doc.lines[:HEADER_LINES]:
                    line_branches[squash(line)].add(branch)
        shared_by: dict[str, set[str]] = {}
        for branch in branches:
            elsewhere = [k for k, owners in line_branches.items() if owners != {branch}]
            # a line another branch prints, even as OCR misread it, does not tell this one apart
            shared_by[branch] = {
                k
                for k in line_branches
                if k in elsewhere or process.extractOne(k, elsewhere, scorer=fuzz.ratio, score_cutoff=SAME_LINE)
            }
        branch_only = {
            k for k, owners in line_branches.items() if len(owners) == 1 and k not in shared_by[next(iter(owners))]
        }
        parent = None
        keywords = _keywords(members, line_vendors, GENERIC_GROUPS, exclude=branch_only, numbered=numbered)
        if keywords:
            add(template(name, members, keywords, {"company": company}, priority))
            parent = name
        for branch, docs_at in sorted(branches.items(), key=lambda kv: min(d.stem for d in kv[1])):
            own = _keywords(
                docs_at, line_vendors, GENERIC_GROUPS, exclude=shared_by[branch], numbered=numbered, places=True
            )
            if not own:
                continue
            label = Counter(d.address for d in docs_at).most_common(1)[0][0]
            branch_name = f"{name}_{hashlib.sha1(squash(label).encode()).hexdigest()[:6]}"
            data = template(branch_name, docs_at, own, {"company": company, "address": label}, priority + 1)
            if parent:
                data["branch_of"] = parent  # a branch line alone (a street name) must not pick a vendor
            add(data)
    return templates


def write_templates(templates: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for data in templates:
        path = out_dir / f"{data['name']}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        paths.append(path)
    return paths
