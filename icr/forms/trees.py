"""Gradient-boosted decision trees in numpy: small enough to fit in seconds, read from JSON to predict.

What ``icr forms train`` fits (:func:`fit`) and the forms step evaluates (:meth:`Trees.predict`): a
binary classifier of logistic loss, each tree of limited depth split on per-feature quantile bins.
No scikit-learn at training or at reading time: the model is a few arrays in a JSON file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Tree:
    """One tree as flat arrays: node ``i`` splits on ``feature[i]`` at ``threshold[i]`` (left when the
    value is at most it) into ``left[i]`` / ``right[i]``; a leaf has ``feature[i] == -1`` and ``value[i]``."""

    feature: list[int]
    threshold: list[float]
    left: list[int]
    right: list[int]
    value: list[float]

    def predict(self, x: FloatArray) -> FloatArray:
        node = np.zeros(len(x), dtype=np.int64)
        feature = np.asarray(self.feature)
        threshold = np.asarray(self.threshold)
        left, right = np.asarray(self.left), np.asarray(self.right)
        for _ in range(len(self.feature)):
            f = feature[node]
            inner = f >= 0
            if not inner.any():
                break
            go_left = x[np.arange(len(x)), np.where(inner, f, 0)] <= threshold[node]
            node = np.where(inner, np.where(go_left, left[node], right[node]), node)
        return np.asarray(self.value)[node]


@dataclass(frozen=True)
class Trees:
    """A boosted sum of trees plus a base score, read as a probability through the logistic function."""

    base: float
    trees: list[Tree]

    def predict(self, x: FloatArray) -> FloatArray:
        score = np.full(len(x), self.base)
        for tree in self.trees:
            score += tree.predict(x)
        return 1.0 / (1.0 + np.exp(-score))

    def as_dict(self) -> dict[str, Any]:
        return {"base": self.base, "trees": [t.__dict__ for t in self.trees]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Trees:
        return cls(float(raw["base"]), [Tree(**{k: list(v) for k, v in t.items()}) for t in raw["trees"]])


@dataclass(frozen=True)
class FitOptions:
    trees: int = 100
    depth: int = 3
    rate: float = 0.1
    bins: int = 32
    min_leaf: int = 30
    """A split leaves at least this many examples on each side."""
    l2: float = 1.0
    subsample: float = 0.8
    """Each tree sees this share of the examples (drawn with ``seed``)."""
    seed: int = 0


def _edges(column: FloatArray, bins: int) -> FloatArray:
    qs = np.unique(np.quantile(column, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.asarray(qs, dtype=np.float64)


def fit(x: FloatArray, y: NDArray[Any], options: FitOptions | None = None) -> Trees:
    """Trees that predict ``y`` (0/1) from the rows of ``x``, by second-order boosting of logistic loss."""
    opts = options or FitOptions()
    x = np.asarray(x, dtype=np.float64)
    target = np.asarray(y, dtype=np.float64)
    rng = np.random.default_rng(opts.seed)
    edges = [_edges(x[:, j], opts.bins) for j in range(x.shape[1])]
    binned = np.stack([np.searchsorted(edges[j], x[:, j], side="left") for j in range(x.shape[1])], axis=1)
    rate = float(np.clip(target.mean(), 1e-6, 1 - 1e-6))
    base = float(np.log(rate / (1 - rate)))
    score = np.full(len(x), base)
    trees: list[Tree] = []
    for _ in range(opts.trees):
        p = 1.0 / (1.0 + np.exp(-score))
        grad, hess = p - target, np.maximum(p * (1 - p), 1e-6)
        rows = np.flatnonzero(rng.random(len(x)) < opts.subsample)
        tree = _grow(binned, edges, grad, hess, rows, opts)
        trees.append(tree)
        score += tree.predict(x)
    return Trees(base, trees)


def _grow(
    binned: NDArray[Any],
    edges: list[FloatArray],
    grad: FloatArray,
    hess: FloatArray,
    rows: NDArray[Any],
    opts: FitOptions,
) -> Tree:
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[float] = []

    def node(idx: NDArray[Any], depth: int) -> int:
        me = len(feature)
        feature.append(-1)
        threshold.append(0.0)
        left.append(-1)
        right.append(-1)
        g, h = grad[idx].sum(), hess[idx].sum()
        value.append(float(-g / (h + opts.l2) * opts.rate))
        split = _best_split(binned, edges, grad, hess, idx, opts) if depth < opts.depth else None
        if split is None:
            return me
        j, b = split
        go_left = binned[idx, j] <= b
        feature[me], threshold[me] = j, float(edges[j][b])
        left[me] = node(idx[go_left], depth + 1)
        right[me] = node(idx[~go_left], depth + 1)
        return me

    node(rows, 0)
    return Tree(feature, threshold, left, right, value)


def _best_split(
    binned: NDArray[Any],
    edges: list[FloatArray],
    grad: FloatArray,
    hess: FloatArray,
    idx: NDArray[Any],
    opts: FitOptions,
) -> tuple[int, int] | None:
    if len(idx) < 2 * opts.min_leaf:
        return None
    g, h = grad[idx], hess[idx]
    total_g, total_h = g.sum(), h.sum()
    parent = total_g**2 / (total_h + opts.l2)
    best: tuple[float, int, int] | None = None
    for j, cuts in enumerate(edges):
        if len(cuts) == 0:
            continue
        nb = len(cuts) + 1
        col = binned[idx, j]
        gl = np.cumsum(np.bincount(col, weights=g, minlength=nb))[:-1]
        hl = np.cumsum(np.bincount(col, weights=h, minlength=nb))[:-1]
        nl = np.cumsum(np.bincount(col, minlength=nb))[:-1]
        ok = (nl >= opts.min_leaf) & (len(idx) - nl >= opts.min_leaf) & (nl > 0)
        if not ok.any():
            continue
        gain = gl**2 / (hl + opts.l2) + (total_g - gl) ** 2 / (total_h - hl + opts.l2) - parent
        gain = np.where(ok, gain, -np.inf)
        b = int(np.argmax(gain))
        if b < len(cuts) and (best is None or gain[b] > best[0]):
            best = (float(gain[b]), j, b)
    if best is None or best[0] <= 1e-9:
        return None
    return best[1], best[2]
