"""Contrast: darken faint ink (a faded thermal receipt, a light photocopy) against its paper.

On a small copy the paper's grey is the median and the ink is every pixel at least
``contrast_ink_margin`` darker than it; the ink's level is a low percentile of those (the
middle of the strokes, not their soft edges). Unless the ink is less than
``contrast_gate`` grey levels darker than the paper, the page is passed on untouched
(``contrast_applied: 0``). Otherwise every pixel's darkness below the paper is scaled, so that
the ink lies ``contrast_target`` levels below white and the paper is white; the gain is capped
at ``contrast_max_gain`` so that paper grain does not become speckle.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from icr.imaging.steps.util import ANALYSIS_SIDE, StepResult, as_uint8, shrink, to_gray
from icr.types import Image

MIN_INK_SHARE = 0.002
"""A page with less ink than this share of its pixels (a blank page) is left alone."""


def ink_contrast(gray: Image, margin: float, percentile: float = 10.0) -> tuple[float, float] | None:
    """The paper's grey and how much darker than it the ink is (None: too little ink to tell)."""
    small, _ = shrink(gray, ANALYSIS_SIDE)
    paper = float(np.median(small))
    dark = small[small < paper - margin]
    if dark.size < MIN_INK_SHARE * small.size:
        return None
    return paper, paper - float(np.percentile(dark, percentile))


def contrast(image: Image, options: dict[str, Any]) -> StepResult:
    """Options: ``contrast_gate`` (grey levels; 0 switches the step off), ``contrast_target``,
    ``contrast_max_gain``, ``contrast_ink_margin``."""
    gate = float(options.get("contrast_gate", 100))
    if gate <= 0:
        return image, {"contrast_applied": 0.0}
    gray = to_gray(image)
    found = ink_contrast(gray, float(options.get("contrast_ink_margin", 25)))
    if found is None or found[1] >= gate:
        return image, {"contrast_applied": 0.0}
    paper, depth = found
    gain = min(float(options.get("contrast_max_gain", 3.0)), float(options.get("contrast_target", 200)) / depth)
    if gain <= 1.0:
        return image, {"contrast_applied": 0.0}
    darkness = np.maximum(paper - gray.astype(np.float32), 0.0)
    return as_uint8(255.0 - darkness * gain), {"contrast_applied": 1.0, "contrast_gain": round(gain, 2)}
