"""Rescale: bring capital letters to the height Tesseract reads best.

Tesseract's LSTM models were trained on text around 300 DPI, where a 10-point
capital is about 30 pixels tall. The text height is the median height of
character-sized ink blobs; small text is enlarged towards
``target_text_height``, large images are reduced to ``max_side``.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from icr.imaging.steps.util import StepResult, analysis_copy, ink, resized, to_gray
from icr.types import Image


def text_height(gray: Image) -> float:
    """Median height in pixels of character-sized connected components."""
    binary = ink(to_gray(gray))
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n <= 1:
        return 0.0
    h = stats[1:, cv2.CC_STAT_HEIGHT]
    w = stats[1:, cv2.CC_STAT_WIDTH]
    # Letters: not specks, not lines, not huge blobs.
    keep = (h >= 4) & (h <= 200) & (w <= 200) & (w <= 3 * h)
    heights = h[keep]
    if len(heights) == 0:
        return 0.0
    return float(np.median(heights))


def rescale(image: Image, options: dict[str, Any]) -> StepResult:
    """Options: ``target_text_height`` (30 px), ``max_upscale`` (4), ``max_side`` (4000 px),
    ``downscale_above`` (text taller than this many times the target is reduced; 2.5),
    ``rescale_side`` (the text height is measured on a copy this large, 1600 px)."""
    target = float(options.get("target_text_height", 30))
    max_side = int(options.get("max_side", 4000))
    max_up = float(options.get("max_upscale", 4.0))
    down_above = float(options.get("downscale_above", 2.5))
    height = page_text_height(image, options)
    scale = 1.0
    if 0 < height < target * 0.75:
        scale = min(target / height, max_up)
    elif height > target * down_above:
        scale = target / height
    if max(image.shape[:2]) * scale > max_side:
        scale = max_side / max(image.shape[:2])
    if abs(scale - 1.0) < 0.05:
        return image, {"rescale_applied": 0.0, "scale": 1.0, "text_height": height}
    return resized(image, scale), {"rescale_applied": 1.0, "scale": scale, "text_height": height}


def page_text_height(image: Image, options: dict[str, Any]) -> float:
    """:func:`text_height` of the page in its own pixels, measured on a copy of at most
    ``rescale_side`` px (letters stay well above the 4 px floor)."""
    small, factor = analysis_copy(image, int(options.get("rescale_side", 1600)))
    return text_height(small) / factor


def reduce(image: Image, options: dict[str, Any]) -> StepResult:
    """Shrink a huge page whose letters are much taller than Tesseract needs (a 600 DPI scan).

    Tesseract's time grows with the page's pixels while letters about ``target_text_height``
    tall read as well, so only pages whose longer side reaches ``reduce_min_side`` (4000 px)
    and whose text is taller than ``reduce_above`` (1.3) times the target are scaled, down to
    the target. Smaller pages are left alone: their reading changes for no time saved."""
    target = float(options.get("target_text_height", 30))
    if max(image.shape[:2]) < int(options.get("reduce_min_side", 4000)):
        return image, {"reduce_applied": 0.0}
    height = page_text_height(image, options)
    if height <= target * float(options.get("reduce_above", 1.3)):
        return image, {"reduce_applied": 0.0, "text_height": height}
    scale = target / height
    return resized(image, scale), {"reduce_applied": 1.0, "scale": scale, "text_height": height}
