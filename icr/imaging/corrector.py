"""The OpenCV image corrector: named steps run in a configured order."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from icr.types import CorrectedPage, Image, Page

StepResult = tuple[Image, dict[str, float]]
Step = Callable[[Image, dict[str, Any]], StepResult]


def grayscale(image: Image, options: dict[str, Any]) -> StepResult:
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), {}
    return image, {}


def estimate_skew(gray: Image, max_angle: float = 15.0) -> float:
    """Skew in degrees (positive = text rises to the right), from the text's minimum-area box."""
    small = gray
    scale = 1.0
    if max(gray.shape) > 1600:
        scale = 1600 / max(gray.shape)
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    binary = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    # Join letters into line blobs, then take the median angle of the wide blobs.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(9, small.shape[1] // 60), 3))
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
        if angle < -45:
            angle += 90
        elif angle > 45:
            angle -= 90
        if abs(angle) <= max_angle:
            angles.append(-angle)
            weights.append(w)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cum = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cum, cum[-1] / 2)])


def rotate(image: Image, degrees: float) -> Image:
    """Rotate counter-clockwise by ``degrees`` on a canvas large enough to keep every corner."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos + 0.5), int(h * cos + w * sin + 0.5)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    border = 255 if image.ndim == 2 else (255, 255, 255)
    return cv2.warpAffine(image, m, (nw, nh), flags=cv2.INTER_CUBIC, borderValue=border)


def deskew(image: Image, options: dict[str, Any]) -> StepResult:
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    angle = estimate_skew(gray, float(options.get("max_skew", 15.0)))
    if abs(angle) < float(options.get("min_skew", 0.3)):
        return image, {"skew_degrees": angle}
    return rotate(image, -angle), {"skew_degrees": angle}


def text_height(gray: Image) -> float:
    """Median height in pixels of character-sized connected components."""
    binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    heights = [
        stats[i, cv2.CC_STAT_HEIGHT]
        for i in range(1, n)
        if 4 <= stats[i, cv2.CC_STAT_HEIGHT] <= 200 and stats[i, cv2.CC_STAT_WIDTH] <= 200
    ]
    return float(np.median(heights)) if heights else 0.0


def rescale(image: Image, options: dict[str, Any]) -> StepResult:
    target = float(options.get("target_text_height", 30))
    max_side = int(options.get("max_side", 4000))
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    height = text_height(gray)
    scale = 1.0
    if height > 0 and height < target * 0.75:
        scale = min(target / height, 4.0)
    if max(image.shape[:2]) * scale > max_side:
        scale = max_side / max(image.shape[:2])
    if abs(scale - 1.0) < 0.05:
        return image, {"scale": 1.0, "text_height": height}
    interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=interp), {"scale": scale, "text_height": height}


STEPS: dict[str, Step] = {"grayscale": grayscale, "deskew": deskew, "rescale": rescale}
"""Every step by name; ``config/icr.yaml`` lists which run, in order."""


@dataclass
class OpenCVCorrector:
    """The default corrector: runs the configured steps and times each one."""

    options: dict[str, Any]
    name: str = "opencv"

    def correct(self, page: Page, steps: Sequence[str] | None = None) -> CorrectedPage:
        names = list(steps if steps is not None else self.options.get("steps", []))
        image = page.image
        out = CorrectedPage(image=image, number=page.number, text_layer=page.text_layer)
        for name in names:
            step = STEPS.get(name)
            if step is None:
                raise ValueError(f"unknown image corrector step '{name}' (known: {', '.join(STEPS)})")
            start = time.perf_counter()
            image, info = step(image, self.options)
            out.timings[name] = time.perf_counter() - start
            out.info.update(info)
            out.steps.append(name)
        if image.ndim == 3:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        out.image = np.ascontiguousarray(image)
        return out


@dataclass
class NoopCorrector:
    """Passes pages through (grayscale only): the corrector switched off, and the fake for tests."""

    options: dict[str, Any]
    name: str = "none"

    def correct(self, page: Page, steps: Sequence[str] | None = None) -> CorrectedPage:
        image = page.image if page.image.ndim == 2 else cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY)
        return CorrectedPage(image=image, number=page.number, text_layer=page.text_layer)
