"""The whole pipeline on receipts from many countries, printed and scanned here (not a test).

Each typed receipt of ``tests/golden/world_receipts.yaml`` (152 receipts, 49 countries) is printed
as a till roll would print it (a receipt font, its lines as typed, columns kept) and, per
``--mode``, scanned:

* ``clean``: the print as it is;
* ``scan``: turned up to 2 degrees, ink faded, blurred, grainy, shrunk and saved as JPEG;
* ``photo``: the roll on a table under uneven light, seen at a slant (a perspective warp), blurred,
  grainy, as JPEG;
* ``worn``: a faded thermal print (ink at a third to a half of its contrast, fading along the roll)
  scanned small (letters 9-13 px tall), grainy, as a coarse JPEG;
* ``bent``: a photo of a roll that curls: its right side bends up or down by half a line to a line
  and a half at the far edge, by an amount that changes along the roll (the amounts column drifts
  against the labels), blurred, grainy, as JPEG.

Every image then goes through the pipeline as ``icr ingest`` runs it (the profile's image corrector,
recognizer, text corrector; no database), and the fields the golden file wants are compared as
``tests/test_world_receipts.py`` compares the text corrector's. Reported per mode: the share of
receipts whose total, date, company and currency come out; the reading against the typed text (CER,
word recall, the printed total among the text's amounts, the date among the dates it prints: what
``ocr_engines.py`` measures on scans with transcripts); and the review flag's figures (documents
flagged, fields at a calibrated confidence of 0.9 or more and how many of those are right, wrong totals
and dates flagged). ``--misses`` lists each wrong field and each flagged receipt with its reasons.
Seeded by receipt and mode: the same command gives the same images.

    OMP_THREAD_LIMIT=1 .venv/bin/python benchmarks/world_scans.py --mode clean --mode scan --mode photo -j 2
    .venv/bin/python benchmarks/world_scans.py --mode photo --only de_ --misses --keep /tmp/world
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import random
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import regex
import yaml
from ocr_engines import amounts_in, dates_read
from PIL import Image, ImageDraw, ImageFont

from icr.metrics import cer, word_accuracy

CASES = Path(__file__).resolve().parent.parent / "tests" / "golden" / "world_receipts.yaml"
FIELDS = ("total", "date", "company", "currency", "tax_id")
"""Compared where the golden file wants them (a tax number: on the 12 receipts that print a valid one)."""
CALIBRATED = ("total", "date", "company")
"""The fields whose confidences are calibrated (issue 21's "fields at >= 0.9")."""
MODES = ("clean", "scan", "photo", "worn", "bent")
FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
)


KANA_FONTS = ("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
"""Fonts for Japanese receipts (Debian's fonts-ipafont-gothic, fonts-wqy-microhei)."""
HAN_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",)
"""Fonts for Chinese receipts, simplified and traditional (fonts-wqy-microhei)."""
HANGUL_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",)
"""Fonts for Korean receipts (fonts-wqy-microhei; no receipt font of FONTS draws Hangul)."""


def fonts_for(text: str) -> tuple[str, ...]:
    """The fonts that draw every character of ``text``: the receipt fonts, or a Chinese, Japanese or
    Korean one for a receipt in those scripts; of the receipt fonts those with a glyph for each of its
    characters (Liberation Mono has none for "฿", "₹", "₺" or "₱": it would print an empty box)."""
    if regex.search(r"[\p{Hiragana}\p{Katakana}]", text):
        return KANA_FONTS
    if regex.search(r"\p{Han}", text):
        return HAN_FONTS
    if regex.search(r"\p{Hangul}", text):
        return HANGUL_FONTS
    wanted = {ord(c) for c in text if not c.isspace()}
    drawing = tuple(f for f in FONTS if not Path(f).exists() or wanted <= _characters(f))
    return drawing or FONTS


@functools.cache
def _characters(font: str) -> frozenset[int]:
    """The characters ``font`` has a glyph for (every one when fontTools is not installed)."""
    try:
        from fontTools.ttLib import TTFont
    except ImportError:
        return frozenset(range(0x110000))
    return frozenset(TTFont(font, lazy=True).getBestCmap())


def printed(text: str, rng: random.Random) -> tuple[np.ndarray, int]:
    """The receipt's lines in one of the fonts for it (:func:`fonts_for`; those this machine has),
    black on white, grey levels, and the step from one line to the next (px)."""
    wanted = fonts_for(text)
    fonts = [f for f in wanted if Path(f).exists()]
    if not fonts:
        raise SystemExit(f"none of the fonts for this receipt is installed: {', '.join(wanted)}")
    font = ImageFont.truetype(rng.choice(fonts), rng.randint(20, 28))
    lines = text.rstrip("\n").splitlines()
    ascent, descent = font.getmetrics()
    step = int((ascent + descent) * rng.uniform(1.1, 1.35))
    width = max(int(font.getlength(line)) for line in lines if line.strip())
    margin = rng.randint(20, 40)
    page = Image.new("L", (width + 2 * margin, step * len(lines) + 2 * margin), 255)
    draw = ImageDraw.Draw(page)
    ink = rng.randint(0, 40)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * step), line, font=font, fill=ink)
    return np.asarray(page), step


def _grain(img: np.ndarray, rng: random.Random, sigma: float) -> np.ndarray:
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0.0, sigma, img.shape)
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED)


def _faded(img: np.ndarray, fade: float | np.ndarray, paper: float) -> np.ndarray:
    """The print with its ink at ``fade`` of its contrast on paper of grey ``paper`` (float)."""
    return paper - (255.0 - img.astype(np.float32)) * fade * paper / 255.0


def _captured(img: np.ndarray, rng: random.Random, scale: tuple[float, float], grain: tuple[float, float],
              quality: tuple[int, int]) -> np.ndarray:  # fmt: skip
    """``img`` (float) at a drawn scale, with grain, through a JPEG of a drawn quality."""
    h, w = img.shape
    factor = rng.uniform(*scale)
    out = cv2.resize(img, (int(w * factor), int(h * factor)), interpolation=cv2.INTER_AREA)
    return _jpeg(_grain(np.clip(out, 0, 255).astype(np.uint8), rng, rng.uniform(*grain)), rng.randint(*quality))


def scanned(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """A flatbed scan of a worn print: faded ink, a small turn, blur, grain, fewer pixels, JPEG."""
    fade = rng.uniform(0.55, 0.9)
    paper = rng.uniform(225, 250)
    out = _faded(img, fade, paper)
    h, w = out.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-2.0, 2.0), 1.0)
    out = cv2.warpAffine(out, turn, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=paper)
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.0))
    return _captured(out, rng, (0.7, 0.9), (4, 9), (50, 75))


def photographed(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """A phone photo of the roll on a table: darker surround, a slanted view, light falling off."""
    h, w = img.shape
    pad_x, pad_y = int(w * rng.uniform(0.15, 0.35)), int(h * rng.uniform(0.05, 0.12))
    table = rng.uniform(70, 150)
    canvas = np.full((h + 2 * pad_y, w + 2 * pad_x), table, np.float32)
    canvas[pad_y : pad_y + h, pad_x : pad_x + w] = img.astype(np.float32) * rng.uniform(0.85, 1.0)
    ch, cw = canvas.shape
    src = np.float32([[0, 0], [cw, 0], [cw, ch], [0, ch]])
    jitter = [(rng.uniform(-0.05, 0.05) * cw, rng.uniform(-0.03, 0.03) * ch) for _ in range(4)]
    dst = np.float32([[x + dx, y + dy] for (x, y), (dx, dy) in zip(src.tolist(), jitter, strict=True)])
    out = cv2.warpPerspective(canvas, cv2.getPerspectiveTransform(src, dst), (cw, ch), borderMode=cv2.BORDER_REPLICATE)
    angle = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
    ramp = (xx / cw - 0.5) * math.cos(angle) + (yy / ch - 0.5) * math.sin(angle)
    out = out * (1.0 - rng.uniform(0.15, 0.35) * (ramp + 0.5))
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.6, 1.2))
    return _captured(out, rng, (0.8, 1.0), (3, 7), (60, 85))


def worn(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """A thermal print gone pale, unevenly down the roll, scanned at a low resolution."""
    rows = np.linspace(0.0, 1.0, img.shape[0], dtype=np.float32)[:, None]
    start, end = rng.uniform(0.3, 0.5), rng.uniform(0.3, 0.5)
    fade = start + (end - start) * rows
    paper = rng.uniform(225, 245)
    return _captured(_faded(img, fade, paper), rng, (0.45, 0.6), (3, 6), (40, 60))


def bent(img: np.ndarray, rng: random.Random, step: int) -> np.ndarray:
    """The print curled: each column right of a start point moved up or down by an amount growing
    with the square of its distance from it, up to ``reach`` text lines at the right edge, that amount
    itself swinging along the roll (a wave of half to one and a half periods)."""
    start = rng.uniform(0.1, 0.4) * img.shape[1]
    reach = rng.uniform(0.5, 1.5) * step * rng.choice((-1, 1))
    margin = int(abs(reach)) + 1  # paper for the roll's ends to bend into
    img = cv2.copyMakeBorder(img, margin, margin, 0, 0, cv2.BORDER_CONSTANT, value=255)
    h, w = img.shape
    periods, phase = rng.uniform(0.5, 1.5), rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    along = np.clip((xx - start) / (w - start), 0.0, 1.0) ** 2
    swing = 0.5 + 0.5 * np.sin(2 * math.pi * periods * yy / h + phase)
    dy = (reach * along * swing).astype(np.float32)
    out = cv2.remap(img.astype(np.float32), xx, yy - dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out = _faded(out, rng.uniform(0.8, 1.0), rng.uniform(225, 250))
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.0))
    return _captured(out, rng, (0.8, 1.0), (3, 7), (60, 85))


def make_image(case: dict[str, Any], mode: str, folder: Path) -> Path:
    rng = random.Random(f"{case['name']}:{mode}")
    img, step = printed(case["text"], rng)
    if mode == "scan":
        img = scanned(img, rng)
    elif mode == "photo":
        img = photographed(img, rng)
    elif mode == "worn":
        img = worn(img, rng)
    elif mode == "bent":
        img = bent(img, rng, step)
    path = folder / f"{case['name']}.{mode}.{'png' if mode == 'clean' else 'jpg'}"
    cv2.imwrite(str(path), img)
    return path


_STAGES: Any = None


def _init(profile: str | None) -> None:
    global _STAGES
    from icr.config import load_settings
    from icr.pipeline import build_stages

    _STAGES = build_stages(load_settings(profile=profile or "accurate"))


def _process(path: str) -> tuple[str, dict[str, str | None], str, dict[str, Any]]:
    from icr.pipeline import Task, file_sha256, process_document

    result = process_document(Task(path, file_sha256(Path(path))), _STAGES)
    if result.extraction is None:
        return path, {}, result.error or "failed", {"flagged": True, "confidence": {}, "reasons": []}
    ex = result.extraction
    fields = {name: str(f.value) for name, f in ex.fields.items() if name in FIELDS}
    # what the review flag and the calibrated confidences make of it (issue 21's figures)
    confidence = {n: f.confidence for n, f in ex.fields.items() if n in FIELDS}
    review = {"flagged": ex.needs_review, "confidence": confidence, "reasons": ex.review_reasons}
    return path, fields, result.ocr.text if result.ocr is not None else "", review


def total_printed(text: str, total: str) -> list[str]:
    """How the typed receipt prints its total: the amounts whose value it is, as ``amounts_in`` writes
    them (digits and marks, no currency sign; what "present exactly in the OCR text" looks for)."""
    from decimal import Decimal

    from icr.text.locales import detect_locales, lexicon_for
    from icr.text.parsers import find_amounts

    lex = lexicon_for(detect_locales(text.splitlines()).tags)
    raws = [raw for line in text.splitlines() for value, raw, _ in find_amounts(line, lex) if value == Decimal(total)]
    return sorted({a for raw in raws for a in amounts_in(raw)})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--mode", action="append", choices=MODES, help="how the prints are scanned (repeatable; default all)"
    )
    ap.add_argument("--profile", help="the pipeline's profile (default accurate)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--only", help="receipts whose name starts with this")
    ap.add_argument("--cases", type=Path, default=CASES)
    ap.add_argument("--keep", type=Path, help="write the images (and each one's OCR text) here")
    ap.add_argument("--misses", action="store_true", help="list every wrong field")
    ap.add_argument("--json", type=Path, help="write the figures and the misses as JSON")
    args = ap.parse_args(argv)
    cases = [c for c in yaml.safe_load(args.cases.read_text(encoding="utf-8")) if c["name"].startswith(args.only or "")]
    modes = args.mode or list(MODES)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="icr-world-"))
    folder.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, tuple[str, str, dict[str, str]]] = {}
    for case in cases:
        for mode in modes:
            wanted[str(make_image(case, mode, folder))] = (case["name"], mode, case["want"])
    typed = {c["name"]: (c["text"], total_printed(c["text"], c["want"]["total"])) for c in cases}
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(args.profile,)) as pool:
        results = list(pool.map(_process, sorted(wanted), chunksize=1))
    seconds = time.perf_counter() - start
    right: Counter[tuple[str, str]] = Counter()
    seen: Counter[tuple[str, str]] = Counter()
    misses = []
    review: dict[str, Counter[str]] = {mode: Counter() for mode in modes}
    flags: list[tuple[str, str, str]] = []
    ocr: dict[str, Counter[str]] = {mode: Counter() for mode in modes}
    for path, got, text, flag in results:
        name, mode, want = wanted[path]
        if args.keep:
            Path(path).with_suffix(".txt").write_text(text, encoding="utf-8")
        r = review[mode]
        r["docs"] += 1
        # the reading itself against the typed text (issue 17's figures)
        source, totals = typed[name]
        ocr[mode]["cer"] += cer(text, source)
        ocr[mode]["words"] += word_accuracy(text, source)
        ocr[mode]["total_in_text"] += bool(set(totals) & amounts_in(text))
        ocr[mode]["date_read"] += "date" in want and dt.date.fromisoformat(want["date"]) in dates_read(text)
        ocr[mode]["dated"] += "date" in want
        r["flagged"] += bool(flag["flagged"])
        if flag["flagged"]:
            flags.append((mode, name, "; ".join(flag["reasons"])))
        for field in FIELDS:
            if field not in want:
                continue
            seen[mode, field] += 1
            ok = got.get(field) == want[field]
            if field in CALIBRATED and flag["confidence"].get(field, 0.0) >= 0.9:
                r["sure"] += 1
                r["sure_right"] += ok
            if field in ("total", "date") and not ok:
                r["wrong"] += 1
                r["caught"] += bool(flag["flagged"])
            if ok:
                right[mode, field] += 1
            else:
                misses.append(
                    {"receipt": name, "mode": mode, "field": field, "want": want[field], "got": got.get(field)}
                )
    figures = {mode: {f: round(right[mode, f] / seen[mode, f], 3) for f in FIELDS if seen[mode, f]} for mode in modes}
    print(f"{len(cases)} receipts, {len(results)} images in {seconds:.0f} s ({args.jobs} workers)")
    print("| mode | " + " | ".join(FIELDS) + " |")
    print("| --- |" + " ---: |" * len(FIELDS))
    for mode in modes:
        print(f"| {mode} | " + " | ".join(f"{figures[mode].get(f, float('nan')):.3f}" for f in FIELDS) + " |")
    print("| mode | CER | words | total in text | date read |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for mode in modes:
        o, n = ocr[mode], max(review[mode]["docs"], 1)
        dated = f"{o['date_read'] / o['dated']:.3f}" if o["dated"] else "-"
        print(f"| {mode} | {o['cer'] / n:.4f} | {o['words'] / n:.3f} | {o['total_in_text'] / n:.3f} | {dated} |")
    print("| mode | flagged | fields at >= 0.9 | right of those | wrong totals and dates caught |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for mode in modes:
        r = review[mode]
        sure = f"{r['sure_right'] / r['sure']:.3f}" if r["sure"] else "-"
        flagged = r["flagged"] / max(r["docs"], 1)
        print(f"| {mode} | {flagged:.3f} | {r['sure']} | {sure} | {r['caught']} of {r['wrong']} |")
    if args.misses:
        for m in sorted(misses, key=lambda m: (m["mode"], m["receipt"], m["field"])):
            print(f"miss {m['mode']:5} {m['receipt']:28} {m['field']:8} want={m['want']!r} got={m['got']!r}")
        for mode, name, why in sorted(flags):
            print(f"flag {mode:5} {name:28} {why}")
    if args.json:
        report = {"figures": figures, "ocr": ocr, "review": review, "misses": misses, "seconds": seconds}
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
