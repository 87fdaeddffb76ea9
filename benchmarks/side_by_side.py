#!/usr/bin/env python3
"""Receipts laid side by side on one scan (not a test): whether ingest makes a document of each.

Consecutive receipts of a labelled folder (``<id>.jpg`` + ``<id>.json``) are set side by side on a
flatbed page (light, or dark with ``--bed 40`` as under an open lid), two or more at a time, each
scaled to a common height, with a gap of 3-8 % of it between them and small shifts up or down; each
page goes through the whole pipeline (``process_document``, the profile's settings) as ingest reads
a file. Reported: the share of pages
cut into exactly their receipts, and of each receipt's company, date and total read right
(``icr.evaluate.field_correct``, the scorer's rules) on the documents made, left to right; a page
not cut into exactly its receipts counts their fields as wrong. Also the pages cut into fewer
documents than receipts (one document holds two) and how many of them are flagged for it, and the
pages whose columns or bands were read again apart.
Compare with ``icr eval`` on the same folder (each receipt alone). The pages are written to a
temporary folder and deleted.

    nice -n 5 .venv/bin/python benchmarks/side_by_side.py ../shared/datasets/sroie-dev --pages 30 --per 2 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

FIELDS = ("company", "date", "total")
_STAGES: Any = None


def _stages(profile: str) -> Any:
    global _STAGES
    if _STAGES is None:
        from icr.config import load_settings
        from icr.pipeline import build_stages

        _STAGES = build_stages(load_settings(profile=profile))
    return _STAGES


def compose(
    images: list[Image.Image],
    rng: np.random.Generator,
    height: int = 1400,
    tilt: float = 0.0,
    bed: int = 238,
    rows: int = 1,
) -> Image.Image:
    """The receipts side by side on a page of grey ``bed`` (light: a closed lid; dark: an open one),
    each ``height`` px tall, apart by 3-8 % of it; with ``tilt``, each turned by its own angle of up
    to that many degrees either way, as hands lay them; with ``rows``, that many one above another in
    each column, column after column."""
    scaled = [im.convert("RGB").resize((max(1, round(im.width * height / im.height)), height)) for im in images]
    gaps = [int(height * rng.uniform(0.03, 0.08)) for _ in scaled]
    shifts = [int(height * rng.uniform(0, 0.05)) for _ in scaled]
    if tilt > 0:
        angles = [float(rng.uniform(-tilt, tilt)) for _ in scaled]
        scaled = [
            im.rotate(a, resample=Image.BICUBIC, expand=True, fillcolor=(bed, bed, bed - 2))
            for im, a in zip(scaled, angles, strict=True)
        ]
    if rows > 1:
        scaled = [stack(scaled[i : i + rows], rng, height, bed) for i in range(0, len(scaled), rows)]
        gaps, shifts = gaps[: len(scaled)], shifts[: len(scaled)]
    margin = int(height * 0.04)
    width = sum(im.width for im in scaled) + sum(gaps[1:]) + 2 * margin
    page = Image.new("RGB", (width, max(im.height for im in scaled) + max(shifts) + 2 * margin), (bed, bed, bed - 2))
    x = margin
    for im, gap, shift in zip(scaled, [0, *gaps[1:]], shifts, strict=True):
        x += gap
        page.paste(im, (x, margin + shift))
        x += im.width
    return page


def stack(images: list[Image.Image], rng: np.random.Generator, height: int, bed: int) -> Image.Image:
    """``images`` one above another, apart by 3-8 % of ``height``, each shifted right by up to 5 % of it."""
    gaps = [int(height * rng.uniform(0.03, 0.08)) for _ in images[1:]]
    shifts = [int(height * rng.uniform(0, 0.05)) for _ in images]
    width = max(im.width + dx for im, dx in zip(images, shifts, strict=True))
    column = Image.new("RGB", (width, sum(im.height for im in images) + sum(gaps)), (bed, bed, bed - 2))
    y = 0
    for im, dx, gap in zip(images, shifts, [*gaps, 0], strict=True):
        column.paste(im, (dx, y))
        y += im.height + gap
    return column


def measure(args: tuple[list[str], str, int, float, int, int]) -> dict[str, Any]:
    from icr.evaluate import field_correct, read_gold
    from icr.pipeline import Task, process_document

    paths, profile, seed, tilt, bed, rows = args
    stages = _stages(profile)
    page = compose([Image.open(p) for p in paths], np.random.default_rng(seed), tilt=tilt, bed=bed, rows=rows)
    with tempfile.TemporaryDirectory() as work:
        file = Path(work) / "page.png"
        page.save(file)
        result = process_document(Task(str(file), f"{seed:064d}"), stages)
    parts = result.parts if result.ok else []
    right = {name: 0 for name in FIELDS}
    counted = {name: 0 for name in FIELDS}
    for k, path in enumerate(paths):
        gold = read_gold(Path(path).with_suffix(".json")) or {}
        fields = parts[k].extraction.fields if len(parts) == len(paths) and parts[k].extraction else {}
        for name in FIELDS:
            if gold.get(name):
                counted[name] += 1
                fv = fields.get(name)
                right[name] += int(fv is not None and field_correct(name, fv.value, gold[name]))
    doubted = sum(1 for p in parts if p.extraction and any(r.startswith(("side by side:", "one above another:")) for r in p.extraction.review_reasons))  # noqa: E501
    cut = len(parts) == len(paths)
    again = "read_apart" in result.timings
    return {"cut": cut, "parts": len(parts), "doubted": doubted, "right": right, "counted": counted, "again": again}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--per", type=int, default=2, help="receipts a page")
    parser.add_argument("--profile", default="accurate")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tilt", type=float, default=0.0, help="each receipt turned by up to this many degrees")
    parser.add_argument("--bed", type=int, default=238, help="the page's grey (40: a dark scanner lid left open)")
    parser.add_argument("--rows", type=int, default=1, help="receipts one above another in each column")
    args = parser.parse_args()
    images = [p for p in sorted(args.folder.glob("*.jpg")) if p.with_suffix(".json").exists()]
    groups = [images[i : i + args.per] for i in range(0, len(images) - args.per + 1, args.per)][: args.pages]
    seeds = [args.seed * 100_000 + i for i in range(len(groups))]
    options = (args.tilt, args.bed, args.rows)
    work = [([str(p) for p in g], args.profile, s, *options) for g, s in zip(groups, seeds, strict=True)]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(measure, work))
    right = {name: sum(r["right"][name] for r in results) for name in FIELDS}
    counted = {name: sum(r["counted"][name] for r in results) for name in FIELDS}
    report = {
        "pages": len(results),
        "receipts_a_page": args.per,
        "cut_right": round(sum(r["cut"] for r in results) / max(1, len(results)), 3),
        "parts_made": sorted({r["parts"] for r in results}),
        # pages cut into fewer documents than receipts (one holds two) and whether one is flagged so
        "cut_short": sum(1 for r in results if 0 < r["parts"] < args.per),
        "cut_short_flagged": sum(1 for r in results if 0 < r["parts"] < args.per and r["doubted"]),
        "flagged_when_cut_right": sum(r["doubted"] for r in results if r["cut"]),
        # pages whose columns or bands were read again apart (icr.pipeline._read_apart)
        "read_apart": sum(r["again"] for r in results),
        "fields_right": {name: round(right[name] / counted[name], 3) if counted[name] else None for name in FIELDS},
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
