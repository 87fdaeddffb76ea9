"""Confidence you can trust: field confidences calibrated against measured correctness.

An extractor's confidence is a score, not a probability. For the fields with ground truth
(``config/calibration.yaml`` lists them), a logistic score per field combines the extractor's
score with what the receipt says about the value (:func:`features`), and a monotone curve
measured on a development set maps that score to the chance that the value is right
(``benchmarks/calibration.py fit``). The weights and curves are data; this module only applies
them. A document is then flagged for review when a field's calibrated confidence is under that
field's ``review_below`` (besides required fields missing).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import regex

from icr.config import config_dir, load_yaml
from icr.errors import ConfigError
from icr.types import Extraction, FieldValue

CENT = Decimal("0.01")
ROUNDING = Decimal("0.05")
"""A subtotal may exceed the total by a cash rounding (to 5 sen) before it counts as a conflict."""
FEATURES = ("bias", "confidence", "ocr_confidence", "unlabelled", "checked", "repeated", "conflict", "larger",
            "ambiguous", "implausible", "close")  # fmt: skip
_NUMERIC_DATE = regex.compile(r"(?<!\d)(\d{1,2})\s?[/.-]\s?(\d{1,2})\s?[/.-]\s?\d{2,4}(?!\d)")


def _amount(fields: Mapping[str, FieldValue], name: str) -> Decimal | None:
    f = fields.get(name)
    return f.typed if f is not None and isinstance(f.typed, Decimal) else None


def ledger_conflicts(fields: Mapping[str, FieldValue]) -> int:
    """How many of the receipt's sums contradict its total: tendered - change, a tender under the
    total, a subtotal (less its discount) above it."""
    total = _amount(fields, "total")
    if total is None:
        return 0
    paid, change, subtotal = (_amount(fields, n) for n in ("paid", "change", "subtotal"))
    tendered = paid is not None and (abs(paid - change - total) > CENT if change is not None else paid < total - CENT)
    parts = subtotal is not None and subtotal - abs(_amount(fields, "discount") or Decimal(0)) > total + ROUNDING
    return int(tendered) + int(parts)


def _printed(fv: FieldValue, text: str, amounts: list[Decimal]) -> int:
    """How often the value is printed on the page (an amount as an amount, else its raw text)."""
    if isinstance(fv.typed, Decimal):
        return sum(1 for a in amounts if a == fv.typed)
    return text.count(fv.raw) if fv.raw.strip() else 0


def _ambiguous_date(fv: FieldValue, text: str) -> bool:
    """A numeric date whose day and month could be each other (04/05/2018) on a page whose cues name
    no country that settles their order, nor a weekday printed beside it: the order is a guess."""
    m = _NUMERIC_DATE.search(fv.raw)
    swappable = bool(m) and int(m.group(1)) <= 12 and int(m.group(2)) <= 12 and int(m.group(1)) != int(m.group(2))
    if not swappable or _date_order(text) is not None:
        return False
    from icr.text.parsers import weekday_settles

    return not weekday_settles(fv.raw, text)


def _date_order(text: str) -> str | None:
    """The date order the countries the page's cues name agree on (None: no country named, or
    countries that write dates in different orders). Read off the text again: stored readings are
    calibrated too (``benchmarks/calibration.py``), and they keep no packs."""
    from icr.text.locales import all_tags, detect_locales, load_packs

    choice = detect_locales(text.splitlines())
    if set(choice.tags) == set(all_tags()):
        return choice.date_order  # a weak hint's, or none
    packs = load_packs()
    orders = {packs[t].date_order for t in choice.tags if packs[t].date_order}
    return orders.pop() if len(orders) == 1 else None


def features(
    fv: FieldValue,
    extraction: Extraction,
    ocr_confidence: float,
    amounts: list[Decimal] | None = None,
    close_within: float | None = None,
) -> dict[str, float]:
    """The facts about one reading that the model weighs (names match ``calibration.yaml``): the
    extractor's score, the page's OCR confidence, how the value was found (no label beside it, the
    arithmetic agreeing), whether the page prints it again, whether the extractor chose it by a
    close call (a rival of another value scored within ``close_within`` of it), and per kind what
    speaks against it — a total the receipt's sums contradict or under other amounts, a date whose
    day and month could be swapped or that is not a plausible purchase day. ``amounts``: the page's
    amounts, when known."""
    from icr.text.ledger import Provenance

    text = extraction.corrected_text
    if amounts is None:
        from icr.text.parsers import find_amounts

        amounts = [a for a, _, _ in find_amounts(text)]
    try:
        how = Provenance(fv.source)
    except ValueError:
        how = None
    x = dict.fromkeys(FEATURES, 0.0)
    x["bias"] = 1.0
    x["confidence"] = float(fv.confidence)
    x["ocr_confidence"] = float(ocr_confidence)
    x["unlabelled"] = float(how in (Provenance.POSITION, Provenance.POSITION_CHECKED))
    x["checked"] = float(how is not None and how.arithmetic)
    x["repeated"] = float(_printed(fv, text, amounts) > 1)
    if close_within is not None and fv.margin is not None:
        x["close"] = float(fv.margin < close_within)
    if isinstance(fv.typed, Decimal) and fv.name == "total":
        x["conflict"] = float(ledger_conflicts(extraction.fields))
        paid = _amount(extraction.fields, "paid")
        x["larger"] = min(3, sum(1 for a in amounts if a > fv.typed and a != paid)) / 3
    if isinstance(fv.typed, dt.date):
        x["ambiguous"] = float(_ambiguous_date(fv, text))
        x["implausible"] = float(fv.typed.year < 2000 or fv.typed > dt.date.today())
    return x


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
    close_within: float | None = None
    """A value whose extractor's score led a rival by less than this was a close call (``close``)."""
    rounding_pair: Decimal | None = None
    """A total that another amount printed on the page lies within this of flags the document: whether
    the rounded or the unrounded one of such a pair is the total is the vendor's convention."""

    def probability(self, x: Mapping[str, float], name: str) -> float | None:
        """The calibrated confidence of a reading of the field ``name`` with features ``x`` (None:
        not calibrated)."""
        model = self.models.get(name)
        if model is None:
            return None
        return model.probability(model.score(x))

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
            **({"close_within": self.close_within} if self.close_within is not None else {}),
            **({"rounding_pair": float(self.rounding_pair)} if self.rounding_pair is not None else {}),
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
        close_within = float(data["close_within"]) if data.get("close_within") is not None else None
        pair = data.get("rounding_pair")
        rounding_pair = Decimal(str(float(pair))) if pair is not None else None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{file}: weights, curves and thresholds must be numbers ({exc})") from exc
    unknown = {k for m in models.values() for k in m.weights} - set(FEATURES)
    if unknown:
        raise ConfigError(f"{file}: unknown feature {sorted(unknown)[0]!r} (known: {', '.join(FEATURES)})")
    if close_within is None and any("close" in m.weights for m in models.values()):
        raise ConfigError(f"{file}: the feature 'close' needs 'close_within' (the margin of a close call)")
    if rounding_pair is not None and rounding_pair <= 0:
        raise ConfigError(f"{file}: 'rounding_pair' must be a positive amount")
    return Calibration(models, review_below, close_within, rounding_pair)


def rounding_partner(total: Decimal, amounts: list[Decimal], within: Decimal) -> Decimal | None:
    """Another amount printed on the page that lies within ``within`` of ``total`` (72.93 beside a
    total of 72.95): the receipt prints a total before and after its rounding."""
    return next((a for a in amounts if a > 0 and a != total and abs(a - total) < within), None)


def calibrate(extraction: Extraction, ocr_confidence: float, calibration: Calibration) -> Extraction:
    """``extraction`` with calibrated confidences and its review flag decided on them."""
    fields: dict[str, FieldValue] = {}
    amounts: list[Decimal] | None = None
    for name, fv in extraction.fields.items():
        if name not in calibration.models:
            fields[name] = fv
            continue
        if amounts is None:
            from icr.text.parsers import find_amounts

            amounts = [a for a, _, _ in find_amounts(extraction.corrected_text)]
        x = features(fv, extraction, ocr_confidence, amounts, calibration.close_within)
        p = calibration.probability(x, name)
        fields[name] = fv if p is None else replace(fv, confidence=round(p, 3))
    # the confidence of a calibrated field is judged anew; missing fields and the others stay
    reasons = [
        r for r in extraction.review_reasons if r.split(":", 1)[0] not in calibration.models or r.endswith(": missing")
    ]
    for name, below in calibration.review_below.items():
        found = fields.get(name)
        if found is not None and found.confidence < below:
            reasons.append(f"{name}: low confidence {found.confidence:.2f}")
    total = _amount(fields, "total")
    if calibration.rounding_pair is not None and total is not None and not any(r.startswith("total:") for r in reasons):
        if amounts is None:
            from icr.text.parsers import find_amounts

            amounts = [a for a, _, _ in find_amounts(extraction.corrected_text)]
        partner = rounding_partner(total, amounts, calibration.rounding_pair)
        if partner is not None:
            reasons.append(f"total: {partner} printed beside it (rounded or not?)")
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
