"""Border removal: black scanner borders and dark noise along the page edges.

Two passes on the ink mask (Otsu):

1. Bands: from each side, rows (or columns) that are mostly dark are scanner
   border; they are painted white, up to ``max_band`` of the page.
2. Edge blobs: ink components that touch the image frame and are large — longer
   than ``edge_span`` of the side or with more pixels than a few lines of text —
   are a border that is not axis-aligned (a skewed scan), a shadow at the fold
   or the dark table around a receipt; they are painted white. Letters cut by
   the edge are small and stay.

The image keeps its size; only dark pixels turn white.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from icr.imaging.steps.scale import text_height
from icr.imaging.steps.util import StepResult, ink, to_gray
from icr.types import Image


def _band(fractions: np.ndarray, dark: float, limit: int) -> int:
    """How many leading entries of ``fractions`` are above ``dark`` (at most ``limit``)."""
    n = 0
    while n < min(limit, len(fractions)) and fractions[n] > dark:
        n += 1
    return n


def border_mask(gray: Image, options: dict[str, Any]) -> Image:
    """255 where a pixel belongs to a border, 0 elsewhere."""
    h, w = gray.shape
    binary = ink(gray)
    if not binary.any():
        return np.zeros_like(gray)
    dark = float(options.get("band_dark_fraction", 0.6))
    limit_frac = float(options.get("max_band", 0.25))
    mask = np.zeros_like(gray)
    rows = binary.mean(axis=1) / 255.0
    cols = binary.mean(axis=0) / 255.0
    top = _band(rows, dark, int(h * limit_frac))
    bottom = _band(rows[::-1], dark, int(h * limit_frac))
    left = _band(cols, dark, int(w * limit_frac))
    right = _band(cols[::-1], dark, int(w * limit_frac))
    mask[:top, :] = 255
    mask[h - bottom :, :] = 255
    mask[:, :left] = 255
    mask[:, w - right :] = 255

    rest = cv2.bitwise_and(binary, cv2.bitwise_not(mask))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    if n <= 1:
        return mask
    span = float(options.get("edge_span", 0.3))
    letter = max(text_height(gray), 8.0)
    big_area = max(float(options.get("edge_area_letters", 40)) * letter * letter, 0.002 * h * w)
    x0, y0 = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_TOP]
    bw, bh = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    area = stats[1:, cv2.CC_STAT_AREA]
    # Touching the frame left once the bands are gone.
    touches = (x0 <= left + 1) | (y0 <= top + 1) | (x0 + bw >= w - right - 1) | (y0 + bh >= h - bottom - 1)
    large = (bw > span * w) | (bh > span * h) | (area > big_area)
    chosen = np.flatnonzero(touches & large) + 1
    if len(chosen):
        mask[np.isin(labels, chosen)] = 255
    return mask


def border(image: Image, options: dict[str, Any]) -> StepResult:
    """Paint scanner borders and large edge blobs white. Options: ``band_dark_fraction`` (0.6),
    ``max_band`` (0.25 of the side), ``edge_span`` (0.3 of the side), ``edge_area_letters`` (40)."""
    gray = to_gray(image)
    mask = border_mask(gray, options)
    removed = float(np.count_nonzero(mask)) / mask.size
    if removed == 0:
        return image, {"border_fraction": 0.0}
    out = image.copy()
    out[mask > 0] = 255
    return out, {"border_fraction": removed}
