"""The one image preparation that training and reading share."""

from __future__ import annotations

import cv2
import numpy as np

MAX_WIDTH_RATIO = 24  # a crop wider than 24 text heights is squeezed (a long line)


def to_gray(image: np.ndarray) -> np.ndarray:
    """A uint8 grayscale copy of a grayscale, BGR or BGRA image."""
    if image.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        image = cv2.cvtColor(image, code)
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    return image


def prepare(image: np.ndarray, height: int, width_scale: float = 1.0) -> np.ndarray:
    """(3, height, width) float32 in [-1, 1]: the crop scaled to ``height``, its width by
    ``width_scale`` more (1: the aspect ratio kept, as the PP-OCR recognizers were trained;
    less: fewer columns to compute, the model trained on the same squeeze)."""
    gray = to_gray(image)
    h, w = gray.shape[:2]
    width = int(np.clip(round(w * height / max(h, 1) * width_scale), height // 2, height * MAX_WIDTH_RATIO))
    resized = cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA if h > height else cv2.INTER_LINEAR)
    x = resized.astype(np.float32) / 127.5 - 1.0
    return np.repeat(x[None, :, :], 3, axis=0)


def batch(images: list[np.ndarray], width: int = 0) -> np.ndarray:
    """Prepared crops padded on the right (with 0, mid-grey) to the widest, or to ``width``
    when wider: (N, 3, H, W)."""
    width = max(width, *(x.shape[2] for x in images))
    out = np.zeros((len(images), *images[0].shape[:2], width), np.float32)
    for i, x in enumerate(images):
        out[i, :, :, : x.shape[2]] = x
    return out
