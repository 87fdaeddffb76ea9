"""The one image preparation that training and reading share."""

from __future__ import annotations

import itertools

import cv2
import numpy as np

MAX_WIDTH_RATIO = 24  # a crop wider than 24 text heights is squeezed (a long line)
PIECE_RATIO = 16  # a reader cuts a crop wider than this many heights into pieces at gaps in its ink
WORD_GAP = 0.35  # a gap this many ink heights wide between two pieces parts two words


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


LINE_SHARE = 0.5  # a band of ink at least this share of the tallest band's height is a line of its own
LINE_PAD = 0.15  # a line is cut with this share of its height above and below
LINE_GAP = 0.3  # two lines are parted by empty rows at least this share of the shorter one's height
LINE_MIN = 0.12  # ... and each is at least this share of the crop's height
BAR_FILL = 0.9  # a band inked in this share of the columns it spans is a bar (a box's edge, an underline)


def text_lines(image: np.ndarray) -> list[tuple[int, int]]:
    """The rows (top, bottom) of each line of writing in a crop, top to bottom: bands of ink parted by
    empty rows, each at least ``LINE_MIN`` of the crop's height and ``LINE_SHARE`` of the tallest band's,
    parted by ``LINE_GAP`` of the shorter one's height. Ruled lines and bars of solid ink (a box's edge, a
    thick underline) are no writing; a lower band (a dot, an accent, a speck) goes with its nearest line.
    One band for a crop of one line, or one without clear ink."""
    gray = to_gray(image)
    h, w = gray.shape[:2]
    if h < 8 or w < 8:
        return [(0, h)]
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    mask = cv2.bitwise_and(mask, cv2.bitwise_not(_rules(mask)))
    # a stroke a scan broke across a row or two stays whole
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((max(3, round(0.1 * h)), 1), np.uint8))
    inked = mask.sum(axis=1) > 0
    bands: list[list[int]] = []
    for y, on in enumerate(inked):
        if on and bands and bands[-1][1] == y:
            bands[-1][1] = y + 1
        elif on:
            bands.append([y, y + 1])
    bands = [band for band in bands if not _bar(mask[band[0] : band[1]])]
    if len(bands) < 2:
        return [(0, h)]
    tallest = max(b - a for a, b in bands)
    tall_enough = max(LINE_SHARE * tallest, LINE_MIN * h)
    lines = [band for band in bands if band[1] - band[0] >= tall_enough]
    if len(lines) < 2 or any(
        below[0] - above[1] < LINE_GAP * min(above[1] - above[0], below[1] - below[0])
        for above, below in itertools.pairwise(lines)
    ):
        return [(0, h)]
    for band in (b for b in bands if b[1] - b[0] < tall_enough):
        near = min(lines, key=lambda ln: max(ln[0] - band[1], band[0] - ln[1]))
        near[0], near[1] = min(near[0], band[0]), max(near[1], band[1])
    out = []
    for top, bottom in lines:
        pad = round(LINE_PAD * (bottom - top))
        out.append((max(0, top - pad), min(h, bottom + pad)))
    return out


def _bar(band: np.ndarray) -> bool:
    """A band of ink that is a bar, not writing: solid over most of the columns it spans, and those
    half the crop's width or more (writing leaves gaps between its letters and strokes)."""
    columns = np.nonzero(band.sum(axis=0))[0]
    if columns.size == 0:
        return True
    span = columns[-1] - columns[0] + 1
    return span >= 0.5 * band.shape[1] and columns.size >= BAR_FILL * span


def pieces(image: np.ndarray, ratio: float = PIECE_RATIO) -> list[tuple[int, int, bool]]:
    """Where to cut a long line so that each piece is at most ``ratio`` heights wide: (left, right,
    whether a word gap follows it), left to right; one piece for a crop that short. Each cut goes
    through the widest gap in the ink in the second half of the piece's reach, else through its
    faintest column: the recognizer reads a line squeezed into its widest input as nothing."""
    gray = to_gray(image)
    h, w = gray.shape[:2]
    limit = max(2, int(ratio * h))
    if w <= limit:
        return [(0, w, False)]
    _, mask = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink = mask.sum(axis=0)
    empty = ink <= max(0, round(0.02 * h))  # a speck or a ruled line's edge leaves a column empty
    rows = np.nonzero(mask)[0]
    letters = float(np.subtract(*np.percentile(rows, [99, 1]))) if rows.size else float(h)  # the ink's height
    out: list[tuple[int, int, bool]] = []
    start = 0
    while w - start > limit:
        lo, hi = start + limit // 2, start + limit
        best: tuple[int, int] | None = None  # (length, end) of the widest run of empty columns
        run = 0
        for x in range(lo, hi):
            run = run + 1 if empty[x] else 0
            if run and (best is None or run >= best[0]):
                best = (run, x + 1)
        if best is None:
            cut, gap = lo + int(np.argmin(ink[lo:hi])), False
        else:
            cut, gap = best[1] - (best[0] + 1) // 2, best[0] >= WORD_GAP * letters
        out.append((start, cut, gap))
        start = cut
    out.append((start, w, False))
    return out


def batch(images: list[np.ndarray], width: int = 0) -> np.ndarray:
    """Prepared crops padded on the right (with 0, mid-grey) to the widest, or to ``width``
    when wider: (N, 3, H, W)."""
    width = max(width, *(x.shape[2] for x in images))
    out = np.zeros((len(images), *images[0].shape[:2], width), np.float32)
    for i, x in enumerate(images):
        out[i, :, :, : x.shape[2]] = x
    return out


SKEW_MIN_RATIO = 6  # crops at least this many times as wide as tall (a line, not a word) are straightened
SKEW_MAX_DEGREES = 8.0  # the slopes searched, either way
SKEW_MIN_DEGREES = 1.0  # a line sloping less is read as it is
SKEW_POINTS = 3000  # ink pixels sampled to measure the slope


def dark_on_light(image: np.ndarray) -> np.ndarray:
    """A grey copy of ``image`` with its writing darker than its ground, as the recognizer was trained:
    the paper is the middle grey level (it covers most of a crop) and the writing what stands furthest
    from it; writing lighter than its ground (chalk, a negative scan) comes back inverted, dark writing
    in a shaded box as it is."""
    gray = to_gray(image)
    if gray.size == 0:
        return gray
    low, paper, high = np.percentile(gray, (2, 50, 98))
    return 255 - gray if high - paper > paper - low else gray


def straighten(image: np.ndarray) -> np.ndarray:
    """A line of writing that slopes, sheared level: the slope is the one whose rows hold the ink most
    tightly (the sum of squared ink counts per row, searched to a quarter degree). A vertical shear
    keeps every column where it was, so places along the crop stay true. Words, level lines and
    crops without clear ink come back as they are (grey)."""
    gray = to_gray(image)
    h, w = gray.shape[:2]
    if w < SKEW_MIN_RATIO * h or h < 8:
        return gray
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ys, xs = np.nonzero(mask)
    if ys.size < 50 or ys.size == mask.size:
        return gray
    if ys.size > SKEW_POINTS:
        pick = np.random.default_rng(0).choice(ys.size, SKEW_POINTS, replace=False)
        ys, xs = ys[pick], xs[pick]

    def tightness(degrees: float) -> float:
        rows = np.round(ys - xs * np.tan(np.radians(degrees))).astype(np.int64)
        return float((np.bincount(rows - rows.min()).astype(np.float64) ** 2).sum())

    coarse = max(np.arange(-SKEW_MAX_DEGREES, SKEW_MAX_DEGREES + 0.5, 1.0), key=tightness)
    slope = max(np.arange(coarse - 0.75, coarse + 0.8, 0.25), key=tightness)
    if abs(slope) < SKEW_MIN_DEGREES:
        return gray
    tan = float(np.tan(np.radians(slope)))
    paper = int(np.median(gray[mask == 0]))
    shear = np.array([[1, 0, 0], [-tan, 1, max(0.0, w * tan)]], np.float32)
    level = cv2.warpAffine(
        gray, shear, (w, h + int(np.ceil(w * abs(tan)))), flags=cv2.INTER_LINEAR, borderValue=paper
    )
    _, mask = cv2.threshold(level, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    top, bottom = np.percentile(np.nonzero(mask)[0], [0.5, 99.5])  # specks aside
    pad = TRIM_PAD[0] * (bottom - top)
    return level[max(0, int(top - pad)) : int(bottom + pad) + 1]


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
    rules = _rules(mask)
    if rules.any():  # a dark box or line sets Otsu's threshold against itself: faint writing read as paper
        level, _ = cv2.threshold(gray[rules == 0].reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        mask = np.where((gray <= level) & (rules == 0), 255, 0).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    x, y, cw, ch, area = stats[1:].T
    speck = area < max(4, 0.0005 * h * w)
    rule = ((cw >= 0.9 * w) & (cw >= 12 * ch)) | ((ch >= 0.9 * h) & (ch >= 12 * cw))
    kept = ~(speck | rule)
    if not kept.any():
        return None
    x0, y0 = int(x[kept].min()), int(y[kept].min())
    x1, y1 = int((x + cw)[kept].max()), int((y + ch)[kept].max())
    vpad, hpad = (round(share * (y1 - y0)) for share in TRIM_PAD)
    top, bottom, left, right = max(0, y0 - vpad), min(h, y1 + vpad), max(0, x0 - hpad), min(w, x1 + hpad)
    if bottom - top >= TRIM_KEEP * h and right - left >= TRIM_KEEP * w:
        return None
    return (left, top, right, bottom)


RULE_SPAN = 0.5  # a straight run of ink this share of the crop's width is a ruled line, not writing
RULE_THICK = 0.1  # ... and thinner than this share of its height
FRAME_SIDE = 0.1  # upright lines as tall as the crop in this share of its width at either end: a box


def _rules(mask: np.ndarray) -> np.ndarray:
    """The ruled lines and the sides of a box in an ink mask: their pixels only, so that writing
    that touches a line stays ink (dropping whole components took such a word with it)."""
    h, w = mask.shape[:2]
    across = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, max(3, round(RULE_SPAN * w))), np.uint8))
    upright = np.zeros_like(mask)
    edge, tall = max(1, round(FRAME_SIDE * w)), np.ones((max(3, round(0.9 * h)), 1), np.uint8)
    for side in (np.s_[:, :edge], np.s_[:, w - edge :]):
        upright[side] = cv2.morphologyEx(np.ascontiguousarray(mask[side]), cv2.MORPH_OPEN, tall)
    # a rule is thin: a run as thick as a tenth of the crop is writing (a filled box, a bold stroke);
    # at the ends any thickness goes (a scan's dark edge)
    thick = max(4, round(RULE_THICK * h))
    bold = cv2.morphologyEx(across, cv2.MORPH_OPEN, np.ones((thick, 1), np.uint8))
    across = cv2.bitwise_and(across, cv2.bitwise_not(bold))
    return cv2.bitwise_or(across, upright)
