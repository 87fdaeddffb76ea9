"""Background cleaning: flatten uneven light, denoise, optionally binarize.

* Flatten: the paper's brightness is estimated by closing the image (a max
  filter wider than any stroke, so text disappears) on a reduced copy, smoothed
  and enlarged back; the image is divided by it. Shadows and gradients become
  white paper again while the ink keeps its contrast.
* Denoise: a 3x3 median (``denoise: median``), non-local means
  (``denoise: nlmeans``, slower) or nothing.
* Binarize: ``none`` (keep gray — Tesseract 5's LSTM reads gray well and does
  its own thresholding), ``otsu`` (one global threshold), ``sauvola`` (local
  threshold from the window's mean and deviation) or ``adaptive`` (local
  Gaussian mean). The benchmark in ``benchmarks/image_corrector.py`` measures
  which one to use.

Gate: on a copy of at most ``background_side`` (300) px the paper's brightness
is estimated the same way (closing, median); unless its spread — (95th - 5th
percentile) / 95th — exceeds ``background_gate`` the light is even and the
image is returned untouched (``background_applied: 0``). Denoising or a
binarization that is asked for still runs on such pages.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from icr.imaging.steps.scale import text_height
from icr.imaging.steps.util import StepResult, analysis_copy, as_uint8, resized, to_gray, u8
from icr.types import Image


def estimate_background(gray: Image, stroke: float) -> Image:
    """The paper's brightness at every pixel (text removed), same size as ``gray``."""
    h, w = gray.shape
    factor = min(1.0, 600 / max(h, w))
    small = resized(gray, factor) if factor < 1 else gray
    k = int(max(5, stroke * factor * 2.5)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    bg = cv2.medianBlur(bg, k if k <= 255 else 255)
    bg = cv2.GaussianBlur(bg, (0, 0), k / 2)
    if factor < 1:
        bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    return u8(bg)


def flatten(gray: Image, stroke: float | None = None) -> Image:
    """Divide by the estimated background so the paper is uniformly white."""
    if stroke is None:
        stroke = max(text_height(gray), 8.0)
    bg = estimate_background(gray, stroke).astype(np.float32)
    ratio = gray.astype(np.float32) / np.maximum(bg, 1.0)
    return as_uint8(ratio * 255.0)


def sauvola(gray: Image, window: int = 25, k: float = 0.2, r: float = 128.0) -> Image:
    """Sauvola's local threshold: T = mean * (1 + k * (std / r - 1)); ink becomes 0, paper 255."""
    window = max(3, window | 1)
    g = gray.astype(np.float32)
    mean = cv2.boxFilter(g, cv2.CV_32F, (window, window), borderType=cv2.BORDER_REPLICATE)
    sq = cv2.boxFilter(g * g, cv2.CV_32F, (window, window), borderType=cv2.BORDER_REPLICATE)
    std = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    threshold = mean * (1.0 + k * (std / r - 1.0))
    return np.where(g > threshold, 255, 0).astype(np.uint8)


def binarize(gray: Image, method: str, window: int = 25, k: float = 0.2) -> Image:
    """Black ink on white paper by ``method``: otsu | sauvola | adaptive | none."""
    if method == "none":
        return gray
    if method == "otsu":
        return u8(cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1])
    if method == "sauvola":
        return sauvola(gray, window, k)
    if method == "adaptive":
        return u8(cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, window | 1, 10))
    raise ValueError(f"unknown binarization '{method}' (known: none, otsu, sauvola, adaptive)")


def denoise(gray: Image, method: str) -> Image:
    if method == "none":
        return gray
    if method == "median":
        return u8(cv2.medianBlur(gray, 3))
    if method == "nlmeans":
        return u8(cv2.fastNlMeansDenoising(gray, None, h=10, templateWindowSize=7, searchWindowSize=21))
    raise ValueError(f"unknown denoise method '{method}' (known: none, median, nlmeans)")


def unevenness(image: Image, side: int = 300) -> float:
    """How much the paper's brightness varies across the page: (p95 - p5) / p95 of its estimate, 0..1."""
    small, _ = analysis_copy(image, side)
    k = max(5, max(small.shape) // 15) | 1
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.medianBlur(bg, k)
    lo, hi = np.percentile(bg, (5, 95))
    return float((hi - lo) / max(hi, 1.0))


def background(image: Image, options: dict[str, Any]) -> StepResult:
    """Options: ``flatten`` (true), ``denoise`` (none|median|nlmeans), ``binarize``
    (none|otsu|sauvola|adaptive), ``binarize_window`` (px, 0 = from text height), ``sauvola_k`` (0.2),
    ``background_gate`` (spread of the paper's brightness above which it is flattened, 0.15),
    ``background_side`` (size of the copy the gate looks at, 300 px)."""
    denoise_method = str(options.get("denoise", "none"))
    method = str(options.get("binarize", "none"))
    spread = unevenness(image, int(options.get("background_side", 300)))
    uneven = bool(options.get("flatten", True)) and spread > float(options.get("background_gate", 0.15))
    if not uneven and denoise_method == "none" and method == "none":
        return image, {"background_applied": 0.0, "unevenness": spread}
    gray = to_gray(image)
    height = text_height(gray)
    stroke = max(height, 8.0)
    out = flatten(gray, stroke) if uneven else gray
    out = denoise(out, denoise_method)
    window = int(options.get("binarize_window", 0)) or int(max(15, 2 * stroke)) | 1
    out = binarize(out, method, window, float(options.get("sauvola_k", 0.2)))
    return out, {"background_applied": 1.0, "unevenness": spread, "text_height": height}
