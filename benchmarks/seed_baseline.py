#!/usr/bin/env python3
"""The seed-style baseline that icr is measured against, scored with icr eval's rules.

pytesseract ``--psm 6`` on the raw image (no correction); company = the first line;
date = the first date-looking token; total = the last amount on a line saying "total";
address = the lines between the first and the first date/phone line. Runs in a 2-process
pool with OMP_THREAD_LIMIT=1.

    python benchmarks/seed_baseline.py [DIR] [--json]     # DIR defaults to ../shared/datasets/sroie-dev
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = "1"

import cv2
import pytesseract
import regex

from icr.evaluate import format_report, score

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "sroie-dev"
DATE = regex.compile(r"\b(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2} [A-Z]{3} \d{4})\b", regex.I)
AMOUNT = regex.compile(r"\d+[.,]\d{2}\b")


def seed_fields(text: str) -> dict[str, str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    fields: dict[str, str] = {}
    if lines:
        fields["company"] = lines[0]
    for line in lines:
        m = DATE.search(line)
        if m:
            fields["date"] = m.group(1)
            break
    for line in lines:
        if "total" in line.lower():
            amounts = AMOUNT.findall(line)
            if amounts:
                fields["total"] = amounts[-1].replace(",", ".")
    address: list[str] = []
    for line in lines[1:6]:
        if DATE.search(line) or regex.search(r"\b(TEL|PHONE|GST)\b", line, regex.I):
            break
        address.append(line)
    if address:
        fields["address"] = " ".join(address)
    return fields


def run_one(path: Path) -> dict[str, object]:
    text = pytesseract.image_to_string(cv2.imread(str(path)), config="--psm 6")
    return {"id": path.stem, "fields": seed_fields(text), "text": text}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if not args.directory.is_dir():
        sys.exit(f"dataset not found at {args.directory}")
    images = sorted(p for p in args.directory.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    with ProcessPoolExecutor(args.jobs) as pool:
        records = list(pool.map(run_one, images, chunksize=4))
    report = score(args.directory, records)
    print(json.dumps(report.as_dict(), indent=2) if args.json else format_report(report))


if __name__ == "__main__":
    main()
