"""``icr eval``: field accuracy and OCR error rate against SROIE-layout ground truth.

The comparison rules are the ones ``shared/tools/score_sroie.py`` defines:
company and address exact after upper-casing and collapsing spaces; date equal as
a calendar date (ground truth read day-first, month-first as a fallback); total
equal as a decimal amount. A missing document or field counts as wrong.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import regex

EVAL_FIELDS = ("company", "date", "address", "total")
OTHER_FIELDS = ("subtotal", "tax", "currency")
"""Scored besides, and reported under ``other``, where the gold labels them (expressexpense does)."""
_AMOUNT_FIELDS = ("total", "subtotal", "tax")
_MONTHS = {
    m: i
    for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)
}


def normalize_text(value: object) -> str:
    return regex.sub(r"\s+", " ", str(value or "")).strip().upper()


def to_amount(value: object) -> Decimal | None:
    """A ground-truth or predicted amount as Decimal with 2 places ('RM 1,007.50' -> 1007.50)."""
    if value is None:
        return None
    digits = regex.sub(r"[^0-9.,\-]", "", str(value))
    if "," in digits and "." in digits:
        digits = digits.replace(",", "")
    elif regex.search(r",\d{2}$", digits):
        digits = digits.replace(",", ".")
    else:
        digits = digits.replace(",", "")
    try:
        return Decimal(digits).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if y < 100 else y


def _first_valid(y: int, a: int, b: int) -> dt.date | None:
    """(y, a, b) read as (year, month, day), else (year, day, month)."""
    for month, day in ((a, b), (b, a)):
        try:
            return dt.date(y, month, day)
        except ValueError:
            continue
    return None


_DATE_FORMS: list[tuple[str, Any]] = [
    (r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", lambda m: (int(m[1]), int(m[2]), int(m[3]))),
    (r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{2,4})", lambda m: (_year(m[3]), int(m[2]), int(m[1]))),
    (r"(\d{1,2})[-/ ]?([A-Z]{3})[A-Z]*[-/ ,]*(\d{2,4})", lambda m: (_year(m[3]), _MONTHS.get(m[2], 0), int(m[1]))),
    (r"([A-Z]{3})[A-Z]*[ -]?(\d{1,2}),?[ -](\d{2,4})", lambda m: (_year(m[3]), _MONTHS.get(m[1], 0), int(m[2]))),
    (r"^(\d{4})(\d{2})(\d{2})$", lambda m: (int(m[1]), int(m[2]), int(m[3]))),
    (r"^(\d{2})(\d{2})(\d{4})$", lambda m: (int(m[3]), int(m[2]), int(m[1]))),
]


def to_date(value: object) -> dt.date | None:
    """A date as printed, read day-first (ISO first); month-first when day-first is impossible."""
    if not value:
        return None
    text = str(value).strip().upper().strip("()")
    for pattern, parts in _DATE_FORMS:
        m = regex.search(pattern, text)
        if m:
            return _first_valid(*parts(m))
    return None


def field_correct(name: str, predicted: object, gold: object) -> bool:
    if predicted is None:
        return False
    if name in _AMOUNT_FIELDS:
        p = to_amount(predicted)
        return p is not None and p == to_amount(gold)
    if name == "date":
        g = to_date(gold)
        return g is not None and to_date(predicted) == g
    return normalize_text(predicted) == normalize_text(gold)


def read_gold(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig", errors="replace"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


@dataclass
class EvalReport:
    documents: int = 0
    predicted: int = 0
    correct: dict[str, int] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)
    fuzzy: dict[str, float] = field(default_factory=dict)
    cer: float | None = None
    word_accuracy: float | None = None
    cer_documents: int = 0
    misses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def accuracy(self, name: str) -> float | None:
        n = self.counted.get(name, 0)
        return self.correct.get(name, 0) / n if n else None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "documents": self.documents,
            "predicted": self.predicted,
            "accuracy": {f: _round(self.accuracy(f)) for f in EVAL_FIELDS},
            "fuzzy": {f: _round(self.fuzzy[f] / self.counted[f] if self.counted.get(f) else None) for f in EVAL_FIELDS},
            "counted": {f: self.counted.get(f, 0) for f in EVAL_FIELDS},
            "ocr": {
                "cer": _round(self.cer),
                "word_accuracy": _round(self.word_accuracy),
                "documents": self.cer_documents,
            },
        }
        other = {f: {"accuracy": _round(self.accuracy(f)), "counted": self.counted[f]}
                 for f in OTHER_FIELDS if self.counted.get(f)}  # fmt: skip
        if other:
            out["other"] = other
        return out


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def score(gold_dir: Path, records: Iterable[Mapping[str, Any]]) -> EvalReport:
    """Compare exported records (``{"id", "fields", "text"}``) with ``<id>.json`` files in gold_dir."""
    by_id = {str(r["id"]): r for r in records}
    report = EvalReport()
    cer_sum = word_sum = 0.0
    for gold_path in sorted(gold_dir.glob("*.json")):
        gold = read_gold(gold_path)
        if gold is None:
            continue
        report.documents += 1
        rec = by_id.get(gold_path.stem)
        fields: Mapping[str, Any] = (rec or {}).get("fields") or {}
        if rec is not None:
            report.predicted += 1
        for name in EVAL_FIELDS + OTHER_FIELDS:
            g = gold.get(name)
            if g in (None, ""):
                continue
            report.counted[name] = report.counted.get(name, 0) + 1
            p = fields.get(name)
            ok = field_correct(name, p, g)
            report.correct[name] = report.correct.get(name, 0) + int(ok)
            if name in OTHER_FIELDS:
                if not ok:
                    report.misses.setdefault(name, []).append({"id": gold_path.stem, "gold": g, "predicted": p})
                continue
            if name in ("company", "address"):
                sim = SequenceMatcher(None, normalize_text(p), normalize_text(g)).ratio() if p else 0.0
            else:
                sim = 1.0 if ok else 0.0
            report.fuzzy[name] = report.fuzzy.get(name, 0.0) + sim
            if not ok:
                report.misses.setdefault(name, []).append({"id": gold_path.stem, "gold": g, "predicted": p})
        transcript = gold_path.with_name(gold_path.stem + ".ocr.txt")
        if rec is not None and transcript.is_file():
            from icr.metrics import cer, word_accuracy

            ref = transcript.read_text(encoding="utf-8", errors="replace")
            hyp = str(rec.get("text") or "")
            cer_sum += cer(hyp, ref)
            word_sum += word_accuracy(hyp, ref)
            report.cer_documents += 1
    if report.cer_documents:
        report.cer = cer_sum / report.cer_documents
        report.word_accuracy = word_sum / report.cer_documents
    return report


def format_report(report: EvalReport) -> str:
    lines = [f"{'field':10s} {'exact':>7s} {'fuzzy':>7s}  n"]
    d = report.as_dict()
    for name in EVAL_FIELDS:
        acc, fz, n = d["accuracy"][name], d["fuzzy"][name], d["counted"][name]
        lines.append(f"{name:10s} {_fmt(acc):>7s} {_fmt(fz):>7s}  {n}")
    for name, o in d.get("other", {}).items():
        lines.append(f"{name:10s} {_fmt(o['accuracy']):>7s} {'':>7s}  {o['counted']}")
    lines.append(f"documents {report.documents}  predicted {report.predicted}")
    if report.cer is not None:
        lines.append(
            f"OCR: character error rate {report.cer:.4f}, word accuracy {report.word_accuracy or 0:.4f} "
            f"over {report.cer_documents} transcripts"
        )
    return "\n".join(lines)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"
