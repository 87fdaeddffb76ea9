"""Helpers shared by the steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from icr.types import Image

StepResult = tuple[Image, dict[str, float]]
Step = Callable[[Image, dict[str, Any]], StepResult]


def u8(array: Any) -> Image:
    """``array`` typed as an 8-bit image (OpenCV's stubs return untyped arrays); no copy when it is one."""
    return np.asarray(array, dtype=np.uint8)


def to_gray(image: Image) -> Image:
    """The image as one grayscale channel (a no-op when it already is)."""
    if image.ndim == 3:
        return u8(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    return image


def grayscale(image: Image, options: dict[str, Any]) -> StepResult:
    """BGR to one channel; later steps and Tesseract work on gray."""
    return to_gray(image), {}


def resized(image: Image, scale: float, interpolation: int | None = None) -> Image:
    """``image`` scaled by ``scale`` (cubic up, area averages down), at least one pixel a side."""
    if interpolation is None:
        interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    h, w = image.shape[:2]
    if round(h * scale) >= 1 and round(w * scale) >= 1:
        return u8(cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation))
    # A strip thinner than the factor's step (a 20,000 x 12 banner) keeps one pixel across.
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return u8(cv2.resize(image, size, interpolation=interpolation))


def shrink(image: Image, max_side: int) -> tuple[Image, float]:
    """A copy no larger than ``max_side`` on its long side, and the factor used (<= 1)."""
    side = max(image.shape[:2])
    if side <= max_side:
        return image, 1.0
    scale = max_side / side
    return resized(image, scale, cv2.INTER_AREA), scale


def ink(gray: Image) -> Image:
    """Dark-on-light text as a 0/255 mask of ink (Otsu), 255 where there is ink."""
    return u8(cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1])


def white(image: Image) -> int | tuple[int, int, int]:
    """The fill value for white in this image's channel layout."""
    return 255 if image.ndim == 2 else (255, 255, 255)


def as_uint8(values: np.ndarray) -> Image:
    return np.clip(values, 0, 255).astype(np.uint8)


ANALYSIS_SIDE = 800
"""The gates look at a copy no larger than this on its long side (a few ms, whatever the scan's size)."""


def analysis_copy(image: Image, max_side: int = ANALYSIS_SIDE, gray: bool = True) -> tuple[Image, float]:
    """A grayscale copy no larger than ``max_side`` on its long side, and the factor used (<= 1).

    The image is reduced by a whole number (pixel areas averaged: OpenCV's fast path, several times
    quicker than an arbitrary factor), so the copy may be up to half ``max_side``; reduced before the
    colour conversion, so a large BGR scan costs one resize, not a full-size conversion. With
    ``gray=False`` the reduced copy keeps its colours.
    """
    h, w = image.shape[:2]
    # A strip thinner than the step (a 20,000 x 12 banner) is reduced by its short side at most.
    step = min(-(-max(h, w) // max_side), min(h, w))
    if step <= 1:
        return (to_gray(image) if gray else image), 1.0
    # The edge rows and columns beyond a multiple of ``step`` are left out: only an exact whole-number
    # reduction takes OpenCV's fast path (4-40x quicker than the general one on a 2333 x 835 scan).
    whole = image[: h - h % step, : w - w % step]
    small = u8(cv2.resize(whole, (w // step, h // step), interpolation=cv2.INTER_AREA))
    return (to_gray(small) if gray else small), 1.0 / step


def paper_level(gray: Image) -> float:
    """The brightness of the paper: the 90th percentile of the grey levels (text is the dark minority)."""
    hist = np.bincount(gray.ravel(), minlength=256).cumsum()
    return float(np.searchsorted(hist, 0.9 * hist[-1]))


def longest_run(flags: np.ndarray) -> int:
    """The length of the longest run of True in a 1-D boolean array."""
    if not flags.any():
        return 0
    padded = np.concatenate([[0], flags.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[0::2]).max())
