"""Handwriting-like word images rendered from fonts, with strong augmentation.

Fonts alone, as rendered, do not generalise to other hands: each glyph is drawn
alone with its own size, slant, baseline and spacing jitter, and the word then goes
through elastic and affine distortion, stroke-width changes, ink and paper variation,
blur, noise and the lines of form fields. Needs only numpy, OpenCV and Pillow, so the
tests and the benchmark can render words without torch.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Debian's handwriting-style fonts (scripts/setup.sh installs the packages).
FONT_DIRS = (
    "/usr/share/fonts/opentype/bwht",
    "/usr/share/fonts/truetype/fifthhorseman",
    "/usr/share/fonts/truetype/breip",
    "/usr/share/fonts/truetype/femkeklaver",
    "/usr/share/fonts/truetype/humor-sans",
    "/usr/share/fonts/truetype/kristi",
    "/usr/share/fonts/truetype/rufscript",
    "/usr/share/fonts/truetype/sjfonts",
    "/usr/share/fonts/truetype/klee",
    "/usr/share/fonts/opentype/comic-neue",
    "/usr/share/fonts/opentype/dancingscript",
    "/usr/share/fonts/opentype/kaushanscript",
)
# Print fonts mixed into training (TrainSettings.print_share) so that the start's skill on
# hand-printed block letters and digits, close to print, is not forgotten.
PRINT_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")
# Whole families kept out of training: the "unseen hands" the model is measured on.
HELD_OUT = ("Humor-Sans", "SteveHand", "Delphine", "femkeklaver")


def all_fonts(dirs: Sequence[str] = FONT_DIRS) -> list[Path]:
    """Every handwriting font installed, sorted (empty when none of the packages is)."""
    found: list[Path] = []
    for folder in dirs:
        path = Path(folder)
        if path.is_dir():
            found.extend(p for p in path.iterdir() if p.suffix.lower() in (".ttf", ".otf"))
    return sorted(found)


def print_fonts() -> list[Path]:
    """The installed print fonts of PRINT_FONT_DIRS (DejaVu's math font draws no letters)."""
    return [f for f in all_fonts(PRINT_FONT_DIRS) if "Math" not in f.stem]


def split_fonts(fonts: Sequence[Path] | None = None) -> tuple[list[Path], list[Path]]:
    """(training fonts, held-out fonts)."""
    fonts = list(all_fonts() if fonts is None else fonts)
    held = [f for f in fonts if any(f.stem.startswith(h) for h in HELD_OUT)]
    return [f for f in fonts if f not in held], held


@lru_cache(maxsize=256)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@lru_cache(maxsize=64)
def _coverage(path: str) -> frozenset[str]:
    """Printable ASCII characters the font really draws (not as its .notdef box). A
    capitals-only font (its x-height letters as tall as its capitals) draws no lowercase:
    text in it is labelled in capitals, as it reads."""
    font = _font(path, 32)
    notdef = font.getmask("\uffff").getbbox()
    covered = set()
    for ch in string.printable[:94]:
        mask = font.getmask(ch)
        if mask.getbbox() is not None and (mask.getbbox() != notdef or ch in "|l1I"):
            covered.add(ch)
    lower = np.median([font.getmask(c).size[1] for c in "acemnorsuvwxz"])
    upper = np.median([font.getmask(c).size[1] for c in "ACEMNORSUVWXZ"])
    if lower > 0.87 * upper:
        covered -= set(string.ascii_lowercase)
    return frozenset(covered)


@dataclass(frozen=True)
class TextSampler:
    """Words and field values to render: dictionary words in three casings, names,
    numbers, amounts, dates, codes and short phrases."""

    words: tuple[str, ...]

    @classmethod
    def default(cls) -> TextSampler:
        return cls(tuple(_dictionary_words()))

    def sample(self, rng: random.Random) -> str:
        kind = rng.random()
        if kind < 0.45:
            word = rng.choice(self.words)
            case = rng.random()
            word = word.upper() if case < 0.25 else word.capitalize() if case < 0.5 else word
            if rng.random() < 0.12:
                word += rng.choice(".,:;-)'")
            if rng.random() < 0.04:
                word = rng.choice("(\"'#") + word
            return word
        if kind < 0.55:
            return " ".join(rng.choice(self.words).capitalize() for _ in range(rng.randint(2, 3)))
        if kind < 0.68:
            return "".join(rng.choice(string.digits) for _ in range(rng.randint(1, 9)))
        if kind < 0.78:
            whole = str(rng.randint(0, 99999 if rng.random() < 0.3 else 999))
            if len(whole) > 3 and rng.random() < 0.5:
                whole = f"{int(whole):,}"
            return rng.choice(["", "$"]) + whole + (f".{rng.randint(0, 99):02d}" if rng.random() < 0.8 else "")
        if kind < 0.88:
            d, m, y = rng.randint(1, 31), rng.randint(1, 12), rng.randint(1950, 2030)
            yy = y % 100 if rng.random() < 0.5 else y
            sep = rng.choice("/-.")
            if rng.random() < 0.2:  # forms split a date into boxes: "5/", "/84", "12-"
                part = str(rng.choice([d, m, yy]))
                return rng.choice([part + sep, sep + part, part])
            if rng.random() < 0.25:
                month = rng.choice(_MONTHS)
                return f"{month} {d}, {y}" if rng.random() < 0.5 else f"{d} {month} {y}"
            return f"{m}{sep}{d}{sep}{yy:02d}" if rng.random() < 0.6 else f"{d}{sep}{m}{sep}{yy:02d}"
        if kind < 0.94:
            pool = string.ascii_uppercase + string.digits
            return "".join(rng.choice(pool) for _ in range(rng.randint(2, 8))) + (
                "-" + str(rng.randint(1, 9999)) if rng.random() < 0.4 else ""
            )
        pool = string.ascii_letters + string.digits + "&#%+/@*=!?"
        return "".join(rng.choice(pool) for _ in range(rng.randint(1, 6)))


@dataclass(frozen=True)
class LineSampler(TextSampler):
    """Lines of ``low`` to ``high`` dictionary words, half of them begun with a capital."""

    low: int = 4
    high: int = 8

    def sample(self, rng: random.Random) -> str:
        line = " ".join(rng.choice(self.words) for _ in range(rng.randint(self.low, self.high)))
        return line.capitalize() + rng.choice([".", ",", ""]) if rng.random() < 0.5 else line


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec", "January",
           "March", "October", "December")


def _dictionary_words(limit: int = 30000) -> list[str]:
    """The most frequent English words (symspellpy's frequency list, a dependency already)."""
    import symspellpy

    path = Path(symspellpy.__file__).parent / "frequency_dictionary_en_82_765.txt"
    words = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            word = line.split(" ", 1)[0]
            if word.isalpha() and word.isascii():
                words.append(word)
            if len(words) >= limit:
                break
    return words


def render_word(
    text: str, font: Path, rng: random.Random, augment: bool = True, others: Sequence[Path] = ()
) -> np.ndarray:
    """A grayscale (uint8, dark ink on light paper) image of ``text`` written in ``font``; with
    ``others``, each glyph is drawn in one of the fonts at random, scaled to ``font``'s capitals."""
    size = rng.randint(36, 56)
    cap = _cap_height(str(font))
    pens = [(str(f), _coverage(str(f)), cap / _cap_height(str(f))) for f in (font, *others)]
    glyphs = _draw_glyphs(text, pens, size, rng if augment else None)
    return finish(glyphs, rng, augment)


@lru_cache(maxsize=256)
def _cap_height(path: str) -> float:
    """The font's capital height as a share of its size, to mix fonts at one writing size."""
    font = _font(path, 100)
    heights = [font.getmask(c).size[1] for c in "AEHMNTZ"]
    return max(1.0, float(np.median(heights))) / 100


def finish(glyphs: np.ndarray, rng: random.Random, augment: bool = True) -> np.ndarray:
    """Ink coverage (0..255, float, with a margin to move into) -> the grayscale image of a
    scanned field: distorted, cropped to the ink and put on paper (or only cropped, clean)."""
    if augment:
        glyphs = _distort(glyphs, rng, thick=_ink_ratio(glyphs) > 0.3)
    ink = _crop_to_ink(glyphs, rng, augment)
    return _paper(ink, rng) if augment else (255 - ink).astype(np.uint8)


def _draw_glyphs(
    text: str, pens: Sequence[tuple[str, frozenset[str], float]], size: int, rng: random.Random | None
) -> np.ndarray:
    """Ink coverage (0..255, float) of the text drawn glyph by glyph with jitter; ``pens``: (font,
    the characters it draws, size factor), one picked at random per glyph when there are several."""
    width = int(size * (len(text) + 4) * 1.3) + 40
    height = size * 3
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    x = float(size * 1.5)
    base = height * 0.62
    stroke = 0
    if rng is not None and rng.random() < 0.35:
        stroke = 1 if size < 48 else rng.randint(1, 2)
    drift = rng.uniform(-0.06, 0.06) if rng is not None else 0.0
    for ch in text:
        if ch == " ":
            x += size * (0.3 + (rng.uniform(0.0, 0.35) if rng is not None else 0.1))
            continue
        font_path, cover, factor = pens[0] if len(pens) == 1 or rng is None else rng.choice(pens)
        glyph = ch if ch in cover else ch.upper() if ch.upper() in cover else ch
        scale = rng.uniform(0.88, 1.12) if rng is not None else 1.0
        gfont = _font(font_path, max(8, int(size * scale * factor)))
        jitter_y = rng.gauss(0, size * 0.035) if rng is not None else 0.0
        ascent = gfont.getmetrics()[0]
        y = base - ascent + jitter_y + drift * (x - size)
        draw.text((x, y), glyph, fill=255, font=gfont, stroke_width=stroke, stroke_fill=255)
        advance = gfont.getlength(glyph)
        gap = rng.uniform(-0.06, 0.14) * size if rng is not None else 0.0
        x += max(advance + gap, size * 0.15)
    ink = np.asarray(canvas, dtype=np.float32)
    ys, xs = np.nonzero(ink)
    if len(xs) == 0:
        return ink
    # Keep a margin of one text height around the ink, for the distortions to move into.
    return ink[max(0, ys.min() - size) : ys.max() + size, max(0, xs.min() - size) : xs.max() + size]


def _distort(img: np.ndarray, rng: random.Random, thick: bool) -> np.ndarray:
    h, w = img.shape
    # Slant, rotation and squeeze in one affine map.
    shear = rng.uniform(-0.45, 0.35)
    angle = np.deg2rad(rng.uniform(-4, 4))
    sx = rng.uniform(0.75, 1.25)
    mat = np.array([[sx * np.cos(angle), -np.sin(angle) + shear, 0], [np.sin(angle), np.cos(angle), 0]])
    center = np.array([w / 2, h / 2])
    mat[:, 2] = center - mat[:, :2] @ center
    img = cv2.warpAffine(img, mat, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    # Elastic distortion: a smooth random displacement field.
    if rng.random() < 0.8:
        alpha = rng.uniform(1.5, 4.5)
        sigma = rng.uniform(5, 10)
        gen = np.random.default_rng(rng.randrange(2**32))
        dx = cv2.GaussianBlur(gen.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha * sigma
        dy = cv2.GaussianBlur(gen.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha * sigma
        xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        img = cv2.remap(img, xs + dx, ys + dy, cv2.INTER_LINEAR, borderValue=0)
    # Baseline wobble: each column moves up or down along a slow wave.
    if rng.random() < 0.6:
        amp = rng.uniform(1, 4)
        period = rng.uniform(60, 220)
        phase = rng.uniform(0, 6.3)
        shift = (amp * np.sin(np.arange(w) / period * 6.283 + phase)).astype(np.float32)
        xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        img = cv2.remap(img, xs, ys + shift[None, :], cv2.INTER_LINEAR, borderValue=0)
    # Stroke width: pens from fine to felt-tip.
    r = rng.random()
    if r < 0.25:
        k = rng.choice([2, 3])
        img = cv2.erode(img, np.ones((k, k), np.uint8))
    elif r < 0.45 and not thick:
        img = cv2.dilate(img, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (rng.choice([2, 3]),) * 2))
    return img


def _ink_ratio(img: np.ndarray) -> float:
    """How much of the ink's bounding box is ink: bold pens and heavy fonts score high."""
    ys, xs = np.nonzero(img > 128)
    if len(xs) == 0:
        return 0.0
    return float(len(xs)) / float((ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1))


def _crop_to_ink(img: np.ndarray, rng: random.Random, augment: bool) -> np.ndarray:
    ys, xs = np.nonzero(img > 40)
    if len(xs) == 0:
        return np.zeros((32, 32), np.float32)
    h = ys.max() - ys.min() + 1
    pad = (lambda lo, hi: int(h * rng.uniform(lo, hi))) if augment else (lambda lo, hi: int(h * 0.1))
    top, bottom = max(0, ys.min() - pad(0.0, 0.3)), min(img.shape[0], ys.max() + 1 + pad(0.0, 0.3))
    left, right = max(0, xs.min() - pad(0.0, 0.5)), min(img.shape[1], xs.max() + 1 + pad(0.0, 0.5))
    return img[top:bottom, left:right]


def _paper(ink: np.ndarray, rng: random.Random) -> np.ndarray:
    """Ink coverage -> a grayscale scan: paper tone and texture, ink colour, form lines,
    blur, noise and resampling."""
    h, w = ink.shape
    gen = np.random.default_rng(rng.randrange(2**32))
    paper = rng.uniform(170, 255)
    bg = np.full((h, w), paper, np.float32)
    if rng.random() < 0.5:
        bg += np.linspace(0, rng.uniform(-40, 40), w, dtype=np.float32)[None, :]
    if rng.random() < 0.5:
        bg += cv2.GaussianBlur(gen.normal(0, rng.uniform(4, 15), (h, w)).astype(np.float32), (0, 0), 2)
    ink_level = rng.uniform(0, min(130, paper - 100))
    alpha = (ink / 255.0) * rng.uniform(0.8, 1.0)
    if rng.random() < 0.3:  # uneven pen pressure / fading
        alpha *= cv2.resize(gen.uniform(0.6, 1.0, (2, 4)).astype(np.float32), (w, h))
    img: Any = bg * (1 - alpha) + ink_level * alpha
    img = _form_lines(img, rng, ink_level)
    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.3))
    img += gen.normal(0, rng.uniform(0, 12), (h, w)).astype(np.float32)
    if rng.random() < 0.4:  # a low-resolution scan: down and up again
        f = rng.uniform(0.35, 0.7)
        small = cv2.resize(img, (max(4, int(w * f)), max(4, int(h * f))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.3:  # a bilevel fax or photocopy, often at a low resolution
        lo, hi = np.percentile(img, 2), np.median(img)
        threshold = lo + (hi - lo) * rng.uniform(0.35, 0.65)
        img = np.where(img < threshold, rng.uniform(0, 60), rng.uniform(190, 255)).astype(np.float32)
        if rng.random() < 0.5:
            f = rng.uniform(0.4, 0.8)
            small = cv2.resize(img, (max(4, int(w * f)), max(4, int(h * f))), interpolation=cv2.INTER_NEAREST)
            img = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(25, 80)])
        if ok:
            img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return img


def _form_lines(img: np.ndarray, rng: random.Random, ink_level: float) -> np.ndarray:
    """The underline, box or comb of a form field, printed, often crossing the writing."""
    h, w = img.shape
    tone = rng.uniform(ink_level, 160)
    thick = rng.randint(1, 2)
    r = rng.random()
    if r < 0.25:
        y = int(h * rng.uniform(0.78, 0.99))
        cv2.line(img, (0, y), (w, y), tone, thick)
    elif r < 0.35:
        cv2.rectangle(img, (rng.randint(0, 3), rng.randint(0, 3)), (w - rng.randint(1, 4), h - rng.randint(1, 4)),
                      tone, thick)
    elif r < 0.4:
        y = int(h * rng.uniform(0.85, 0.99))
        cv2.line(img, (0, y), (w, y), tone, thick)
        step = rng.randint(h // 2 + 1, h + 2)
        for x in range(rng.randint(0, step), w, step):
            cv2.line(img, (x, y), (x, int(y - h * 0.3)), tone, thick)
    elif r < 0.45:  # a stray vertical stroke of a table border at an edge
        x = rng.choice([rng.randint(0, 3), w - rng.randint(1, 4)])
        cv2.line(img, (x, 0), (x, h), tone, thick)
    return img


def render_sample(
    sampler: TextSampler,
    fonts: Sequence[Path],
    rng: random.Random,
    alphabet: str,
    augment: bool = True,
    mix: float = 0.0,
) -> tuple[np.ndarray, str]:
    """One (image, text) pair whose text the font can draw and the alphabet can spell. With
    probability ``mix`` its glyphs come from two fonts at random (a hand no font has)."""
    while True:
        font = rng.choice(list(fonts))
        text = sampler.sample(rng)
        cover = _coverage(str(font))
        if all(c in alphabet for c in text) and all(c == " " or c in cover or c.upper() in cover for c in text):
            if any(c not in cover for c in text if c != " "):  # a capitals-only font: spell in capitals
                text = text.upper()
            others: list[Path] = []
            if mix > 0 and rng.random() < mix:
                other = rng.choice(list(fonts))
                if other != font and all(c == " " or c in _coverage(str(other)) for c in text):
                    others.append(other)
            return render_word(text, font, rng, augment, others), text
