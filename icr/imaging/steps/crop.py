"""Crop: find the document in a photo or scan with darker surroundings and cut it out.

The paper is the largest bright, colourless region, with any other nearly as large (receipts side
by side on a scanner bed): on a reduced, blurred copy
(grey level less half the colour saturation, so a brown desk stays dark even
where a shadow darkens the page as much) the pixels above Otsu's threshold are
closed (to fill the text) and opened (to cut thin bridges to bright clutter), and
the largest component is taken. It is cropped
only when it is clearly a document on a darker background: it covers between
``min_area`` and ``max_area`` of the image and is brighter than its
surroundings by ``min_contrast`` grey levels.

Gate: most scans are the page alone. Before any of that, a ring along the
frame of a small copy is looked at; unless more than ``crop_gate`` of it is
darker than the paper by ``min_contrast`` (a desk, a scanner bed) the image is
returned untouched (``crop_applied: 0``).

When the outline simplifies to a convex quadrilateral (a page photographed at
an angle, or lying tilted) the quadrilateral is warped to an upright rectangle
(four-point perspective correction); otherwise, or when the quadrilateral is
already upright within ``crop_square_tolerance`` of the long side, the page's
bounding box is cut.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from icr.imaging.steps.util import ANALYSIS_SIDE, StepResult, analysis_copy, paper_level, to_gray, u8
from icr.types import Image


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left."""
    pts = points.reshape(4, 2).astype(np.float32)
    center = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - center[1], pts[:, 0] - center[0])
    pts = pts[np.argsort(angles)]  # clockwise on screen, starting near the left
    start = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -start, axis=0)


def warp_quad(image: Image, corners: np.ndarray) -> Image:
    """Map the quadrilateral ``corners`` (tl, tr, br, bl) onto an upright rectangle."""
    tl, tr, br, bl = corners
    width = round(float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    height = round(float(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    border = 255 if image.ndim == 2 else (255, 255, 255)
    return u8(cv2.warpPerspective(image, m, (width, height), flags=cv2.INTER_CUBIC, borderValue=border))


def paperness(small: Image, weight: float) -> Image:
    """How much each pixel of ``small`` (BGR or grey) looks like paper: its grey level less
    ``weight`` times its colour saturation. Paper is grey or white, desks and tables are mostly
    coloured (wood), and a shadow across the page makes the paper as dark as the desk but not as
    coloured."""
    gray = to_gray(small)
    if small.ndim == 2 or weight <= 0:
        return gray
    saturation = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)[..., 1].astype(np.float32)
    return u8(np.clip(gray.astype(np.float32) - weight * saturation, 0, 255).astype(np.uint8))


def _square(corners: np.ndarray, tolerance: float) -> bool:
    """Whether the quadrilateral is its own bounding box give or take ``tolerance`` px: a page
    lying straight in a dark surround (a black-bordered scan) is cut, not warped (a warp
    resamples every pixel for nothing)."""
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    box = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
    return bool(np.abs(corners - box).max() <= tolerance)


def surrounded(small: Image, options: dict[str, Any]) -> bool:
    """Whether the frame of ``small`` is mostly darker than the paper: the cheap test before :func:`find_page`."""
    h, w = small.shape
    d = max(2, round(float(options.get("crop_ring", 0.04)) * min(h, w)))
    ring = np.concatenate([small[:d].ravel(), small[-d:].ravel(), small[:, :d].ravel(), small[:, -d:].ravel()])
    dark = ring < paper_level(small) - float(options.get("min_contrast", 40))
    return float(dark.mean()) > float(options.get("crop_gate", 0.5))


def find_page(small: Image, factor: float, options: dict[str, Any]) -> tuple[np.ndarray, bool] | None:
    """The page outline in full-size coordinates (``small`` is the image reduced by ``factor``) and whether
    it is a quadrilateral; None when no page stands out."""
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    _, bright = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    side = max(small.shape)
    close_k = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, side // 40) | 1,) * 2)
    open_k = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, side // 100) | 1,) * 2)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, close_k)
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, open_k)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if n <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    # Other regions near the largest's size are paper too (receipts side by side on a scanner bed, a
    # page a shadow cuts in two): all are kept, or the rest would be cut away with their text.
    papers = 1 + np.flatnonzero(areas >= float(options.get("crop_paper_share", 0.25)) * areas.max())
    region = np.isin(labels, papers).astype(np.uint8) * 255
    fraction = float(areas[papers - 1].sum()) / region.size
    if not float(options.get("min_area", 0.08)) <= fraction <= float(options.get("max_area", 0.9)):
        return None
    # A page lies inside the photo; a lit patch of a shadowed page runs along the frame.
    frame = np.concatenate([region[0, :], region[-1, :], region[:, 0], region[:, -1]])
    if np.count_nonzero(frame) / frame.size > float(options.get("max_frame_contact", 0.4)):
        return None
    inside = float(blurred[region > 0].mean())
    outside = float(blurred[region == 0].mean())
    if inside - outside < float(options.get("min_contrast", 40)):
        return None
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if len(papers) > 1:  # several papers: the box around them all, none warped into another's shape
        return cv2.convexHull(np.concatenate(contours)).reshape(-1, 2).astype(np.float32) / factor, False
    outline = cv2.convexHull(max(contours, key=cv2.contourArea))
    for eps in (0.02, 0.03, 0.04, 0.05):
        approx = cv2.approxPolyDP(outline, eps * cv2.arcLength(outline, True), True)
        if len(approx) == 4 and cv2.isContourConvex(approx):
            quad_area = cv2.contourArea(approx)
            # The quadrilateral must describe the region, not cut a corner off it.
            if quad_area > 0 and cv2.contourArea(outline) / quad_area > 0.9:
                return approx.reshape(4, 2).astype(np.float32) / factor, True
    return outline.reshape(-1, 2).astype(np.float32) / factor, False


def crop(image: Image, options: dict[str, Any]) -> StepResult:
    """Options: ``min_area`` (0.08), ``max_area`` (0.9), ``min_contrast`` (40 grey levels),
    ``max_frame_contact`` (share of the image's edge the page may touch, 0.4),
    ``crop_saturation_weight`` (0.5: colour counts against being paper, see :func:`paperness`),
    ``crop_paper_share`` (other bright regions at least this share of the largest's area are paper
    too, and the crop keeps them all, 0.25),
    ``crop_margin`` (pixels kept around a bounding-box crop, 4), ``crop_square_tolerance`` (a
    quadrilateral whose corners are this share of the long side from its bounding box is cut, not
    warped; 0.01), ``crop_gate`` (share of the frame ring that must be dark before the page is
    looked for, 0.5), ``crop_ring`` (ring depth, 0.04 of the side)."""
    colour, factor = analysis_copy(image, ANALYSIS_SIDE, gray=False)
    small = paperness(colour, float(options.get("crop_saturation_weight", 0.5)))
    if not surrounded(small, options):
        return image, {"crop_applied": 0.0, "cropped": 0.0}
    found = find_page(small, factor, options)
    if found is None:
        return image, {"crop_applied": 0.0, "cropped": 0.0}
    points, is_quad = found
    h, w = image.shape[:2]
    if is_quad:
        corners = order_corners(points)
        if _square(corners, float(options.get("crop_square_tolerance", 0.01)) * max(h, w)):
            # The rectangle inside the four corners: the page's pixels as they are, no surround.
            (tl, tr, br, bl) = corners
            x0, y0 = int(np.ceil(max(tl[0], bl[0]))), int(np.ceil(max(tl[1], tr[1])))
            x1, y1 = int(min(tr[0], br[0])) + 1, int(min(bl[1], br[1])) + 1
            out = image[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)].copy()
            share = out.shape[0] * out.shape[1] / (h * w)
            return out, {"crop_applied": 1.0, "cropped": 1.0, "perspective": 0.0, "crop_fraction": share}
        out = warp_quad(image, corners)
        share = out.shape[0] * out.shape[1] / (h * w)
        return out, {"crop_applied": 1.0, "cropped": 1.0, "perspective": 1.0, "crop_fraction": share}
    margin = int(options.get("crop_margin", 4))
    x, y, bw, bh = cv2.boundingRect(points.astype(np.int32))
    x0, y0 = max(0, x - margin), max(0, y - margin)
    x1, y1 = min(w, x + bw + margin), min(h, y + bh + margin)
    out = image[y0:y1, x0:x1].copy()
    share = out.shape[0] * out.shape[1] / (h * w)
    return out, {"crop_applied": 1.0, "cropped": 1.0, "perspective": 0.0, "crop_fraction": share}
