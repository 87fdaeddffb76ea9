#!/usr/bin/env python3
"""How ``ingest --split auto`` decides on real receipts (not a test).

Each receipt image of a folder is read three times by the profile's first reading (no second
read, no date check): whole, as one page of a scanner batch, and cut in two at the blankest
row between 40 % and 60 % of its height, as the two pages of one long receipt scanned in two.
The pipeline's own page test (``icr.pipeline._complete``, ``_misses_allowed``) is applied:

* page whole: the share of receipts that read as a whole receipt on their own;
* batch of 3 / 10 split: the chance that ``auto`` splits a batch of that many receipts, from
  that share (pages are read one by one), asking every page (``all``) or allowing the misses
  ``_misses_allowed`` allows (``auto``);
* 2-page receipt split: receipts whose two halves both read whole with different totals, which
  ``auto`` would wrongly make two documents.

    nice -n 5 .venv/bin/python benchmarks/split.py ../shared/datasets/sroie-dev --profile fast --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from math import comb
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

_STAGES: Any = None


def _stages(profile: str) -> Any:
    global _STAGES
    if _STAGES is None:
        from icr.config import load_settings
        from icr.pipeline import build_stages

        first_read_only = {"second_read": {"enabled": False}, "date_check": {"enabled": False}}
        _STAGES = build_stages(load_settings(profile=profile, overrides=first_read_only))
    return _STAGES


def _page(path: Path, image: Image.Image, stages: Any, work: Path) -> tuple[bool, object] | None:
    from icr.pipeline import Task, _complete, _total, process_document

    file = work / f"{path.stem}.png"
    image.save(file)
    try:
        result = process_document(Task(str(file), "0" * 64), stages)
    finally:
        file.unlink()
    if not result.ok or result.ocr is None:
        return None
    extraction = stages.text.extract(result.ocr)
    return bool(_complete(extraction)), _total(extraction)


def measure(args: tuple[str, str]) -> dict[str, Any]:
    path, profile = Path(args[0]), args[1]
    stages = _stages(profile)
    image = Image.open(path).convert("L")
    grey = np.asarray(image)
    ink = (grey < 128).sum(axis=1)
    low, high = int(len(ink) * 0.4), int(len(ink) * 0.6)
    cut = low + int(np.argmin(ink[low:high]))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        whole = _page(path, image, stages, work)
        top = _page(path, image.crop((0, 0, image.width, cut)), stages, work)
        bottom = _page(path, image.crop((0, cut, image.width, image.height)), stages, work)
    halves = None if top is None or bottom is None else top[0] and bottom[0] and top[1] != bottom[1]
    return {"whole": None if whole is None else whole[0], "halves_split": halves}


def batch_split(p: float, n: int, allowed: int) -> float:
    """The chance that at most ``allowed`` of ``n`` pages fail to read whole."""
    return sum(comb(n, k) * (1 - p) ** k * p ** (n - k) for k in range(allowed + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--profile", default="fast")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    from icr.pipeline import _misses_allowed

    images = sorted(str(p) for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(measure, [(image, args.profile) for image in images]))
    wholes = [r["whole"] for r in rows if r["whole"] is not None]
    halves = [r["halves_split"] for r in rows if r["halves_split"] is not None]
    p = sum(wholes) / len(wholes)
    report = {
        "folder": args.folder.name,
        "profile": args.profile,
        "receipts": len(rows),
        "page_whole": round(p, 3),
        "batch3_split_all": round(p**3, 3),
        "batch3_split_auto": round(batch_split(p, 3, _misses_allowed(3)), 3),
        "batch10_split_all": round(p**10, 3),
        "batch10_split_auto": round(batch_split(p, 10, _misses_allowed(10)), 3),
        "two_page_receipt_split": f"{sum(halves)}/{len(halves)}",
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
