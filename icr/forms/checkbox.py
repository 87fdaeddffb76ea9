"""Tick boxes: small drawn squares found on the page, ticked or not by the ink inside them.

A box is a closed outline about a letter high and as wide as it is high whose four sides are ink;
what is inside its sides decides: much ink is a tick (or a cross, or a filled box), almost none
is an empty box, and in between is unsure (a speck, a faint mark: a person should look).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from icr.types import Box, Image, box_overlap


@dataclass(frozen=True)
class CheckboxOptions:
    """Sizes in letter heights, ink as a share of a box's inside (``forms.checkboxes``)."""

    min_size: float = 0.6
    max_size: float = 2.6
    squareness: float = 0.25
    """Width and height differ by at most this share."""
    side_ink: float = 0.7
    """Each side of a box is ink along this share of its length."""
    ticked: float = 0.12
    """A box whose inside is ink on this share or more is ticked ..."""
    empty: float = 0.03
    """... on this share or less empty; in between, unsure."""


def ink_mask(image: Image) -> Image:
    """Dark pixels (ink) as 255, by Otsu's threshold on the grey page."""
    import cv2  # the parent of a worker pool never loads OpenCV (tests/test_memory.py)

    from icr.imaging.steps.util import to_gray

    gray = to_gray(image)
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return np.asarray(mask, dtype=np.uint8)


def inside_ink(mask: Image, box: Box) -> float:
    """The share of ink inside a box, its sides (a sixth of it on each edge) left out."""
    x0, y0, x1, y1 = box
    mx, my = max(2, (x1 - x0) // 6), max(2, (y1 - y0) // 6)
    inner = mask[y0 + my : y1 - my, x0 + mx : x1 - mx]
    return float(np.count_nonzero(inner)) / inner.size if inner.size else 0.0


def state(share: float, options: CheckboxOptions) -> bool | None:
    """Ticked (True), empty (False) or unsure (None) from the ink inside."""
    if share >= options.ticked:
        return True
    if share <= options.empty:
        return False
    return None


def _sides_inked(mask: Image, box: Box, options: CheckboxOptions) -> bool:
    x0, y0, x1, y1 = box
    t = max(2, (x1 - x0) // 8)
    sides = [mask[y0 : y0 + t, x0:x1], mask[y1 - t : y1, x0:x1], mask[y0:y1, x0 : x0 + t], mask[y0:y1, x1 - t : x1]]
    runs = [np.any(s, axis=0 if i < 2 else 1) for i, s in enumerate(sides)]
    return all(r.size and float(np.mean(r)) >= options.side_ink for r in runs)


def _corners_inked(mask: Image, box: Box) -> bool:
    """A drawn square has ink in its four corners (a round letter, "O", has none)."""
    x0, y0, x1, y1 = box
    c = max(2, (x1 - x0) // 8)
    corners = [mask[y0 : y0 + c, x0 : x0 + c], mask[y0 : y0 + c, x1 - c : x1],
               mask[y1 - c : y1, x0 : x0 + c], mask[y1 - c : y1, x1 - c : x1]]  # fmt: skip
    return all(np.count_nonzero(corner) >= corner.size // 3 for corner in corners)


def find_boxes(image: Image, letter_height: float, options: CheckboxOptions | None = None) -> list[Box]:
    """Tick boxes on a page whose letters are ``letter_height`` px high, top to bottom."""
    import cv2

    options = options or CheckboxOptions()
    mask = ink_mask(image)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    lo, hi = options.min_size * letter_height, options.max_size * letter_height
    found: list[Box] = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if not (lo <= w <= hi and lo <= h <= hi) or abs(w - h) > options.squareness * max(w, h):
            continue
        box = (x, y, x + w, y + h)
        outline = cv2.approxPolyDP(contour, 0.1 * cv2.arcLength(contour, True), True)
        if len(outline) == 4 and _corners_inked(mask, box) and _sides_inked(mask, box, options):
            found.append(box)
    kept: list[Box] = []
    for box in sorted(found, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1])):
        if not any(box_overlap(box, k) > 0.3 for k in kept):  # a box's inner outline is the same box
            kept.append(box)
    return sorted(kept, key=lambda b: (b[1], b[0]))
