"""A learned linker: which segment asks and which answers it, scored pair by pair (``forms.model``).

The rules label the segments first (:func:`icr.forms.keyvalue.label_segments`) and link them; then
every plausible (question, answer) pair of segments — the answer right of the question on its row,
or under it in reach — is described by numbers (each segment's text and place, the rules' labels
and link, the geometry between them) and scored by boosted trees (:mod:`icr.forms.trees`) fitted
by ``icr forms train`` on the user's own labelled forms. Pairs are kept best first, above the model's
threshold, each segment answering once and never both asking and answering.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import regex

from icr.errors import ConfigError
from icr.forms.keyvalue import LinkOptions, _key_like, _same_row, _value_like, _word_label, link_answers
from icr.forms.segments import Segment
from icr.forms.trees import FloatArray, Trees

FORMAT = "icr-forms-linker/1"
LABELS = ("header", "question", "answer", "other")
_DIGIT = regex.compile(r"\p{N}")
_UPPER = regex.compile(r"\p{Lu}")
_LETTER = regex.compile(r"\p{L}")


@dataclass(frozen=True)
class Reach:
    """Where a question may be for an answer, in letter heights and page widths."""

    row_gap: float = 0.5
    """A question on the answer's row ends at most this share of the page width to its left."""
    above: float = 12.0
    """A question above the answer ends at most this many letter heights over it ..."""
    indent: float = 6.0
    """... and overlaps it across, or starts at most this many letter heights from its left edge."""
    per_answer: int = 10
    """The nearest this many candidates of an answer are scored."""


@dataclass(frozen=True)
class LinkModel:
    """Fitted trees and the score from which a pair is kept."""

    trees: Trees
    threshold: float = 0.5
    reach: Reach = Reach()

    def save(self, path: Path) -> None:
        data = {"format": FORMAT, "threshold": self.threshold, "reach": self.reach.__dict__, **self.trees.as_dict()}
        path.write_text(json.dumps(data), encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str) -> LinkModel:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"forms.model: {path}: cannot read: {exc}") from exc
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ConfigError(f"forms.model: {path}: not an icr forms model ({FORMAT})")
        try:
            return cls(Trees.from_dict(raw), float(raw["threshold"]), Reach(**raw.get("reach", {})))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"forms.model: {path}: broken: {exc}") from exc


def segment_features(segments: Sequence[Segment], width: int, height: int, options: LinkOptions) -> FloatArray:
    """One row of numbers per segment: its text's make-up, its size and place, the rules' label."""
    usual = statistics.median(s.height for s in segments) if segments else 1.0
    rows = [[o for o in segments if o is not s and (_same_row(s, o) or _same_row(o, s))] for s in segments]
    out = []
    for seg, row in zip(segments, rows, strict=True):
        text = seg.text.strip()
        n = max(len(text), 1)
        letters = len(_LETTER.findall(text))
        x0, y0, x1, _ = seg.box
        out.append(
            [
                float(text.endswith(":")),
                float(":" in text[:-1]),
                float(len(seg.words)),
                float(np.log1p(len(text))),
                len(_DIGIT.findall(text)) / n,
                len(_UPPER.findall(text)) / max(letters, 1),
                letters / n,
                float(text[:1].isupper()),
                float(seg.rows),
                seg.height / max(usual, 1.0),
                x0 / max(width, 1),
                y0 / max(height, 1),
                x1 / max(width, 1),
                float(_key_like(seg, options)),
                float(_value_like(seg)),
                float(_word_label(seg)),
                sum(w.confidence for w in seg.words) / len(seg.words),
                float(len(row)),
                float(sum(o.box[0] < x0 for o in row)),
                float(sum(o.box[0] >= x1 - 2 for o in row)),
                float(text.startswith("(") or text.startswith("#")),
                *(float(seg.label == label) for label in LABELS),
            ]
        )
    return np.asarray(out, dtype=np.float64).reshape(len(segments), -1)


def candidates(segments: Sequence[Segment], width: int, reach: Reach) -> list[tuple[int, int]]:
    """(question, answer) indices worth scoring: each answer's nearest segments left on its row or above it."""
    out: list[tuple[int, int]] = []
    for ai, a in enumerate(segments):
        ax0, ay0, ax1, _ = a.box
        found: list[tuple[float, int]] = []
        for qi, q in enumerate(segments):
            if qi == ai:
                continue
            qx0, _, qx1, qy1 = q.box
            h = max(q.height, 1.0)
            left = (_same_row(q, a) or _same_row(a, q)) and qx1 <= ax0 + 2
            if left and ax0 - qx1 <= reach.row_gap * width:
                found.append(((ax0 - qx1) / h, qi))
                continue
            under = min(qx1, ax1) > max(qx0, ax0) or abs(ax0 - qx0) <= reach.indent * h
            if not left and under and qy1 <= ay0 + 2 and ay0 - qy1 <= reach.above * h:
                found.append(((ay0 - qy1) / h + abs(ax0 - qx0) / h / 4, qi))
        found.sort()
        out.extend((qi, ai) for _, qi in found[: reach.per_answer])
    return out


def pair_features(
    segments: Sequence[Segment], seg_x: FloatArray, pairs: Sequence[tuple[int, int]], ruled: set[tuple[int, int]]
) -> FloatArray:
    """One row per candidate pair: both segments' rows of numbers and the geometry between them."""
    rows = []
    rank: dict[int, int] = {}
    for qi, ai in pairs:
        rank[ai] = rank.get(ai, -1) + 1
        q, a = segments[qi], segments[ai]
        qx0, _, qx1, qy1 = q.box
        ax0, ay0, ax1, _ = a.box
        h = max(q.height, 1.0)
        overlap = max(0.0, min(qx1, ax1) - max(qx0, ax0)) / max(min(qx1 - qx0, ax1 - ax0), 1)
        same = float(_same_row(q, a) or _same_row(a, q))
        between = sum(
            1 for s in segments if s is not q and s is not a and same and _same_row(q, s) and qx1 <= s.box[0] < ax0
        )
        geometry = [
            same,
            (ax0 - qx1) / h,
            (ay0 - qy1) / h,
            (ax0 - qx0) / h,
            overlap,
            float(between),
            float(rank[ai]),
            a.height / h,
            float((qi, ai) in ruled),
        ]
        rows.append([*seg_x[qi], *seg_x[ai], *geometry])
    return np.asarray(rows, dtype=np.float64).reshape(len(pairs), -1)


def describe(
    segments: Sequence[Segment], width: int, height: int, options: LinkOptions, reach: Reach
) -> tuple[list[tuple[int, int]], FloatArray]:
    """The candidate pairs of a page's labelled segments and their rows of numbers."""
    index = {id(s): i for i, s in enumerate(segments)}
    ruled = {(index[id(q)], index[id(a)]) for q, a in link_answers(segments, options)}
    pairs = candidates(segments, width, reach)
    return pairs, pair_features(segments, segment_features(segments, width, height, options), pairs, ruled)


def decode(
    segments: Sequence[Segment], pairs: Sequence[tuple[int, int]], scores: FloatArray, threshold: float
) -> list[tuple[Segment, Segment, float]]:
    """Pairs best first above ``threshold``: each segment answers once, and none both asks and answers."""
    asks: set[int] = set()
    answers: set[int] = set()
    out = []
    for k in np.argsort(-scores, kind="stable"):
        qi, ai = pairs[int(k)]
        if scores[k] < threshold:
            break
        if ai in answers or ai in asks or qi in answers:
            continue
        asks.add(qi)
        answers.add(ai)
        out.append((segments[qi], segments[ai], float(scores[k])))
    return out


def link_with_model(
    segments: Sequence[Segment], width: int, height: int, options: LinkOptions, model: LinkModel
) -> list[tuple[Segment, Segment, float]]:
    """The model's pairs of a page whose segments the rules have labelled; labels reset to what they say."""
    if len(segments) < 2:
        return []
    pairs, x = describe(segments, width, height, options, model.reach)
    if not pairs:
        return []
    links = decode(segments, pairs, model.trees.predict(x), model.threshold)
    for seg in segments:
        if seg.label in ("question", "answer"):
            seg.label = "other"
    for q, a, _ in links:
        q.label, a.label = "question", "answer"
    return links
