"""Confidence you can trust: field confidences calibrated against measured correctness.

An extractor's confidence is a score, not a probability. For the fields with ground truth
(``config/calibration.yaml`` lists them), a logistic score per field combines the extractor's
score with the page's OCR confidence, and a monotone curve measured on a development set maps
that score to the chance that the value is right (``benchmarks/calibration.py fit``). The
weights and curves are data; this module only applies them. A document is then flagged for
review when a field's calibrated confidence is under that field's ``review_below`` (besides
required fields missing).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from icr.config import config_dir, load_yaml
from icr.errors import ConfigError
from icr.types import Extraction, FieldValue


def features(confidence: float, source: str, ocr_confidence: float) -> dict[str, float]:
    """The facts about one reading that the model weighs (names match ``calibration.yaml``).
    ``source`` is not among them: the extractor's score already counts how a value was found
    (beside its label, agreed by the arithmetic), and source flags fitted on 100 receipts
    caught fewer wrong totals held out (benchmarks/README.md, "Confidence calibration")."""
    del source
    return {"bias": 1.0, "confidence": float(confidence), "ocr_confidence": float(ocr_confidence)}


@dataclass(frozen=True)
class FieldModel:
    """A logistic score ``z = sum(weight * feature)`` and the measured chance of being right at
    each score (points ``(z, p)``, increasing; between them linear, beyond them flat). Without
    points, ``p = 1 / (1 + exp(-z))``."""

    weights: Mapping[str, float]
    curve: tuple[tuple[float, float], ...] = ()

    def score(self, x: Mapping[str, float]) -> float:
        return sum(self.weights.get(k, 0.0) * v for k, v in x.items())

    def probability(self, z: float) -> float:
        if not self.curve:
            return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))
        if z <= self.curve[0][0]:
            return self.curve[0][1]
        for (z0, p0), (z1, p1) in itertools.pairwise(self.curve):
            if z <= z1:
                return p0 + (p1 - p0) * (z - z0) / (z1 - z0) if z1 > z0 else p1
        return self.curve[-1][1]


@dataclass(frozen=True)
class Calibration:
    models: Mapping[str, FieldModel]
    """Field -> its model."""
    review_below: Mapping[str, float]
    """Field -> a calibrated confidence under this flags the document for review."""

    def probability(self, name: str, confidence: float, source: str, ocr_confidence: float) -> float | None:
        """The calibrated confidence of a reading of the field ``name`` (None: not calibrated)."""
        model = self.models.get(name)
        if model is None:
            return None
        return model.probability(model.score(features(confidence, source, ocr_confidence)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "fields": {
                n: {
                    "weights": {k: round(v, 4) for k, v in m.weights.items()},
                    "curve": [[round(z, 4), round(p, 4)] for z, p in m.curve],
                }
                for n, m in self.models.items()
            },
            "review_below": {n: round(v, 4) for n, v in self.review_below.items()},
        }


def load_calibration(path: Path | str | None = None) -> Calibration:
    """``calibration.yaml`` (default: the config folder's)."""
    file = Path(path) if path else config_dir() / "calibration.yaml"
    data = load_yaml(file)
    fields = data.get("fields") or {}
    below = data.get("review_below") or {}
    if not isinstance(fields, dict) or not isinstance(below, dict):
        raise ConfigError(f"{file}: 'fields' and 'review_below' must be mappings")
    try:
        models = {
            str(n): FieldModel(
                {str(k): float(v) for k, v in (m.get("weights") or {}).items()},
                tuple((float(z), float(p)) for z, p in (m.get("curve") or [])),
            )
            for n, m in fields.items()
        }
        review_below = {str(n): float(v) for n, v in below.items()}
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{file}: weights, curves and thresholds must be numbers ({exc})") from exc
    unknown = {k for m in models.values() for k in m.weights} - set(features(0.0, "", 0.0))
    if unknown:
        raise ConfigError(f"{file}: unknown feature {sorted(unknown)[0]!r} (known: {', '.join(features(0, '', 0))})")
    return Calibration(models, review_below)


def calibrate(extraction: Extraction, ocr_confidence: float, calibration: Calibration) -> Extraction:
    """``extraction`` with calibrated confidences and its review flag decided on them."""
    fields: dict[str, FieldValue] = {}
    for name, fv in extraction.fields.items():
        p = calibration.probability(name, fv.confidence, fv.source, ocr_confidence)
        fields[name] = fv if p is None else replace(fv, confidence=round(p, 3))
    # the confidence of a calibrated field is judged anew; missing fields and the others stay
    reasons = [
        r for r in extraction.review_reasons if r.split(":", 1)[0] not in calibration.models or r.endswith(": missing")
    ]
    for name, below in calibration.review_below.items():
        found = fields.get(name)
        if found is not None and found.confidence < below:
            reasons.append(f"{name}: low confidence {found.confidence:.2f}")
    return replace(extraction, fields=fields, needs_review=bool(reasons), review_reasons=reasons)


def monotone_curve(scored: list[tuple[float, bool]], caution: float = 1.0) -> tuple[tuple[float, float], ...]:
    """Points ``(z, p)`` of the chance of being right against the score: runs of readings pooled
    until the share right never falls as the score rises (pool-adjacent-violators), each run's share
    taken ``caution`` standard deviations below its posterior mean (few readings: a cautious
    chance), at the run's mean score."""
    blocks: list[list[float]] = []  # [sum z, readings, right]
    for z, ok in sorted(scored):
        blocks.append([z, 1.0, 1.0 if ok else 0.0])
        while len(blocks) > 1 and blocks[-2][2] / blocks[-2][1] >= blocks[-1][2] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [a + b for a, b in zip(blocks[-1], last, strict=True)]
    points: list[tuple[float, float]] = []
    for total_z, n, right in blocks:
        mean = (right + 1) / (n + 2)
        p = max(0.0, mean - caution * math.sqrt(mean * (1 - mean) / (n + 3)))
        p = max(p, points[-1][1]) if points else p
        points.append((total_z / n, p))
    return tuple(points)


def fit_logistic(rows: list[tuple[dict[str, float], bool]], l2: float = 1.0, steps: int = 50) -> dict[str, float]:
    """Weights of a logistic model fitted by Newton's method with an L2 penalty (not on the bias)."""
    import numpy as np

    names = list(rows[0][0]) if rows else []
    x = np.array([[r[0][n] for n in names] for r in rows], dtype=float)
    y = np.array([1.0 if r[1] else 0.0 for r in rows])
    w = np.zeros(len(names))
    penalty = np.diag([0.0 if n == "bias" else l2 for n in names])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -40, 40)))
        grad = x.T @ (p - y) + penalty @ w
        hess = (x * (p * (1 - p))[:, None]).T @ x + penalty + 1e-9 * np.eye(len(names))
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return {n: float(v) for n, v in zip(names, w, strict=True)}
