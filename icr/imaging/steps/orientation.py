"""Orientation: turn a page lying at 90, 180 or 270 degrees upright.

First a cheap look at the geometry, on a small copy (``orientation_side``, ink
by a local threshold), no Tesseract:

* direction of the text lines: each letter-sized blob's nearest neighbour lies
  beside it in horizontal text (letters in a word are closer than lines are),
  above or below it when the page lies on its side;
* which way is up: full stops and commas sit on the baseline of the letters
  beside them, so a lone dot (nothing above or below it) lines up with the
  bottoms of its neighbours on an upright page and with their tops on a page
  turned by 180 degrees. Receipts are full of prices and dates, so most pages
  have dozens of such dots.

When both cues agree clearly (``min_share`` of the neighbours horizontal or
vertical; at least ``min_dots`` dots with 80 % of them one way, or else
``min_votes`` votes — a dot counts thrice, a letter once — with ``min_share``
of them one way) the page is turned without reading it. Otherwise (few dots,
mixed votes) Tesseract decides, chosen by ``orientation_method``, between the
turns the geometry left open (0/180 when the lines run across, 90/270 when
they run up and down, all four when even that is unclear):

* ``ocr`` (default): a probe — the middle 700 px of the page, its letters
  brought to ~30 px — is read by Tesseract (``--psm 6``) turned by the first
  open turn and, unless that reading is already convincing, by the others (a
  smaller probe was tried: on a short page it cut too many words to decide). Each reading scores
  the letters of words Tesseract is confident about (>= 60); text upside down or
  sideways reads as low-confidence noise. The page turns only when another
  orientation clearly beats the one it has.
* ``osd``: Tesseract's orientation detection (``--psm 0``). It is fast, but on
  receipts (narrow, few lines, dot-matrix fonts) it reports confidences below 2
  and was wrong on about half of the pages measured, so it is not the default.
* ``geometry``: never call Tesseract; an inconclusive page is kept as it is.

When the page has almost no letters (a blank page, a photo) it is kept as it is.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from icr.imaging.steps.background import flatten
from icr.imaging.steps.deskew import estimate_skew, rotate
from icr.imaging.steps.util import StepResult, analysis_copy, ink, resized, to_gray, u8
from icr.types import Image

_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_CONFIDENCE = re.compile(r"Orientation confidence:\s*([\d.]+)")

TURNS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def turn(image: Image, clockwise: int) -> Image:
    """Rotate by a multiple of 90 degrees clockwise, without resampling."""
    code = TURNS.get(clockwise % 360)
    return image if code is None else u8(cv2.rotate(image, code))


def letter_size(gray: Image) -> float:
    """Median letter size in pixels whatever the page's orientation (larger of median height and width)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink(gray), connectivity=8)
    if n <= 1:
        return 0.0
    h, w = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    keep = (h >= 4) & (w >= 2) & (h <= 200) & (w <= 200) & (np.maximum(h, w) <= 3 * np.minimum(h, w))
    if not keep.any():
        return 0.0
    return float(max(np.median(h[keep]), np.median(w[keep])))


def probe(gray: Image, target: float = 30.0, side: int = 700) -> Image:
    """The middle ``side`` x ``side`` pixels of the page with letters about ``target`` px tall."""
    size = letter_size(gray)
    scale = min(max(target / size, 0.25), 3.0) if size > 0 else 1.0
    if abs(scale - 1.0) > 0.1:
        gray = resized(gray, scale)
    h, w = gray.shape
    y0, x0 = max(0, (h - side) // 2), max(0, (w - side) // 2)
    return np.ascontiguousarray(gray[y0 : y0 + side, x0 : x0 + side])


def _probe_data(image: Image, timeout: float) -> dict[str, list[Any]]:
    """Tesseract's words on the probe: through this process's loaded model when tesserocr is
    installed (no new process, no model load), else the ``tesseract`` binary."""
    if importlib.util.find_spec("tesserocr") is not None:
        from icr.ocr.tesseract_api import shared_api

        return shared_api().image_to_data(image, language="eng", psm=6, timeout=timeout)
    import pytesseract

    data: dict[str, list[Any]] = pytesseract.image_to_data(
        image, config="--psm 6", output_type=pytesseract.Output.DICT, timeout=timeout
    )
    return data


def reading_score(image: Image, timeout: float = 20.0) -> int:
    """Letters in words Tesseract reads with confidence >= 60 (0 when Tesseract fails)."""
    try:
        data = _probe_data(image, timeout)
    except Exception:  # any engine failure: no reading, the page stays as it is
        return 0
    score = 0
    for text, conf in zip(data["text"], data["conf"], strict=False):
        letters = sum(ch.isalnum() for ch in str(text))
        if letters >= 2 and float(conf) >= 60:
            score += letters
    return score


def detect_by_reading(
    gray: Image, options: dict[str, Any], candidates: tuple[int, ...] = (0, 90, 180, 270)
) -> tuple[int, float]:
    """(clockwise degrees that make the page upright, winning score / runner-up score).

    The probe is read turned by each of ``candidates`` in turn (the first one first: a convincing
    reading of it settles the question with one call)."""
    sample = probe(gray, float(options.get("probe_text_height", 30)), int(options.get("probe_side", 700)))
    # Shadows make Tesseract read poorly in every orientation: read the probe with the light flattened.
    sample = flatten(sample)
    timeout = float(options.get("osd_timeout", 20))
    first = candidates[0]
    scores = {first: reading_score(turn(sample, first), timeout)}
    if scores[first] >= int(options.get("upright_score", 50)):
        return first, float("inf")
    for degrees in candidates[1:]:
        scores[degrees] = reading_score(turn(sample, degrees), timeout)
    best = max(scores, key=lambda d: scores[d])
    others = [s for d, s in scores.items() if d != best]
    ratio = scores[best] / max(max(others, default=0), 1)
    if 0 not in scores:
        # The lines run up and down: as it is, the page cannot be read at all. Either side beats
        # that, so the side read better wins however faint the page (none when neither reads).
        return (best, ratio) if scores[best] > max(others, default=0) else (0, ratio)
    if best == 0 or scores[best] < int(options.get("min_score", 15)):
        return 0, ratio
    # Turning must clearly beat the page as it is (or, for a page on its side, the other side).
    reference = scores[0] if 0 in scores else max(others, default=0)
    if scores[best] < float(options.get("min_ratio", 1.5)) * reference:
        return 0, ratio
    return best, ratio


def detect_by_osd(gray: Image, options: dict[str, Any]) -> tuple[int, float]:
    """(clockwise degrees that make the page upright, OSD confidence); (0, 0.0) when OSD fails."""
    import pytesseract

    sample = probe(gray, float(options.get("probe_text_height", 30)), 2400)
    try:
        report = pytesseract.image_to_osd(
            sample, config="--psm 0 -c min_characters_to_try=10", timeout=float(options.get("osd_timeout", 20))
        )
    except (pytesseract.TesseractError, RuntimeError):
        return 0, 0.0
    rotate, conf = _ROTATE.search(report), _CONFIDENCE.search(report)
    if not rotate:
        return 0, 0.0
    confidence = float(conf.group(1)) if conf else 0.0
    if confidence < float(options.get("min_osd_confidence", 2.0)):
        return 0, confidence
    return int(rotate.group(1)) % 360, confidence


@dataclass
class Cues:
    """What the geometry says: letters seen, share of horizontal neighbours, share of dots on the baseline."""

    letters: int = 0
    horizontal_share: float = 0.5
    up_share: float = 0.5
    votes: int = 0
    dot_votes: tuple[int, int] = (0, 0)
    letter_votes: tuple[int, int] = (0, 0)
    decision: int | None = None
    confidence: float = 0.0
    candidates: tuple[int, ...] = (0, 90, 180, 270)
    """The turns still possible: (0, 180) when the lines run across, (90, 270) when they run up and down."""


def _blobs(binary: Image) -> tuple[np.ndarray, float]:
    """(x, y, w, h) of the ink components and the median letter size (larger of median height and width)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    boxes = stats[1:, :4].astype(np.float32)
    if n <= 1:
        return boxes, 0.0
    h, w = boxes[:, 3], boxes[:, 2]
    keep = (h >= 4) & (w >= 2) & (h <= 200) & (w <= 200) & (np.maximum(h, w) <= 3 * np.minimum(h, w))
    if not keep.any():
        return boxes, 0.0
    return boxes, float(max(np.median(h[keep]), np.median(w[keep])))


def _nearest(points: np.ndarray, limit: int = 400) -> np.ndarray:
    """For (an even sample of at most ``limit`` of) ``points``, the offset (dx, dy) to the nearest other point."""
    sample = points[:: max(1, len(points) // limit)]
    out = np.empty_like(sample)
    for start in range(0, len(sample), 32):  # 32 at a time: a speckled page has thousands of points
        d = np.abs(sample[start : start + 32, None, :] - points[None, :, :])
        dist = d[..., 0] ** 2 + d[..., 1] ** 2
        dist[dist == 0] = np.inf
        out[start : start + 32] = d[np.arange(len(d)), np.argmin(dist, axis=1)]
    return out


def _row_median(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each row of ``mask``, the (lower) median of ``values`` where the row is True (every row has one)."""
    ordered = np.sort(np.where(mask, values[None, :], np.inf), axis=1)
    middle = (np.count_nonzero(mask, axis=1) - 1) // 2
    return ordered[np.arange(len(mask)), middle]


def _lone(dots: np.ndarray, cx: np.ndarray, cy: np.ndarray, size: float, chunk: int = 32) -> np.ndarray:
    """Those of ``dots`` (indices) with no other blob centre right above or below them.

    Compared ``chunk`` dots at a time: a speckled scan has thousands of dot-sized blobs, and
    all of them against all blobs at once took tens of MB."""
    out = []
    for start in range(0, len(dots), chunk):
        d = dots[start : start + chunk]
        column = (np.abs(cx[None, :] - cx[d, None]) < 0.5 * size) & (np.abs(cy[None, :] - cy[d, None]) < 1.2 * size)
        column[np.arange(len(d)), d] = False
        out.append(d[~column.any(axis=1)])
    return np.concatenate(out) if out else dots


def _baseline_votes(boxes: np.ndarray, size: float) -> tuple[int, int, int, int]:
    """(dots on the baseline, dots on the top line, letters on the baseline, letters on the top line):
    votes for upright and for upside down.

    A blob sits on the baseline when its bottom lines up with the median bottom of the letters
    beside it and its top does not — a full stop or comma, a lower-case letter beside capitals;
    it hangs from the top line in the reverse case, which on an upright page only descenders do.
    Capitals and digits line up both ways and do not vote. Dot-sized blobs vote only when nothing
    lies right above or below them (not the dot of an i, not a colon).
    """
    x, y, w, h = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    big = np.maximum(w, h)
    letters = (h >= 0.6 * size) & (h <= 1.6 * size) & (w <= 2.0 * size)
    dots = (big <= 0.35 * size) & (big >= max(2.0, 0.12 * size)) & (big <= 2 * np.minimum(w, h))
    if np.count_nonzero(letters) < 2:
        return 0, 0, 0, 0
    lx0, ly0, lx1, ly1 = x[letters], y[letters], x[letters] + w[letters], y[letters] + h[letters]
    cx_all, cy_all, cx_l = x + w / 2, y + h / 2, (lx0 + lx1) / 2
    # Lone dots: nothing else right above or below.
    lone = np.zeros(len(x), bool)
    lone[_lone(np.flatnonzero(dots), cx_all, cy_all, size)] = True
    voters = np.flatnonzero(letters | lone)
    voters = voters[:: max(1, len(voters) // 600)]
    vx, vy = cx_all[voters, None], cy_all[voters, None]
    beside = (np.abs(cx_l[None, :] - vx) < 2.5 * size) & (ly0[None, :] - 0.1 * size <= vy)
    beside &= vy <= ly1[None, :] + 0.1 * size
    beside &= (lx0[None, :] != x[voters, None]) | (ly0[None, :] != y[voters, None])
    enough = np.count_nonzero(beside, axis=1) >= 2
    voters, beside = voters[enough], beside[enough]
    if len(voters) == 0:
        return 0, 0, 0, 0
    bottoms, tops = _row_median(beside, ly1), _row_median(beside, ly0)
    to_bottom = np.abs(y[voters] + h[voters] - bottoms)
    to_top = np.abs(y[voters] - tops)
    tol, gap = 0.08 * size, 0.2 * size
    on_base = (to_bottom <= tol) & (to_top >= gap)
    on_top = (to_top <= tol) & (to_bottom >= gap)
    is_dot = lone[voters]
    votes = [on_base & is_dot, on_top & is_dot, on_base & ~is_dot, on_top & ~is_dot]
    return tuple(int(np.count_nonzero(v)) for v in votes)  # type: ignore[return-value]


def geometry(image: Image, options: dict[str, Any] | None = None) -> Cues:
    """The cheap cues (no Tesseract) on a small copy, and a decision when they are clear."""
    opts = options or {}
    small, _ = analysis_copy(image, int(opts.get("orientation_side", 1400)))
    # A local threshold (window of ~3 letters on a receipt), so a shadow is not taken for ink.
    block = max(15, max(small.shape) // 40) | 1
    binary = u8(cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12))
    boxes, size = _blobs(binary)
    if size <= 0:
        return Cues()
    h, w = boxes[:, 3], boxes[:, 2]
    letters = (np.maximum(h, w) >= 0.5 * size) & (np.maximum(h, w) <= 2.0 * size)
    cues = Cues(letters=int(np.count_nonzero(letters)))
    if cues.letters < 3:
        return cues
    centers = boxes[letters, :2] + boxes[letters, 2:] / 2
    offsets = _nearest(centers)
    across = int(np.count_nonzero(offsets[:, 0] > 1.5 * offsets[:, 1]))
    along = int(np.count_nonzero(offsets[:, 1] > 1.5 * offsets[:, 0]))
    cues.horizontal_share = across / max(across + along, 1)
    min_share = float(opts.get("min_share", 0.75))
    if cues.horizontal_share >= min_share:
        turned = 0
        cues.candidates = (0, 180)
    elif cues.horizontal_share <= 1 - min_share:
        # Lines run up and down: look at the page turned a quarter clockwise.
        turned = 90
        cues.candidates = (90, 270)
        boxes = np.stack([binary.shape[0] - boxes[:, 1] - boxes[:, 3], boxes[:, 0], boxes[:, 3], boxes[:, 2]], axis=1)
    else:
        return cues
    dot_up, dot_down, letter_up, letter_down = _baseline_votes(boxes, size)
    cues.dot_votes = (dot_up, dot_down)
    cues.letter_votes = (letter_up, letter_down)
    # A dot is a sharper cue than a letter (fewer letters than dots vote the wrong way): it counts thrice.
    up, down = 3 * dot_up + letter_up, 3 * dot_down + letter_down
    cues.votes = up + down
    cues.up_share = up / max(up + down, 1)
    # Dots alone are nearly never wrong; letters (lower case beside capitals) need more votes.
    dot_share = dot_up / max(dot_up + dot_down, 1)
    if dot_up + dot_down >= int(opts.get("min_dots", 4)) and abs(dot_share - 0.5) >= 0.3:
        share = dot_share
    elif cues.votes >= int(opts.get("min_votes", 20)):
        share = cues.up_share
    else:
        return cues
    if share >= min_share:
        cues.decision, cues.confidence = turned, share
    elif share <= 1 - min_share:
        cues.decision, cues.confidence = (turned + 180) % 360, 1 - share
    return cues


def detect_orientation(
    image: Image, options: dict[str, Any] | None = None, candidates: tuple[int, ...] = (0, 90, 180, 270)
) -> tuple[int, float]:
    """Clockwise degrees (0, 90, 180 or 270) that make the page upright, and the detector's confidence,
    by Tesseract (``orientation_method``); the reading probe tries only ``candidates``."""
    opts = options or {}
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    method = str(opts.get("orientation_method", "ocr"))
    gray = to_gray(image)
    if method == "ocr":
        return detect_by_reading(gray, opts, candidates)
    if method == "osd":
        return detect_by_osd(gray, opts)
    raise ValueError(f"unknown orientation_method '{method}' (known: ocr, osd)")


def reads_upright(words: Iterable[tuple[str, float]], options: dict[str, Any]) -> bool:
    """Whether the reading of a whole page (words with confidences 0-100) shows upright text:
    at least ``page_upright_letters`` (100) letters in words read with confidence >=
    ``page_upright_confidence`` (60), and at least ``page_upright_share`` (0.45) of all the letters
    read. Upside down or on its side, a page reads as low-confidence noise: by Tesseract, at most
    0.24 of the letters, 151 at most, on the 100 sroie-dev pages turned by 90 and 180 degrees;
    upright, 0.36-0.95 and 140-810 (benchmarks/README.md). The neural engine reads upside-down
    text with confidences of 0.6-0.9, so its profile asks for more (``accurate``: 95)."""
    return convincing(*sure_letters(words, options), options)


def convincing(confident: int, total: int, options: dict[str, Any]) -> bool:
    """Whether ``confident`` of ``total`` letters read surely make a page's reading convincing."""
    return confident >= int(options.get("page_upright_letters", 100)) and confident >= float(
        options.get("page_upright_share", 0.45)
    ) * max(total, 1)


def sure_letters(words: Iterable[tuple[str, float]], options: dict[str, Any]) -> tuple[int, int]:
    """(letters in words read with confidence >= ``page_upright_confidence``, all letters read),
    counting words of two letters or more."""
    confident = total = 0
    least = float(options.get("page_upright_confidence", 60))
    for text, conf in words:
        letters = sum(ch.isalnum() for ch in text)
        if letters < 2:
            continue
        total += letters
        if conf >= least:
            confident += letters
    return confident, total


def deferred_turns(info: dict[str, float]) -> tuple[int, ...]:
    """The turns (clockwise degrees) still open for a page the step left to its reading."""
    mask = int(info.get("orientation_turns", 0b1111))
    return tuple(90 * k for k in range(4) if mask & (1 << k))


def settle(
    words: Iterable[tuple[str, float]], options: dict[str, Any], before: Callable[[], Image]
) -> tuple[int, bool]:
    """For a page the step left as it was (``orientation_deferred``) and that has now been read:
    (clockwise degrees to turn it, whether Tesseract's probe was asked). A convincing reading
    settles it as upright; otherwise the step decides as it would have, probe included, on the
    page as it saw it (``before()``: not on the finished page, whose blur costs the probe letters)."""
    if reads_upright(words, options):
        return 0, False
    # The page as it is was read unconvincingly already: the probe compares every turn still open
    # rather than accept a first reading that is merely passable.
    _, info = orientation(before(), {**options, "orientation_defer": False, "upright_score": 10**9})
    return int(info["rotation"]), bool(info["orientation_probe"])


def orientation(image: Image, options: dict[str, Any]) -> StepResult:
    """Options: ``orientation_method`` (ocr|osd|geometry), ``orientation_side`` (1400), ``min_dots`` (4),
    ``min_votes`` (20), ``min_share`` (0.75), ``min_letters`` (20), ``upright_score`` (50), ``min_score`` (15),
    ``min_ratio`` (1.5), ``min_osd_confidence`` (2.0), ``orientation_defer`` (false: when the geometry
    cannot tell and the page may be upright, leave it as it is for whoever reads it to :func:`settle`),
    ``orientation_by_reading`` (false: with ``orientation_defer``, leave every undecided page to its
    reader, the turns still open in ``orientation_turns``, who reads it turned as well).

    Info: ``rotation`` (clockwise degrees turned), ``orientation_probe`` (1 when Tesseract was asked),
    ``orientation_applied``, ``horizontal_share`` and ``dots_up_share`` (the geometry's votes),
    ``orientation_deferred`` (1 when the decision was left to :func:`settle`), ``orientation_turns``
    (then: the turns still open, one bit per quarter turn, see :func:`deferred_turns`)."""
    cues = geometry(image, options)
    looked_at = image
    if (
        cues.decision is None
        and cues.letters >= int(options.get("min_letters", 20))
        and options.get("orientation_straighten", True)
    ):
        # Tilted lines (a photographed receipt after the crop) blur both cues and the probe: decide on
        # a straightened copy; the page itself is only turned here (deskew comes after).
        least = float(options.get("straighten_min_skew", 2.0))
        skew = estimate_skew(to_gray(image), float(options.get("max_skew", 15.0)), ignore_below=least)
        if abs(skew) >= least:
            looked_at = rotate(image, -skew)
            cues = geometry(looked_at, options)
    info: dict[str, float] = {
        "horizontal_share": cues.horizontal_share,
        "dots_up_share": cues.up_share,
        "orientation_probe": 0.0,
    }
    if cues.letters < int(options.get("min_letters", 20)):
        degrees, confidence = 0, 0.0
    elif cues.decision is not None:
        degrees, confidence = cues.decision, cues.confidence
    elif str(options.get("orientation_method", "ocr")) == "geometry":
        degrees, confidence = 0, 0.0
    elif options.get("orientation_defer") and (0 in cues.candidates or options.get("orientation_by_reading")):
        # The page as it is will be read anyway: when that reading is convincing, no probe is needed
        # (the pipeline settles it, see settle()); reading by reading, every open turn is left to it.
        degrees, confidence = 0, 0.0
        info["orientation_deferred"] = 1.0
        info["orientation_turns"] = float(sum(1 << (d // 90) for d in cues.candidates))
    else:
        degrees, confidence = detect_orientation(looked_at, options, cues.candidates)
        info["orientation_probe"] = 1.0
    info.update(
        rotation=float(degrees),
        orientation_confidence=min(confidence, 1e6),
        orientation_applied=float(degrees != 0),
    )
    return turn(image, degrees), info
