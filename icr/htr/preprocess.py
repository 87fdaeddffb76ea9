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


TRIM_CONTRAST = 40  # grey levels between paper and ink (their medians) for ink to be told apart
TRIM_KEEP = 0.8  # a crop whose ink and margins fill this share of both sides is left as it is
TRIM_PAD = (0.15, 0.25)  # margins kept above and below, and left and right, in ink heights


def ink_box(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """Where to cut a loose crop (a form's zone around what was written in it): its ink with margins
    like those the recognizer was trained with, as (left, top, right, bottom). Specks, ruled lines
    along the crop and a box drawn round it are not ink; None for a tight crop, a faint one or one
    without clear ink (read as it is)."""
    gray = to_gray(image)
    h, w = gray.shape[:2]
    if h < 8 or w < 8:
        return None
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink, paper = gray[mask > 0], gray[mask == 0]
    if ink.size == 0 or paper.size == 0 or float(np.median(paper)) - float(np.median(ink)) < TRIM_CONTRAST:
        return None
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    kept = []
    for x, y, cw, ch, area in stats[1:count]:
        speck = area < max(4, 0.0005 * h * w)
        rule = (cw >= 0.9 * w and cw >= 12 * ch) or (ch >= 0.9 * h and ch >= 12 * cw)
        frame = cw >= 0.9 * w and ch >= 0.9 * h and area < 0.1 * cw * ch
        if not (speck or rule or frame):
            kept.append((x, y, x + cw, y + ch))
    if not kept:
        return None
    x0, y0 = min(k[0] for k in kept), min(k[1] for k in kept)
    x1, y1 = max(k[2] for k in kept), max(k[3] for k in kept)
    vpad, hpad = (round(share * (y1 - y0)) for share in TRIM_PAD)
    top, bottom, left, right = max(0, y0 - vpad), min(h, y1 + vpad), max(0, x0 - hpad), min(w, x1 + hpad)
    if bottom - top >= TRIM_KEEP * h and right - left >= TRIM_KEEP * w:
        return None
    return (left, top, right, bottom)
