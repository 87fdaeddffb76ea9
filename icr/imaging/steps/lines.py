"""Line removal: horizontal and vertical ruling lines (tables, form boxes, separators).

Ink (a local threshold, so shadows do not matter) is opened with a long thin
kernel: only runs longer than ``min_line_letters`` letter heights (and at least
``min_line_fraction`` of the page) survive, which letters never are. Runs thicker
than ``max_thickness_letters`` of a letter are solid blocks, not rules, and stay.

Where a letter crosses a removed rule its stroke would be cut in two. The cut is
healed: the remaining ink is closed across the rule (vertically for a
horizontal rule and vice versa) and the pixels that close bridges keep their
ink, so "T" standing on an underline stays a "T".
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from icr.imaging.steps.scale import text_height
from icr.imaging.steps.util import StepResult, to_gray, u8
from icr.types import Image


def _ink_local(gray: Image, letter: float) -> Image:
    block = int(max(15, 2 * letter)) | 1
    return u8(cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15))


def _rules(binary: Image, length: int, horizontal: bool, max_thickness: float) -> tuple[Image, float]:
    """Mask of the ruling lines in one direction and their median thickness."""
    size = (length, 1) if horizontal else (1, length)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
    opened = u8(cv2.morphologyEx(binary, cv2.MORPH_OPEN, kernel))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    if n <= 1:
        return opened, 0.0
    extent = stats[1:, cv2.CC_STAT_WIDTH] if horizontal else stats[1:, cv2.CC_STAT_HEIGHT]
    thickness = stats[1:, cv2.CC_STAT_AREA] / np.maximum(extent, 1)
    keep = np.flatnonzero(thickness <= max_thickness) + 1
    if len(keep) == 0:
        return np.zeros_like(binary), 0.0
    mask = np.where(np.isin(labels, keep), 255, 0).astype(np.uint8)
    return mask, float(np.median(thickness[keep - 1]))


def line_mask(gray: Image, options: dict[str, Any]) -> tuple[Image, Image, int]:
    """(pixels to whiten, pixels of letters crossing rules to keep, number of rules found)."""
    letter = max(text_height(gray), 8.0)
    binary = _ink_local(gray, letter)
    h, w = gray.shape
    min_letters = float(options.get("min_line_letters", 4.0))
    min_fraction = float(options.get("min_line_fraction", 0.08))
    max_thick = max(6.0, float(options.get("max_thickness_letters", 0.4)) * letter)
    found: list[tuple[Image, float, bool]] = []
    count = 0
    for horizontal in (True, False):
        side = w if horizontal else h
        length = int(max(min_letters * letter, min_fraction * side, 15))
        rules, thick = _rules(binary, length, horizontal, max_thick)
        if rules.any():
            count += cv2.connectedComponents(rules)[0] - 1
            grown = u8(cv2.dilate(rules, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))))
            found.append((grown, thick, horizontal))
    remove = np.zeros_like(binary)
    for grown, _, _ in found:
        remove = u8(cv2.bitwise_or(remove, grown))
    # Letters are what is left once every rule is gone; bridge them across each rule.
    rest = u8(cv2.bitwise_and(binary, cv2.bitwise_not(remove)))
    heal = np.zeros_like(binary)
    for grown, thick, horizontal in found:
        span = int(thick) + 4
        bridge = (1, span) if horizontal else (span, 1)
        closed = cv2.morphologyEx(rest, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge))
        heal = u8(cv2.bitwise_or(heal, cv2.bitwise_and(closed, grown)))
    return remove, heal, count


def lines(image: Image, options: dict[str, Any]) -> StepResult:
    """Whiten ruling lines, keep letters that cross them. Options: ``min_line_letters`` (4),
    ``min_line_fraction`` (0.08 of the page side), ``max_thickness_letters`` (0.4)."""
    gray = to_gray(image)
    remove, heal, count = line_mask(gray, options)
    if count == 0:
        return image, {"lines_removed": 0.0}
    whiten = cv2.bitwise_and(remove, cv2.bitwise_not(heal)) > 0
    out = image.copy()
    out[whiten] = 255
    return out, {"lines_removed": float(count)}
