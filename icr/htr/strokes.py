"""Handwriting drawn stroke by stroke, a new hand for every word.

A font draws one hand; distorting its rendered pixels afterwards bends that hand but keeps its
letter shapes. Here each word is written from single-line vector glyphs (the Hershey fonts,
Debian's ``hershey-fonts-data``: a centre line per stroke, as a pen moves) by a writer drawn at
random: slant, letter width and spacing, each letter's size, tilt and height, a slow wobble
that bends every stroke its own way, rounded corners and a pen of its own width. The ink then
goes through the same scan effects as the font renders (:func:`icr.htr.render.finish`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from icr.errors import ConfigError
from icr.htr.render import TextSampler, finish

HERSHEY_DIR = Path("/usr/share/hershey-fonts")
# The single-line faces: simplex sans and roman (hand-printed letters) and two joined hands.
STROKE_FONTS = ("futural", "rowmans", "scripts", "cursive")
CAP = 21.0
"""A Hershey capital's height in the glyphs' own units (from -12 to the baseline at 9)."""


@dataclass(frozen=True)
class Glyph:
    left: int
    right: int
    strokes: tuple[np.ndarray, ...]
    """Each stroke an (n, 2) array of x, y points (y down, baseline at 9)."""


@lru_cache(maxsize=16)
def load_hershey(path: str) -> dict[str, Glyph]:
    """The glyphs of a ``.jhf`` file with the 95 printable ASCII characters in order: each record is
    a 5-character number, a 3-character count of coordinate pairs (the first pair the glyph's left
    and right edges; " R" lifts the pen), then the pairs, each coordinate a letter's offset from R."""
    lines = [line for line in Path(path).read_text(encoding="ascii").splitlines() if line.strip()]
    glyphs: dict[str, Glyph] = {}
    for index, line in enumerate(lines[:95]):
        count = int(line[5:8])
        body = line[8:]
        if len(body) < 2 * count:
            raise ConfigError(f"{path}: glyph {index + 1} holds {len(body) // 2} of its {count} pairs")
        strokes: list[np.ndarray] = []
        points: list[tuple[int, int]] = []
        for i in range(2, 2 * count, 2):
            pair = body[i : i + 2]
            if pair == " R":
                if points:
                    strokes.append(np.array(points, np.float64))
                points = []
            else:
                points.append((ord(pair[0]) - ord("R"), ord(pair[1]) - ord("R")))
        if points:
            strokes.append(np.array(points, np.float64))
        glyphs[chr(32 + index)] = Glyph(ord(body[0]) - ord("R"), ord(body[1]) - ord("R"), tuple(strokes))
    return glyphs


def stroke_fonts(folder: Path = HERSHEY_DIR) -> list[Path]:
    """The single-line Hershey fonts installed (none when the package is missing)."""
    return [p for p in (folder / f"{name}.jhf" for name in STROKE_FONTS) if p.is_file()]


@dataclass(frozen=True)
class Hand:
    """One writer: how a word's letters are shaped, spaced and inked."""

    slant: float  # x moves by slant * height above the baseline
    width: float  # letters' widths against the font's
    spacing: float  # extra room between letters, in glyph units
    jitter: float  # each letter's own size, tilt and height vary by this much
    wobble: float  # the slow bend of strokes, in glyph units
    pen: float  # pen width, in glyph units
    corners: int  # rounds of corner cutting (0: a ballpoint's sharp turns)

    @classmethod
    def random(cls, rng: random.Random) -> Hand:
        return cls(
            slant=rng.uniform(-0.15, 0.45),
            width=rng.uniform(0.7, 1.3),
            spacing=rng.uniform(-1.5, 3.0),
            jitter=rng.uniform(0.02, 0.12),
            wobble=rng.uniform(0.3, 2.2),
            pen=rng.uniform(0.9, 3.2),
            corners=rng.choice([0, 1, 2, 2]),
        )


def _round_corners(points: np.ndarray, rounds: int) -> np.ndarray:
    """Chaikin's corner cutting: each segment's quarter points replace its ends (the ends kept)."""
    for _ in range(rounds):
        if len(points) < 3:
            break
        a, b = points[:-1], points[1:]
        cut = np.empty((2 * len(a), 2))
        cut[0::2] = 0.75 * a + 0.25 * b
        cut[1::2] = 0.25 * a + 0.75 * b
        points = np.vstack([points[:1], cut, points[-1:]])
    return points


def write(text: str, glyphs: dict[str, Glyph], hand: Hand, height: float, rng: random.Random) -> np.ndarray:
    """Ink coverage (float32, 0..255) of ``text`` written by ``hand`` with capitals ``height`` px
    tall, with a margin of one capital's height all round (room for the scan effects to move)."""
    lines: list[np.ndarray] = []
    x = 0.0
    for ch in text:
        glyph = glyphs.get(ch) or glyphs.get(ch.upper())
        if glyph is None or ch == " ":
            x += (glyph.right - glyph.left if glyph else 16) * hand.width * rng.uniform(0.8, 1.5)
            continue
        size = 1 + rng.gauss(0, hand.jitter)
        tilt = rng.gauss(0, hand.jitter * 0.6)
        lift = rng.gauss(0, hand.jitter * 8)
        cos, sin = math.cos(tilt), math.sin(tilt)
        for stroke in glyph.strokes:
            p = stroke.copy()
            p[:, 0] -= glyph.left
            p *= size
            p = p @ np.array([[cos, sin], [-sin, cos]])
            p[:, 0] = p[:, 0] * hand.width + x
            p[:, 1] += lift
            lines.append(p)
        x += (glyph.right - glyph.left) * size * hand.width + hand.spacing + rng.gauss(0, 0.6)
    if not lines:
        return np.zeros((int(3 * height), int(3 * height)), np.float32)
    # A slow bend through the whole word (a few random waves), then the slant.
    waves = [(rng.uniform(0.03, 0.22), rng.uniform(0.03, 0.22), rng.uniform(0, 6.3)) for _ in range(3)]
    shaped = []
    for p in lines:
        p = _round_corners(p, hand.corners)
        for fx, fy, phase in waves:
            p = p + hand.wobble / 3 * np.stack(
                [np.sin(fy * p[:, 1] + phase + fx * p[:, 0]), np.cos(fx * p[:, 0] + phase - fy * p[:, 1])], axis=1
            )
        p[:, 0] -= hand.slant * (p[:, 1] - 9)
        shaped.append(p)
    scale = height / CAP
    every = np.vstack(shaped)
    low = every.min(axis=0) - CAP
    high = every.max(axis=0) + CAP
    ss = 2  # drawn at twice the size, then averaged down: smooth edges
    w, h = ((high - low) * scale * ss).astype(int) + 1
    canvas = np.zeros((h, w), np.uint8)
    thickness = max(1, round(hand.pen * scale * ss))
    polys = [np.round((p - low) * scale * ss).astype(np.int32).reshape(-1, 1, 2) for p in shaped]
    cv2.polylines(canvas, polys, False, 255, thickness, cv2.LINE_AA)
    small = cv2.resize(canvas, (max(1, w // ss), max(1, h // ss)), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32)


def render_stroke_sample(
    sampler: TextSampler, fonts: list[Path], rng: random.Random, alphabet: str, augment: bool = True
) -> tuple[np.ndarray, str]:
    """One (image, text) pair written stroke by stroke by a new hand in one of ``fonts``."""
    while True:
        text = sampler.sample(rng)
        if text.strip() and all(c in alphabet and 32 <= ord(c) < 127 for c in text):
            break
    glyphs = load_hershey(str(rng.choice(fonts)))
    ink = write(text, glyphs, Hand.random(rng), rng.uniform(26, 44), rng)
    return finish(ink, rng, augment), text
