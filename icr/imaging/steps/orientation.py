"""Orientation: turn a page lying at 90, 180 or 270 degrees upright.

Two detectors, chosen by ``orientation_method``:

* ``ocr`` (default): a probe — the middle of the page, its letters brought to
  ~30 px — is read by Tesseract (``--psm 6``) as it is and, unless that reading
  is already convincing, turned by 90, 180 and 270 degrees. Each reading scores
  the letters of words Tesseract is confident about (>= 60); text upside down or
  sideways reads as low-confidence noise. The page turns only when another
  orientation clearly beats the one it has.
* ``osd``: Tesseract's orientation detection (``--psm 0``). It is fast, but on
  receipts (narrow, few lines, dot-matrix fonts) it reports confidences below 2
  and was wrong on about half of the pages measured, so it is not the default.

When no reading finds text (a blank page, a photo) the page is kept as it is.
"""

from __future__ import annotations

import os
import re
from typing import Any

import cv2
import numpy as np

from icr.imaging.steps.background import flatten
from icr.imaging.steps.util import StepResult, ink, to_gray, u8
from icr.types import Image

_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_CONFIDENCE = re.compile(r"Orientation confidence:\s*([\d.]+)")

TURNS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def turn(image: Image, clockwise: int) -> Image:
    """Rotate by a multiple of 90 degrees clockwise, without resampling."""
    code = TURNS.get(clockwise % 360)
    return image if code is None else u8(cv2.rotate(image, code))


def letter_size(gray: Image) -> float:
    """Median letter size in pixels whatever the page's orientation (larger of median height and width)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink(gray), connectivity=8)
    if n <= 1:
        return 0.0
    h, w = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    keep = (h >= 4) & (w >= 2) & (h <= 200) & (w <= 200) & (np.maximum(h, w) <= 3 * np.minimum(h, w))
    if not keep.any():
        return 0.0
    return float(max(np.median(h[keep]), np.median(w[keep])))


def probe(gray: Image, target: float = 30.0, side: int = 700) -> Image:
    """The middle ``side`` x ``side`` pixels of the page with letters about ``target`` px tall."""
    size = letter_size(gray)
    scale = min(max(target / size, 0.25), 3.0) if size > 0 else 1.0
    if abs(scale - 1.0) > 0.1:
        interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        gray = u8(cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interp))
    h, w = gray.shape
    y0, x0 = max(0, (h - side) // 2), max(0, (w - side) // 2)
    return np.ascontiguousarray(gray[y0 : y0 + side, x0 : x0 + side])


def reading_score(image: Image, timeout: float = 20.0) -> int:
    """Letters in words Tesseract reads with confidence >= 60 (0 when Tesseract fails)."""
    import pytesseract

    try:
        data = pytesseract.image_to_data(
            image, config="--psm 6", output_type=pytesseract.Output.DICT, timeout=timeout
        )
    except (pytesseract.TesseractError, RuntimeError):
        return 0
    score = 0
    for text, conf in zip(data["text"], data["conf"], strict=False):
        letters = sum(ch.isalnum() for ch in str(text))
        if letters >= 2 and float(conf) >= 60:
            score += letters
    return score


def detect_by_reading(gray: Image, options: dict[str, Any]) -> tuple[int, float]:
    """(clockwise degrees that make the page upright, winning score / runner-up score)."""
    sample = probe(gray, float(options.get("probe_text_height", 30)), int(options.get("probe_side", 700)))
    # Shadows make Tesseract read poorly in every orientation: read the probe with the light flattened.
    sample = flatten(sample)
    timeout = float(options.get("osd_timeout", 20))
    scores = {0: reading_score(sample, timeout)}
    if scores[0] >= int(options.get("upright_score", 50)):
        return 0, float("inf")
    for degrees in (90, 180, 270):
        scores[degrees] = reading_score(turn(sample, degrees), timeout)
    best = max(scores, key=lambda d: scores[d])
    others = [s for d, s in scores.items() if d != best]
    ratio = scores[best] / max(max(others), 1)
    if best == 0 or scores[best] < int(options.get("min_score", 15)):
        return 0, ratio
    if scores[best] < float(options.get("min_ratio", 1.5)) * scores[0]:
        return 0, ratio
    return best, ratio


def detect_by_osd(gray: Image, options: dict[str, Any]) -> tuple[int, float]:
    """(clockwise degrees that make the page upright, OSD confidence); (0, 0.0) when OSD fails."""
    import pytesseract

    sample = probe(gray, float(options.get("probe_text_height", 30)), 2400)
    try:
        report = pytesseract.image_to_osd(
            sample, config="--psm 0 -c min_characters_to_try=10", timeout=float(options.get("osd_timeout", 20))
        )
    except (pytesseract.TesseractError, RuntimeError):
        return 0, 0.0
    rotate, conf = _ROTATE.search(report), _CONFIDENCE.search(report)
    if not rotate:
        return 0, 0.0
    confidence = float(conf.group(1)) if conf else 0.0
    if confidence < float(options.get("min_osd_confidence", 2.0)):
        return 0, confidence
    return int(rotate.group(1)) % 360, confidence


def detect_orientation(image: Image, options: dict[str, Any] | None = None) -> tuple[int, float]:
    """Clockwise degrees (0, 90, 180 or 270) that make the page upright, and the detector's confidence."""
    opts = options or {}
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    method = str(opts.get("orientation_method", "ocr"))
    gray = to_gray(image)
    if method == "ocr":
        return detect_by_reading(gray, opts)
    if method == "osd":
        return detect_by_osd(gray, opts)
    raise ValueError(f"unknown orientation_method '{method}' (known: ocr, osd)")


def orientation(image: Image, options: dict[str, Any]) -> StepResult:
    """Options: ``orientation_method`` (ocr|osd), ``upright_score`` (50), ``min_score`` (15),
    ``min_ratio`` (1.5), ``min_osd_confidence`` (2.0)."""
    degrees, confidence = detect_orientation(image, options)
    info = {"rotation": float(degrees), "orientation_confidence": min(confidence, 1e6)}
    return turn(image, degrees), info
