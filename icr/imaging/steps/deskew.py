"""Deskew: measure a rotation of the text lines (up to ``max_skew``: ±15° unless configured; icr.yaml
sets 45° for photos taken at a slant) and undo it.

Two stages. A coarse angle comes from the minimum-area boxes of text lines
(letters joined by a wide dilation), weighted by line length. It is then refined
by a projection profile: the ink is rotated by candidate angles around the
coarse one and the angle whose row sums are sharpest (largest sum of squared
differences between neighbouring rows) wins. Text lines that are exactly
horizontal give the most contrasted profile, so the refinement lands within
about 0.1° on printed text.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from icr.imaging.steps.util import StepResult, analysis_copy, ink, shrink, u8, white
from icr.types import Image

ANALYSIS_SIDE = 1200
"""Skew is measured on a copy no larger than this (the angle does not depend on scale), reduced by a
whole number (see :func:`analysis_copy`), so between 600 and 1200 px."""


def _coarse_angle(binary: Image, max_angle: float) -> float | None:
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(9, binary.shape[1] // 60), 3))
    joined = cv2.dilate(binary, kernel)
    contours, _ = cv2.findContours(joined, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    angles: list[float] = []
    weights: list[float] = []
    for c in contours:
        (_, _), (w, h), angle = cv2.minAreaRect(c)
        if w < h:
            w, h = h, w
            angle -= 90
        if w < 40 or w < 3 * h:
            continue
        while angle < -45:
            angle += 90
        while angle > 45:
            angle -= 90
        if abs(angle) <= max_angle:
            angles.append(-angle)
            weights.append(w)
    if not angles:
        return None
    order = np.argsort(angles)
    cum = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cum, cum[-1] / 2)])


def _profile_score(binary: Image, degrees: float) -> float:
    h, w = binary.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    rotated = cv2.warpAffine(binary, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    rows = rotated.sum(axis=1, dtype=np.float64)
    return float(np.sum(np.diff(rows) ** 2))


def _refine(
    binary: Image, center: float, span: float, step: float, max_angle: float, also: float | None = None
) -> float:
    candidates = np.arange(center - span, center + span + step / 2, step)
    if also is not None:
        # A second neighbourhood (around "no skew"): the profile decides between the two.
        candidates = np.union1d(candidates, np.round(np.arange(also - span, also + span + step / 2, step), 6))
    candidates = candidates[np.abs(candidates) <= max_angle + 1e-9]
    if len(candidates) == 0:
        return center
    # The text is rotated by -angle to straighten it (see ``deskew``).
    scores = [_profile_score(binary, -float(a)) for a in candidates]
    return float(candidates[int(np.argmax(scores))])


def estimate_skew(gray: Image, max_angle: float = 15.0, ignore_below: float = 0.0) -> float:
    """Skew in degrees (positive = text rises to the right), within ±``max_angle``.

    ``ignore_below``: the caller leaves smaller skews alone, so an angle that the fine pass (±0.25°)
    cannot bring up to it is returned from the coarse pass (most pages: a third of the time)."""
    small, _ = analysis_copy(gray, ANALYSIS_SIDE)
    binary = ink(small)
    if not binary.any():
        return 0.0
    coarse = _coarse_angle(binary, max_angle)
    if coarse is None:
        # No line-shaped blobs: search the whole range with the profile alone.
        coarse = _refine(binary, 0.0, max_angle, 1.0, max_angle)
    # Profiles are scored on a smaller copy for speed; the angle is scale-free. The boxes can be
    # misled (ruling lines join text lines into slanted blobs), so the level page is always a
    # candidate as well: the sharper profile wins.
    probe, _ = shrink(binary, 900)
    angle = _refine(probe, coarse, 1.5, 0.25, max_angle, also=0.0)
    if abs(angle) + 0.25 < ignore_below:
        return angle
    return _refine(probe, angle, 0.25, 0.05, max_angle)


def rotate(image: Image, degrees: float) -> Image:
    """Rotate counter-clockwise by ``degrees`` on a canvas large enough to keep every corner."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos + 0.5), int(h * cos + w * sin + 0.5)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return u8(cv2.warpAffine(image, m, (nw, nh), flags=cv2.INTER_CUBIC, borderValue=white(image)))


def deskew(image: Image, options: dict[str, Any]) -> StepResult:
    """Rotate the text level; options ``max_skew`` (15°) and ``min_skew`` (0.3°, smaller is left alone)."""
    least = float(options.get("min_skew", 0.3))
    angle = estimate_skew(image, float(options.get("max_skew", 15.0)), ignore_below=least)
    if abs(angle) < least:
        return image, {"deskew_applied": 0.0, "skew_degrees": angle}
    return rotate(image, -angle), {"deskew_applied": 1.0, "skew_degrees": angle}
