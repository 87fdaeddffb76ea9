"""Learn vendor templates from labelled receipts (SROIE layout: ``<id>.json`` + ``<id>.ocr.txt``).

For every vendor (company and address from the key files) one template is
written: the header lines that identify it as keywords (lines printed on its
receipts but rarely on other vendors'), its canonical company and address as
static fields, and options that fit (date order, currency).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex
import yaml

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


def _slug(text: str) -> str:
    return regex.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:48] or "vendor"


def _is_keyword_line(line: str) -> bool:
    key = squash(line)
    if len(key) < 6 or find_dates(line) or find_amounts(line):
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


def learn_templates(docs: list[Labelled], priority: int = 10) -> list[dict[str, Any]]:
    """One template (as YAML-ready data) per vendor: (company, address) from the key files."""
    groups: dict[tuple[str, str], list[Labelled]] = defaultdict(list)
    for doc in docs:
        groups[(squash(doc.company), squash(doc.address))].append(doc)
    line_groups: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for key, members in groups.items():
        for doc in members:
            for line in doc.lines[:HEADER_LINES]:
                line_groups[squash(line)].add(key)
    templates: list[dict[str, Any]] = []
    used_names: set[str] = set()
    for key, members in sorted(groups.items(), key=lambda kv: kv[1][0].stem):
        company = Counter(d.company for d in members).most_common(1)[0][0]
        address = Counter(d.address for d in members).most_common(1)[0][0]
        counts: Counter[str] = Counter()
        printed: dict[str, str] = {}
        first_pos: dict[str, int] = {}
        for doc in members:
            seen: set[str] = set()
            for pos, line in enumerate(doc.lines[:HEADER_LINES]):
                k = squash(line)
                if k in seen or not _is_keyword_line(line) or len(line_groups[k]) > GENERIC_GROUPS:
                    continue
                seen.add(k)
                counts[k] += 1
                printed.setdefault(k, line)
                first_pos[k] = min(first_pos.get(k, pos), pos)
        need = max(1, round(0.5 * len(members)))
        ranked = sorted((k for k, c in counts.items() if c >= need), key=lambda k: (-counts[k], first_pos[k]))
        keywords = [printed[k] for k in ranked[:MAX_KEYWORDS]]
        if not keywords:
            continue
        name = "vendor_" + _slug(company)
        if name in used_names:
            name += "_" + hashlib.sha1(key[1].encode()).hexdigest()[:6]
        used_names.add(name)
        currency_votes = Counter(
            c for d in members for line in d.lines for c in [parse_currency(line)] if c is not None
        )
        options: dict[str, Any] = {"date_order": _date_order(d.date for d in members)}
        if currency_votes:
            options["currency"] = currency_votes.most_common(1)[0][0]
        data: dict[str, Any] = {
            "name": name,
            "doc_type": "receipt",
            "priority": priority,
            "description": f"Learned from {len(members)} labelled receipt(s).",
            "keywords": keywords,
            "min_score": 0.5 if len(keywords) > 1 else 1.0,
            "options": options,
            "static": {"company": company, **({"address": address} if address else {})},
            "fields": {"total": {"required": True}, "date": {"required": True}},
        }
        parse_template(data, f"<learned {name}>")  # what we write must load
        templates.append(data)
    return templates


def write_templates(templates: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for data in templates:
        path = out_dir / f"{data['name']}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        paths.append(path)
    return paths
