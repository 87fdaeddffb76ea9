"""Border removal: black scanner borders and dark noise along the page edges.

Two passes on the ink mask (Otsu):

1. Bands: from each side, rows (or columns) that are mostly dark are scanner
   border; they are painted white, up to ``max_band`` of the page.
2. Edge blobs: ink components that touch the image frame, are mostly solid
   (half their ink survives an opening by ~0.4 letter, which strokes and ruling
   lines do not: a table grid touching the frame is no border) and are large — longer
   than ``edge_span`` of the side or with more pixels than a few lines of text —
   are a border that is not axis-aligned (a skewed scan), a shadow at the fold
   or the dark table around a receipt; their solid part is painted white (ruling
   lines and letters that touch it stay). Letters cut by the edge are small and stay.

The image keeps its size; only dark pixels turn white.

Gate: on a small copy, the outermost strip of each side is looked at; unless
one side has a dark run longer than ``border_gate`` of its length (a band, a
wedge, a dark blob — letters touching the edge are short runs) the image is
returned untouched (``border_applied: 0``). The mask is made on a copy of at
most ``border_side`` px and enlarged: a border is large, it needs no full size.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from icr.imaging.steps.scale import text_height
from icr.imaging.steps.util import StepResult, analysis_copy, ink, longest_run, u8
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
    letter = max(text_height(gray), 8.0)
    # Only solid ink can be a border: opening with a square of ~0.4 letter removes strokes and
    # ruling lines (a table grid touching the frame is not a border, nor are the letters on it).
    # On a small copy with tiny letters 0.4 letter is less than a rule's thickness (a 2 px rule
    # drawn on a 1,500 px scan is 3 px of ink): never open with less than ``solid_min_px``.
    k = max(int(options.get("solid_min_px", 5)), round(float(options.get("solid_letters", 0.4)) * letter)) | 1
    solid = cv2.morphologyEx(rest, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    if n <= 1:
        return mask
    solid_share = np.bincount(labels[solid > 0], minlength=n)[1:] / np.maximum(stats[1:, cv2.CC_STAT_AREA], 1)
    span = float(options.get("edge_span", 0.3))
    big_area = max(float(options.get("edge_area_letters", 40)) * letter * letter, 0.002 * h * w)
    x0, y0 = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_TOP]
    bw, bh = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    area = stats[1:, cv2.CC_STAT_AREA]
    # Touching the frame left once the bands are gone.
    touches = (x0 <= left + 1) | (y0 <= top + 1) | (x0 + bw >= w - right - 1) | (y0 + bh >= h - bottom - 1)
    large = (bw > span * w) | (bh > span * h) | (area > big_area)
    solid_enough = solid_share >= float(options.get("min_solid_share", 0.5))
    chosen = np.flatnonzero(touches & large & solid_enough) + 1
    if len(chosen):
        blobs = np.isin(labels, chosen)
        if options.get("border_solid_only", True):
            # Only the solid part (and a rim of the opening's size): ruling lines and letters that
            # touch a dark surround belong to its component but are not border; they stay.
            grown = cv2.dilate(solid, cv2.getStructuringElement(cv2.MORPH_RECT, (k + 2, k + 2)))
            blobs &= grown > 0
        mask[blobs] = 255
    return mask


def edge_darkness(small: Image, options: dict[str, Any]) -> float:
    """The longest dark run along any side of ``small``, as a share of that side (0..1).

    A position along a side is dark when most of the strip there (``border_strip`` of the other
    side deep, at least 2 px) is ink.
    """
    h, w = small.shape
    binary = ink(small) > 0
    depth = max(2, round(float(options.get("border_strip", 0.005)) * min(h, w)))
    strips = (
        binary[:depth].mean(axis=0),
        binary[-depth:].mean(axis=0),
        binary[:, :depth].mean(axis=1),
        binary[:, -depth:].mean(axis=1),
    )
    return max(longest_run(strip >= 0.5) / len(strip) for strip in strips)


def border(image: Image, options: dict[str, Any]) -> StepResult:
    """Paint scanner borders and large edge blobs white. Options: ``band_dark_fraction`` (0.6),
    ``max_band`` (0.25 of the side), ``edge_span`` (0.3 of the side), ``edge_area_letters`` (40),
    ``border_gate`` (a dark run along a side longer than this share of it lets the step run, 0.1),
    ``border_side`` (size of the copy the border is found on, 1200 px)."""
    small, factor = analysis_copy(image, int(options.get("border_side", 1200)))
    darkness = edge_darkness(small, options)
    if darkness <= float(options.get("border_gate", 0.1)):
        return image, {"border_applied": 0.0, "border_fraction": 0.0, "edge_darkness": darkness}
    # The mask is found on the small copy too; enlarged, and grown by a pixel of the small copy so
    # the blurred rim of a band does not stay behind as a thin dark line.
    mask = border_mask(small, options)
    if factor < 1:
        h, w = image.shape[:2]
        mask = u8(cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST))
        grow = 2 * int(np.ceil(1 / factor)) + 1
        mask = u8(cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (grow, grow))))
    removed = float(np.count_nonzero(mask)) / mask.size
    if removed == 0:
        return image, {"border_applied": 0.0, "border_fraction": 0.0, "edge_darkness": darkness}
    out = image.copy()
    out[mask > 0] = 255
    return out, {"border_applied": 1.0, "border_fraction": removed, "edge_darkness": darkness}
