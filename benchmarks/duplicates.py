#!/usr/bin/env python3
"""Receipts ingested twice (not a test): whether ``icr ingest`` flags the second copy of a purchase
(:mod:`icr.duplicates`) and leaves distinct receipts alone.

Every receipt of a labelled folder (``<id>.jpg`` + ``<id>.json``) is ingested together with a
second copy of the first ``--copies`` of them, made as a person would make it: scanned again a
little askew, under a shadow, photographed on a desk or faded (``benchmarks/degrade.py``'s
variants, taken in turn), ``<id>~again.png``. Reported: pairs where one is flagged naming the
other (caught; the one stored second is flagged, whichever a worker finished first), flags naming
another receipt (wrong), and the share of documents flagged for a duplicate. The pages are written
to a temporary folder and deleted.

    nice -n 5 .venv/bin/python benchmarks/duplicates.py ../shared/datasets/sroie-dev --copies 50 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from degrade import QUALITY_VARIANTS, VARIANTS  # benchmarks/, the script's folder

AGAIN = ["rot3", "shadow", "desk", "faded"]
"""How the second copy is made, in turn: another scan askew, in a shadow, a photo, a faded print."""
PREFIX = "possible duplicate: the same total and date as "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--copies", type=int, default=50, help="receipts ingested a second time")
    parser.add_argument("--profile", default="accurate")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--misses", action="store_true", help="list the copies missed and the wrong flags")
    parser.add_argument("--text", action="store_true", help="the folder's typed transcripts instead (see text())")
    args = parser.parse_args()
    if args.text:
        text(args.folder, args.misses)
        return
    images = [p for p in sorted(args.folder.glob("*.jpg")) if p.with_suffix(".json").exists()]
    makers = {**VARIANTS, **QUALITY_VARIANTS}
    with tempfile.TemporaryDirectory() as work:
        inbox = Path(work) / "in"
        inbox.mkdir()
        for path in images:
            os.symlink(path.resolve(), inbox / path.name)
        for index, path in enumerate(images[: args.copies]):
            img = cv2.imread(str(path), cv2.IMREAD_COLOR)
            variant = AGAIN[index % len(AGAIN)]
            rng = np.random.default_rng([index, sum(map(ord, variant))])
            cv2.imwrite(str(inbox / f"{path.stem}~again.png"), makers[variant](img, rng))
        db = Path(work) / "icr.db"
        icr = Path(sys.executable).parent / "icr"
        command = [str(icr), "-q", "ingest", str(inbox), "--db", f"sqlite:///{db}", "-j", str(args.jobs)]
        subprocess.run([*command, "--profile", args.profile], check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        with sqlite3.connect(db) as con:
            rows = con.execute("SELECT name, review_reasons FROM documents WHERE status = 'ok'").fetchall()
            fields = con.execute(
                "SELECT d.name, f.name, f.value FROM fields f JOIN documents d ON d.id = f.document_id"
                " WHERE f.name IN ('total', 'date', 'company', 'time', 'receipt_number', 'currency')"
            ).fetchall()
    flags = {
        name: reason[len(PREFIX) :].removesuffix(", read alike (stored twice?)")
        for name, reasons in rows
        for reason in (r.strip() for r in (reasons or "").split(";"))
        if reason.startswith(PREFIX)
    }
    copies = min(args.copies, len(images))
    # whichever of the two a worker finished first is stored first: the other names it
    pair = {name: first for name, first in flags.items() if f"{first}~again" == name or f"{name}~again" == first}
    caught = len({min(name, first) for name, first in pair.items()})
    report = {
        "receipts": len(images),
        "copies": copies,
        "documents": len(rows),
        "caught": caught,
        "caught_share": round(caught / copies, 3) if copies else None,
        "wrong": len(flags) - len(pair),
        "flagged_share": round(len(flags) / max(1, len(rows)), 3),
        "profile": args.profile,
    }
    print(json.dumps(report, indent=1))
    if args.misses:
        read: dict[str, dict[str, str]] = {}
        for doc, name, value in fields:
            read.setdefault(doc, {})[name] = value
        for path in images[:copies]:
            if path.stem not in pair and f"{path.stem}~again" not in pair:
                print("missed", path.stem, read.get(path.stem), read.get(f"{path.stem}~again"))
        for name, first in flags.items():
            if name not in pair:
                print("wrong", name, read.get(name), "as", first, read.get(first))


def text(folder: Path, misses: bool) -> None:
    """The typed transcripts ``<id>.ocr.txt`` of a labelled folder (sroie-train-text holds receipts
    scanned twice under two ids), read by the text corrector alone and compared in the order of
    their ids as ingest would (:func:`icr.duplicates.duplicates`): flagged pairs whose labels give
    the same company, date and total (right) or not (wrong), against the pairs so labelled."""
    from icr.config import load_settings
    from icr.duplicates import DuplicateOptions, duplicates
    from icr.duplicates import options_from as duplicate_options
    from icr.evaluate import read_gold
    from icr.text import ocr_from_lines
    from icr.text.corrector import DefaultTextCorrector

    settings = load_settings()
    corrector = DefaultTextCorrector(settings)
    options = duplicate_options(settings.section("duplicates")) or DuplicateOptions()
    records: dict[int, dict[str, str]] = {}
    labels: dict[int, tuple[str, ...]] = {}
    names: dict[int, str] = {}
    for path in sorted(folder.glob("*.ocr.txt")):
        name = path.name.removesuffix(".ocr.txt")
        gold = read_gold(folder / f"{name}.json")
        if gold is None:
            continue
        ocr = ocr_from_lines(path.read_text(encoding="utf-8", errors="replace").splitlines())
        ex = corrector.extract(ocr)
        key = len(names)
        names[key] = name
        records[key] = {n: fv.value for n, fv in ex.fields.items() if fv.value}
        labels[key] = tuple(" ".join(str(gold.get(f) or "").upper().split()) for f in ("company", "date", "total"))
    found = duplicates(records, records, options)
    alike = [(a, b) for a in labels for b in labels if a < b and labels[a] == labels[b] and all(labels[a])]
    labelled = {frozenset(pair) for pair in alike}
    right = sum(1 for a, b in found.items() if frozenset((a, b)) in labelled)
    report = {
        "transcripts": len(records),
        "pairs_labelled_alike": len(labelled),
        "flagged": len(found),
        "right": right,
        "wrong": len(found) - right,
        "flagged_share": round(len(found) / max(1, len(records)), 4),
    }
    print(json.dumps(report, indent=1))
    if misses:
        for a, b in found.items():
            print("flagged", names[a], "as", names[b], labels[a] == labels[b], records[a], records[b])
        for pair in labelled:
            a, b = sorted(pair)
            if found.get(b) != a:
                print("missed", names[a], names[b], records[a], records[b])


if __name__ == "__main__":
    main()
