"""Make degraded copies of receipt scans, for measuring the image corrector.

usage: python benchmarks/degrade.py IMAGE_DIR OUT_DIR [--every K] [--limit N] [--seed 0] [--variants A,B] [--flat]

OUT_DIR must be outside the repository (default in the benchmark: a temp folder);
the copies are derived from research data and must never be committed.
Each ``<id>.jpg`` becomes ``OUT_DIR/<variant>/<id>.png`` for every variant in
:data:`VARIANTS` (or those named). Everything is seeded, so two runs make the same images.
``--flat`` also lays them out as ``icr eval`` reads a labelled set: ``OUT_DIR/flat/<variant>__<id>.png``
beside symlinks to the image's ``<id>.json`` and ``<id>.ocr.txt``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

Img = np.ndarray
Rng = np.random.Generator


def rotate_small(img: Img, degrees: float) -> Img:
    """Rotate counter-clockwise by ``degrees`` on a larger canvas, filled with scanner-lid grey."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_CUBIC, borderValue=(235, 235, 235))


def black_border(img: Img, rng: Rng) -> Img:
    """A scan with black bands of uneven width and dark specks along the edges."""
    pads = [int(rng.integers(15, 45)) for _ in range(4)]
    out = cv2.copyMakeBorder(img, pads[0], pads[1], pads[2], pads[3], cv2.BORDER_CONSTANT, value=(20, 20, 20))
    # A ragged inner edge and specks, as a lid shadow leaves them.
    oh, ow = out.shape[:2]
    for _ in range(40):
        x, y = int(rng.integers(0, ow)), int(rng.choice([pads[0] + 2, oh - pads[1] - 3]))
        cv2.circle(out, (x, y), int(rng.integers(2, 6)), (30, 30, 30), -1)
    return out


def ruling_lines(img: Img, rng: Rng) -> Img:
    """Table rules: horizontal lines every few text lines and two vertical column rules, crossing text."""
    out = img.copy()
    h, w = out.shape[:2]
    thick = max(2, round(min(h, w) / 400))
    step = int(rng.integers(h // 14, h // 9))
    for y in range(int(rng.integers(10, step)), h, step):
        cv2.line(out, (0, y), (w - 1, y), (30, 30, 30), thick)
    for x in (int(w * rng.uniform(0.25, 0.4)), int(w * rng.uniform(0.6, 0.8))):
        cv2.line(out, (x, 0), (x, h - 1), (30, 30, 30), thick)
    cv2.rectangle(out, (2, 2), (w - 3, h - 3), (30, 30, 30), thick)
    return out


def shadow(img: Img, rng: Rng) -> Img:
    """Uneven light: a linear fall-off across the page and a soft dark blob (a hand's or phone's shadow)."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    light = 1.0 - 0.55 * ramp
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    blob = np.exp(-(((xx - cx) / (0.3 * w)) ** 2 + ((yy - cy) / (0.25 * h)) ** 2))
    light *= 1.0 - 0.35 * blob
    return np.clip(img.astype(np.float32) * light[..., None], 0, 255).astype(np.uint8)


def _desk(h: int, w: int, rng: Rng) -> Img:
    """A wooden-looking desk: brown base, grain streaks, noise."""
    base = np.array([40, 70, 110], dtype=np.float32) * rng.uniform(0.7, 1.2)
    desk = np.ones((h, w, 3), np.float32) * base
    grain = cv2.resize(rng.normal(0, 18, (h // 8 + 1, 4)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    desk += grain[..., None]
    desk += rng.normal(0, 6, (h, w, 1)).astype(np.float32)
    return np.clip(desk, 0, 255).astype(np.uint8)


def on_desk(img: Img, rng: Rng) -> Img:
    """The receipt photographed on a desk: perspective (a tilted quadrilateral), desk all around, some blur."""
    h, w = img.shape[:2]
    ch, cw = int(h * 1.5), int(w * 1.9)
    canvas = _desk(ch, cw, rng)
    ox, oy = (cw - w) / 2, (ch - h) / 2
    jitter = 0.07
    dst = np.array(
        [
            [ox + rng.uniform(-jitter, jitter) * w, oy + rng.uniform(-jitter, jitter) * h],
            [ox + w + rng.uniform(-jitter, jitter) * w, oy + rng.uniform(-jitter, jitter) * h],
            [ox + w + rng.uniform(-jitter, jitter) * w, oy + h + rng.uniform(-jitter, jitter) * h],
            [ox + rng.uniform(-jitter, jitter) * w, oy + h + rng.uniform(-jitter, jitter) * h],
        ],
        dtype=np.float32,
    )
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    paper = cv2.warpPerspective(img, m, (cw, ch), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (cw, ch), flags=cv2.INTER_NEAREST)
    out = np.where(mask[..., None] > 0, paper, canvas)
    return cv2.GaussianBlur(out, (3, 3), 0)


PHOTO_SIDE = 4000
"""The longer side of a phone's photo, in pixels."""


def far_off(img: Img, rng: Rng, distance: float = 2.2) -> Img:
    """The receipt photographed from farther off: flat in the middle of a table photo ``distance`` times
    its height (4:3 where the receipt allows), the photo at most :data:`PHOTO_SIDE` px, a little blur."""
    h, w = img.shape[:2]
    scale = min(1.0, PHOTO_SIDE / (distance * max(h, w)))
    if scale < 1.0:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        h, w = img.shape[:2]
    ch = int(distance * h)
    cw = max(int(0.75 * ch), int(1.5 * w))
    canvas = _desk(ch, cw, rng)
    y0, x0 = (ch - h) // 2, (cw - w) // 2
    canvas[y0 : y0 + h, x0 : x0 + w] = img
    return cv2.GaussianBlur(canvas, (3, 3), 0)


def combo_shadow_rot(img: Img, rng: Rng) -> Img:
    return rotate_small(shadow(img, rng), 5.0)


def combo_border_lines_rot(img: Img, rng: Rng) -> Img:
    return black_border(rotate_small(ruling_lines(img, rng), -3.0), rng)


def combo_desk_shadow_180(img: Img, rng: Rng) -> Img:
    return on_desk(shadow(cv2.rotate(img, cv2.ROTATE_180), rng), rng)


VARIANTS: dict[str, Callable[[Img, Rng], Img]] = {
    "rot3": lambda img, rng: rotate_small(img, 3.0),
    "rot7": lambda img, rng: rotate_small(img, -7.0),
    "rot90": lambda img, rng: cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE),
    "rot180": lambda img, rng: cv2.rotate(img, cv2.ROTATE_180),
    "border": black_border,
    "lines": ruling_lines,
    "shadow": shadow,
    "desk": on_desk,
    "shadow+rot5": combo_shadow_rot,
    "border+lines+rot3": combo_border_lines_rot,
    "desk+shadow+rot180": combo_desk_shadow_180,
}


PHOTO_VARIANTS: dict[str, Callable[[Img, Rng], Img]] = {"far": far_off}
"""Variants for the neural reader's photo benchmarks, not among the corrector's defaults."""


def low_resolution(img: Img, rng: Rng) -> Img:
    """A small upload: the longer side cut to 700 px (0.6 of a page already smaller), saved as a
    JPEG of quality 35."""
    h, w = img.shape[:2]
    scale = 700 / max(h, w) if max(h, w) > 700 else 0.6
    small = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 35])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else small


def faded(img: Img, rng: Rng) -> Img:
    """Faded thermal print: the ink at 45 % of its contrast against the paper, and sensor noise."""
    ink = 255.0 - (255.0 - img.astype(np.float32)) * 0.45
    return np.clip(ink + rng.normal(0, 9, img.shape), 0, 255).astype(np.uint8)


def out_of_focus(img: Img, rng: Rng) -> Img:
    """A blurred photo: a Gaussian of 1.3 px per 1,400 px of the longer side (0.9 px at least)."""
    side = max(img.shape[:2])
    return cv2.GaussianBlur(img, (0, 0), 1.3 * max(side / 1400, 0.7))


QUALITY_VARIANTS: dict[str, Callable[[Img, Rng], Img]] = {
    "lowres": low_resolution,
    "faded": faded,
    "blur": out_of_focus,
}
"""Poor print and poor pictures, for the recognizer and the review flag (misread amounts and dates)."""


def glare(img: Img, rng: Rng) -> Img:
    """A lamp's or flash's reflection on glossy thermal paper: an oblong bright patch, a fifth to a third
    of the page wide, that washes the ink out towards its middle (to a fifth of its contrast there)."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.25, 0.75) * w, rng.uniform(0.15, 0.85) * h
    rx = rng.uniform(0.10, 0.17) * w
    ry = rx * rng.uniform(0.6, 1.4) * max(1.0, h / max(w, 1)) ** 0.3
    theta = rng.uniform(0, np.pi)
    u = (xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta)
    v = -(xx - cx) * np.sin(theta) + (yy - cy) * np.cos(theta)
    spot = 0.8 * np.exp(-((u / rx) ** 2 + (v / ry) ** 2) ** 1.5)
    x = img.astype(np.float32)
    out = x + (255.0 - x) * spot[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def letter_height(img: Img) -> float:
    """The median height of the page's dark marks of letter size (Otsu), in pixels: blur and warps are
    scaled to the print, not to the page (a receipt may fill a phone's photo or a corner of an A4 scan)."""
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = [int(h) for _, _, w, h, area in stats[1:n] if 5 <= h <= 200 and w <= 3 * h and area >= 12]
    return float(np.median(heights)) if heights else 20.0


def dim_light(img: Img, rng: Rng) -> Img:
    """A photo in dim indoor light: the paper at 40-50 % of white under a warm cast, the ink a little
    lifted, the sensor's grain (in the light and in the colours) and a phone's JPEG. The grain is a
    sensor's that saw letters 40 px tall, averaged down with the photo to the letters' size here."""
    paper = rng.uniform(0.40, 0.50)
    cast = np.array([rng.uniform(0.65, 0.8), rng.uniform(0.85, 0.95), 1.0], np.float32)
    x = img.astype(np.float32) / 255.0
    x = (0.08 + (paper - 0.08) * x) * cast
    h, w = img.shape[:2]
    sigma = 0.05 * min(1.0, letter_height(img) / 40)
    grain = rng.normal(0, sigma, (h, w, 1)) + rng.normal(0, 0.6 * sigma, (h, w, 3))
    out = np.clip((x + grain) * 255.0, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, 60])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else out


def motion_blur(img: Img, rng: Rng) -> Img:
    """A shaken hand: a straight blur a third to a half of a letter's height long, at any angle."""
    length = max(3, round(letter_height(img) * rng.uniform(0.33, 0.5)))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    m = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), rng.uniform(0, 180), 1.0)
    kernel = cv2.warpAffine(kernel, m, (length, length))
    return cv2.filter2D(img, -1, kernel / max(float(kernel.sum()), 1e-6))


def crumpled(img: Img, rng: Rng) -> Img:
    """A receipt crumpled in a pocket and smoothed out: the paper warped by a smooth random field (up to
    half a letter's height), shaded where it bends, and two or three creases across it."""
    h, w = img.shape[:2]
    amp = 0.5 * letter_height(img)
    coarse = (max(3, h // 150), max(3, w // 150))

    def field() -> Img:
        f = cv2.resize(rng.normal(0, 1, coarse).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        return cv2.GaussianBlur(f, (0, 0), max(h, w) / 120)

    fx, fy = field(), field()
    scale = amp / max(float(np.abs(fx).max()), float(np.abs(fy).max()), 1e-6)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    warped = cv2.remap(img, xx + fx * scale, yy + fy * scale, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    gy, gx = np.gradient(fx + fy)
    shade = 1.0 + 0.12 * (gx + gy) / max(float(np.abs(gx + gy).max()), 1e-6)
    out = warped.astype(np.float32) * shade[..., None]
    for _ in range(int(rng.integers(2, 4))):
        x0, x1 = rng.uniform(-0.2, 1.2, 2) * w
        y0, y1 = rng.uniform(0, 1, 2) * h
        crease = np.zeros((h, w), np.float32)
        cv2.line(crease, (int(x0), int(y0)), (int(x1), int(y1)), 1.0, max(2, round(max(h, w) / 600)))
        crease = cv2.GaussianBlur(crease, (0, 0), max(h, w) / 800)
        out *= 1.0 - 0.25 * crease[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def curled(img: Img, rng: Rng) -> Img:
    """A receipt that curls as it lies under the phone: right of a point a third of the way across,
    each column rises or falls by up to a line's pitch at the edge, growing with the square of the
    distance (more in some stretches of the roll than others), and the tilt of the lines changes
    from the top of the page to the foot, by up to a line's pitch across the page."""
    h, w = img.shape[:2]
    pitch = 1.6 * letter_height(img)
    start = rng.uniform(0.2, 0.5) * w
    reach = rng.uniform(0.5, 1.0) * pitch * rng.choice((-1, 1))
    top_tilt, foot_tilt = rng.uniform(-1, 1, 2) * pitch / w
    margin = int(abs(reach) + pitch) + 1
    img = cv2.copyMakeBorder(img, margin, margin, 0, 0, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    h = img.shape[0]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    along = np.clip((xx - start) / (w - start), 0.0, 1.0) ** 2
    swing = 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.5, 1.5) * yy / h + rng.uniform(0, 2 * np.pi))
    tilt = top_tilt + (foot_tilt - top_tilt) * yy / h
    dy = (reach * along * swing + tilt * (xx - w / 2)).astype(np.float32)
    return cv2.remap(img, xx, yy - dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


LIGHT_VARIANTS: dict[str, Callable[[Img, Rng], Img]] = {
    "dim": dim_light,
    "glare": glare,
    "motion": motion_blur,
    "crumpled": crumpled,
}
"""Phone photos as people take them: poor light, a reflection, a shaken hand, paper that was crumpled."""

SHAPE_VARIANTS: dict[str, Callable[[Img, Rng], Img]] = {"curled": curled}
"""Paper that is not flat under the phone; the page grows by the height the curl bends into."""


def degrade_folder(images: list[Path], out: Path, seed: int = 0, variants: list[str] | None = None) -> Path:
    """Write every variant (of :data:`VARIANTS`, or the ones named, :data:`PHOTO_VARIANTS` and
    :data:`QUALITY_VARIANTS` too) of every image under ``out``; returns ``out``."""
    known = {**VARIANTS, **PHOTO_VARIANTS, **QUALITY_VARIANTS, **LIGHT_VARIANTS, **SHAPE_VARIANTS}
    for name in variants or list(VARIANTS):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        for index, path in enumerate(images):
            target = folder / f"{path.stem}.png"
            if target.exists():
                continue
            img = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if img is None:
                continue
            rng = np.random.default_rng([seed, index, sum(map(ord, name))])
            cv2.imwrite(str(target), known[name](img, rng))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("image_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--every", type=int, default=1, help="every Nth image (before --limit)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", help="comma-separated (default: the corrector's set)")
    parser.add_argument("--flat", action="store_true", help="also OUT_DIR/flat, labelled for `icr eval`")
    args = parser.parse_args()
    known = {**VARIANTS, **PHOTO_VARIANTS, **QUALITY_VARIANTS, **LIGHT_VARIANTS, **SHAPE_VARIANTS}
    names = [v.strip() for v in args.variants.split(",")] if args.variants else list(VARIANTS)
    if unknown := [v for v in names if v not in known]:
        parser.error(f"unknown variants {unknown} (known: {', '.join(known)})")
    repo = Path(__file__).resolve().parents[1]
    if args.out_dir.resolve().is_relative_to(repo):
        parser.error("OUT_DIR must be outside the repository (derived research data is never committed)")
    images = sorted(args.image_dir.glob("*.jpg"))[:: args.every][: args.limit]
    degrade_folder(images, args.out_dir, args.seed, names)
    if args.flat:
        flat = args.out_dir / "flat"
        flat.mkdir(exist_ok=True)
        for name in names:
            for path in images:
                stem = f"{name}__{path.stem}"
                link = flat / f"{stem}.png"
                if not link.exists():
                    link.symlink_to((args.out_dir / name / f"{path.stem}.png").resolve())
                for suffix in (".json", ".ocr.txt"):
                    label, target = flat / f"{stem}{suffix}", path.with_name(path.stem + suffix)
                    if target.exists() and not label.exists():
                        label.symlink_to(target.resolve())
    print(f"{len(images)} images x {len(names)} variants in {args.out_dir}")


if __name__ == "__main__":
    main()
