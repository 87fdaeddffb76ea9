"""Scoring forms against FUNSD-layout annotations (``icr eval --kind funsd``).

A gold folder holds ``<stem>.png`` scans beside ``<stem>.json``: ``{"form": [entity, ...]}``, each
entity ``{"id", "box", "text", "label", "words", "linking"}``. Texts are compared upper-cased
with spaces collapsed, by rapidfuzz ratio: a predicted pair counts when its key and value match
a linked gold question/answer pair at ``MATCH`` or more; a predicted segment counts when it
matches a gold entity's text so and carries its label. Each gold item counts once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex
from rapidfuzz import fuzz

from icr.errors import InputError
from icr.types import Box

MATCH = 80.0
"""rapidfuzz ratio (0-100) from which two texts are the same text."""
LABELS = ("header", "question", "answer", "other")


def norm(text: object) -> str:
    return regex.sub(r"\s+", " ", str(text or "")).strip().upper()


@dataclass(frozen=True)
class GoldForm:
    entities: list[tuple[str, str]]
    """(label, normalized text) of every entity with text."""
    pairs: list[tuple[str, str]]
    """(question, answer) normalized texts of every question->answer link."""
    boxes: list[Box] = field(default_factory=list)
    """The box of each of ``entities`` (pixels of the scan), in their order."""


def read_gold(path: Path) -> GoldForm:
    """One FUNSD annotation file; a broken one is an :class:`InputError` naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entities = {int(e["id"]): e for e in data["form"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a FUNSD annotation: {exc}") from exc
    texted = [e for e in entities.values() if norm(e["text"])]
    labelled = [(str(e["label"]), norm(e["text"])) for e in texted]
    boxes = [_box(e.get("box")) for e in texted]
    pairs: set[tuple[int, int]] = set()
    for e in entities.values():
        for link in e.get("linking") or []:
            a, b = (int(v) for v in link)
            if a in entities and b in entities:
                if entities[a]["label"] == "question" and entities[b]["label"] == "answer":
                    pairs.add((a, b))
                elif entities[b]["label"] == "question" and entities[a]["label"] == "answer":
                    pairs.add((b, a))
    gold_pairs = [(norm(entities[q]["text"]), norm(entities[a]["text"])) for q, a in sorted(pairs)]
    return GoldForm(labelled, [(q, a) for q, a in gold_pairs if q and a], boxes)


def _box(raw: object) -> Box:
    if isinstance(raw, list) and len(raw) == 4:
        x0, y0, x1, y1 = (int(v) for v in raw)
        return (x0, y0, x1, y1)
    return (0, 0, 0, 0)


def _same(a: str, b: str) -> bool:
    return fuzz.ratio(a, b) >= MATCH


def match_count(predicted: Sequence[tuple[str, ...]], gold: Sequence[tuple[str, ...]]) -> int:
    """How many predicted items match a gold item (every part alike), each gold item used once."""
    used: set[int] = set()
    hits = 0
    for item in predicted:
        for i, g in enumerate(gold):
            if (
                i not in used
                and len(g) == len(item)
                and all(_same(norm(p), norm(q)) for p, q in zip(item, g, strict=True))
            ):
                used.add(i)
                hits += 1
                break
    return hits


@dataclass
class Counts:
    predicted: int = 0
    gold: int = 0
    correct: int = 0

    def add(self, predicted: int, gold: int, correct: int) -> None:
        self.predicted += predicted
        self.gold += gold
        self.correct += correct

    def as_dict(self) -> dict[str, float | int]:
        p = self.correct / self.predicted if self.predicted else 0.0
        r = self.correct / self.gold if self.gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            "predicted": self.predicted,
            "gold": self.gold,
            "correct": self.correct,
        }


@dataclass
class FormsReport:
    documents: int = 0
    predicted_documents: int = 0
    pairs: Counts = field(default_factory=Counts)
    labels: Counts = field(default_factory=Counts)
    per_label: dict[str, Counts] = field(default_factory=lambda: {label: Counts() for label in LABELS})

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "predicted": self.predicted_documents,
            "pairs": self.pairs.as_dict(),
            "labelling": self.labels.as_dict(),
            "labelling_per_label": {k: v.as_dict() for k, v in self.per_label.items()},
        }


def score_forms(
    gold_dir: Path,
    pairs: Mapping[str, Iterable[tuple[str, str]]],
    segments: Mapping[str, Iterable[tuple[str, str]]],
    only: Iterable[str] | None = None,
) -> FormsReport:
    """Score predicted pairs ``{stem: [(key, value)]}`` and labelled segments ``{stem: [(label, text)]}``."""
    report = FormsReport()
    wanted = set(only) if only is not None else None
    for path in sorted(gold_dir.glob("*.json")):
        if wanted is not None and path.stem not in wanted:
            continue
        gold = read_gold(path)
        report.documents += 1
        if path.stem in pairs:
            report.predicted_documents += 1
        got = [(k, v) for k, v in pairs.get(path.stem, ())]
        report.pairs.add(len(got), len(gold.pairs), match_count(got, gold.pairs))
        segs = [(label, text) for label, text in segments.get(path.stem, ())]
        report.labels.add(len(segs), len(gold.entities), match_count(segs, gold.entities))
        for label in LABELS:
            mine = [s for s in segs if s[0] == label]
            theirs = [g for g in gold.entities if g[0] == label]
            report.per_label[label].add(len(mine), len(theirs), match_count(mine, theirs))
    return report


def format_forms_report(report: FormsReport) -> str:
    d = report.as_dict()
    lines = [f"{'':22s} {'P':>6s} {'R':>6s} {'F1':>6s}  predicted/gold/correct"]
    for name, c in [("question->answer pairs", d["pairs"]), ("segment labelling", d["labelling"])]:
        lines.append(
            f"{name:22s} {c['precision']:6.3f} {c['recall']:6.3f} {c['f1']:6.3f}  "
            f"{c['predicted']}/{c['gold']}/{c['correct']}"
        )
    for label, c in d["labelling_per_label"].items():
        lines.append(f"  {label:20s} {c['precision']:6.3f} {c['recall']:6.3f} {c['f1']:6.3f}")
    lines.append(f"documents {report.documents}  predicted {report.predicted_documents}")
    return "\n".join(lines)


def gold_labels(texts: Sequence[str], boxes: Sequence[Box], gold: GoldForm, scale: float = 1.0) -> list[str]:
    """The gold label of each segment (its text and its box, on a page enlarged ``scale`` times): the
    label of the gold entity whose text it matches best at ``MATCH`` or more, else of the one its box
    overlaps most (at least half of it), else ``other``. What ``icr forms train`` learns from."""
    out = []
    for text, box in zip(texts, boxes, strict=True):
        t = norm(text)
        best = max(range(len(gold.entities)), key=lambda i: fuzz.ratio(t, gold.entities[i][1]), default=None)
        if best is not None and fuzz.ratio(t, gold.entities[best][1]) >= MATCH:
            out.append(gold.entities[best][0])
            continue
        x0, y0, x1, y1 = (v / scale for v in box)
        area = max((x1 - x0) * (y1 - y0), 1.0)
        label, most = "other", 0.5 * area
        for (name, _), (gx0, gy0, gx1, gy1) in zip(gold.entities, gold.boxes, strict=True):
            overlap = max(0.0, min(x1, gx1) - max(x0, gx0)) * max(0.0, min(y1, gy1) - max(y0, gy0))
            if overlap > most:
                label, most = name, overlap
        out.append(label)
    return out
