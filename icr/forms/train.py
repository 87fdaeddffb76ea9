"""``icr forms train``: fit the learned linker (:mod:`icr.forms.learn`) on the user's own labelled forms.

A folder in FUNSD's layout (``<stem>.png`` beside ``<stem>.json`` with entities, labels and links) is
read as the forms step reads a form; each candidate pair of segments is marked right when its texts
match a linked gold question and answer as ``icr eval --kind funsd`` counts them. The threshold is the
one that reads best on forms the trees were not fitted on (two halves, each scored by the other's
trees), with at least ``min_precision`` of the pairs kept right when any threshold reaches it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz

from icr.forms.funsd import MATCH, GoldForm, match_count, norm, read_gold
from icr.forms.keyvalue import LinkOptions, clean_key, label_segments
from icr.forms.learn import LinkModel, Reach, decode, describe
from icr.forms.segments import Segment
from icr.forms.trees import FitOptions, FloatArray, fit


@dataclass
class Example:
    """One page of a labelled form, read: its segments (labelled by the rules) and its gold."""

    name: str
    segments: list[Segment]
    width: int
    height: int
    gold: GoldForm


@dataclass(frozen=True)
class TrainReport:
    forms: int
    candidates: int
    positives: int
    gold_pairs: int
    reachable: int
    """Gold pairs some candidate matches (what the linker can find at best)."""
    threshold: float
    held_out: dict[str, float]
    """Pair precision, recall and F1 of the two halves scored by each other's trees."""


def example(
    name: str, segments: list[Segment], width: int, height: int, gold: GoldForm, options: LinkOptions
) -> Example:
    label_segments(segments, width, height, options)
    return Example(name, segments, width, height, gold)


def _marks(ex: Example, pairs: Sequence[tuple[int, int]]) -> FloatArray:
    texts = [norm(s.text) for s in ex.segments]
    keys = [norm(clean_key(s.text)) for s in ex.segments]
    out = np.zeros(len(pairs))
    for k, (qi, ai) in enumerate(pairs):
        out[k] = any(
            (fuzz.ratio(keys[qi], q) >= MATCH or fuzz.ratio(texts[qi], q) >= MATCH)
            and fuzz.ratio(texts[ai], a) >= MATCH
            for q, a in ex.gold.pairs
        )
    return out


def _dataset(
    examples: Sequence[Example], options: LinkOptions, reach: Reach
) -> list[tuple[list[tuple[int, int]], FloatArray, FloatArray]]:
    out = []
    for ex in examples:
        pairs, x = describe(ex.segments, ex.width, ex.height, options, reach)
        out.append((pairs, x, _marks(ex, pairs)))
    return out


def _scored(
    examples: Sequence[Example],
    data: Sequence[tuple[list[tuple[int, int]], FloatArray, FloatArray]],
    scores: Sequence[FloatArray],
    threshold: float,
) -> tuple[int, int, int]:
    predicted = gold = correct = 0
    for ex, (pairs, _, _), s in zip(examples, data, scores, strict=True):
        links = decode(ex.segments, pairs, s, threshold) if pairs else []
        got = [(clean_key(q.text), a.text) for q, a, _ in links]
        predicted += len(got)
        gold += len(ex.gold.pairs)
        correct += match_count(got, ex.gold.pairs)
    return predicted, gold, correct


def _prf(predicted: int, gold: int, correct: int) -> dict[str, float]:
    p = correct / predicted if predicted else 0.0
    r = correct / gold if gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4)}


def train(
    examples: Sequence[Example],
    options: LinkOptions,
    fit_options: FitOptions | None = None,
    min_precision: float = 0.6,
    reach: Reach | None = None,
) -> tuple[LinkModel, TrainReport]:
    """The linker fitted on every example, its threshold chosen on the halves scored by each other."""
    reach = reach or Reach()
    fit_options = fit_options or FitOptions()
    data = _dataset(examples, options, reach)
    halves = [list(range(0, len(data), 2)), list(range(1, len(data), 2))]
    held: list[FloatArray] = [np.zeros(0)] * len(data)
    for mine, other in (halves, halves[::-1]):
        rows = [data[i] for i in other if len(data[i][0])]
        if not rows or not mine:
            continue
        trees = fit(np.vstack([r[1] for r in rows]), np.concatenate([r[2] for r in rows]), fit_options)
        for i in mine:
            held[i] = trees.predict(data[i][1]) if len(data[i][0]) else np.zeros(0)
    best = (-1.0, 0.5, {"precision": 0.0, "recall": 0.0, "f1": 0.0})
    for threshold in np.arange(0.02, 0.91, 0.02):
        figures = _prf(*_scored(examples, data, held, float(threshold)))
        rank = figures["f1"] + (1.0 if figures["precision"] >= min_precision else 0.0)
        if rank > best[0]:
            best = (rank, round(float(threshold), 2), figures)
    rows = [r for r in data if len(r[0])]
    x = np.vstack([r[1] for r in rows]) if rows else np.zeros((0, 0))
    y = np.concatenate([r[2] for r in rows]) if rows else np.zeros(0)
    if len(y) == 0 or y.min() == y.max():
        raise ValueError("no candidate pairs of both kinds to learn from (are the forms labelled and linked?)")
    model = LinkModel(fit(x, y, fit_options), best[1], reach)
    reachable = 0
    for ex, (pairs, _, _) in zip(examples, data, strict=True):
        got = [(clean_key(ex.segments[q].text), ex.segments[a].text) for q, a in pairs]
        reachable += match_count(got, ex.gold.pairs)
    report = TrainReport(
        forms=len(examples),
        candidates=len(y),
        positives=int(y.sum()),
        gold_pairs=sum(len(ex.gold.pairs) for ex in examples),
        reachable=reachable,
        threshold=best[1],
        held_out=best[2],
    )
    return model, report


def read_folder(
    folder: Path,
    read: Callable[[Path], list[tuple[list[Segment], int, int]]],
    options: LinkOptions,
    on_form: Callable[[str], None] | None = None,
) -> list[Example]:
    """Every ``<stem>.png``/``.jpg`` with a ``<stem>.json`` beside it, read by ``read`` (a page's segments
    and size, per page) and labelled by the rules; the gold goes with the first page."""
    out = []
    for gold_path in sorted(folder.glob("*.json")):
        scans = [
            p for p in (gold_path.with_suffix(s) for s in (".png", ".jpg", ".jpeg", ".tif", ".tiff")) if p.exists()
        ]
        if not scans:
            continue
        gold = read_gold(gold_path)
        pages = read(scans[0])
        if pages:
            segments, width, height = pages[0]
            out.append(example(gold_path.stem, segments, width, height, gold, options))
        if on_form is not None:
            on_form(gold_path.stem)
    return out


def with_threshold(model: LinkModel, threshold: float) -> LinkModel:
    return replace(model, threshold=threshold)
