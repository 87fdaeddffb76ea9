"""The text corrector on the golden world receipts with OCR slips put in (not a test).

Each typed receipt of ``tests/golden/world_receipts.yaml`` is read by the text corrector at a
recognizer's confidence (0.9) after slips a recognizer makes are put into its lines, seeded by
receipt and copy, one kind at a time:

* ``glue``: the space between a label and its amount or a word and a number lost (``TOTAL9.40``),
  on 15 % of the lines;
* ``split``: a space after an amount's decimal mark (``12, 50``), on 15 % of the lines;
* ``colon``: a colon read as a point, on 10 % of the lines;
* ``lookalike``: a letter after a letter read as the digit it looks like (``MON0PRIX``,
  ``Po1ska``, ``STORE5``), each such letter at 4 %;
* ``dropchar``: one letter of the line lost, on 5 % of the lines.

Reported per kind: the share of (receipt, copy) pairs whose total, date and company come out as the
golden file wants them; ``--misses`` lists the rest. The slips are what scans of the same receipts
show less often and all at once (``world_scans.py``); here each is measured alone.

usage: python benchmarks/ocr_slips.py [--kinds glue,split,colon,lookalike,dropchar] [--copies 3] [--misses]
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import regex
import yaml

CASES = Path(__file__).resolve().parent.parent / "tests" / "golden" / "world_receipts.yaml"
FIELDS = ("total", "date", "company")
LETTER_AS_DIGIT = {"O": "0", "o": "0", "I": "1", "l": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}


def _lookalike(line: str, rng: random.Random) -> str:
    chars = list(line)
    for i, c in enumerate(chars):
        if c in LETTER_AS_DIGIT and i > 0 and chars[i - 1].isalpha() and rng.random() < 0.04:
            chars[i] = LETTER_AS_DIGIT[c]
    return "".join(chars)


def _split(line: str, rng: random.Random) -> str:
    if rng.random() >= 0.15:
        return line
    return regex.sub(r"(\d)([.,])(\d\d)\b", r"\1\2 \3", line, count=1)


def _glue(line: str, rng: random.Random) -> str:
    if rng.random() >= 0.15:
        return line
    return regex.sub(r"([A-Za-z:])\s+(\d)", r"\1\2", line, count=1)


def _colon(line: str, rng: random.Random) -> str:
    return line.replace(":", ".", 1) if rng.random() < 0.1 else line


def _dropchar(line: str, rng: random.Random) -> str:
    if rng.random() >= 0.05:
        return line
    letters = [i for i, c in enumerate(line) if c.isalpha()]
    if not letters:
        return line
    i = rng.choice(letters)
    return line[:i] + line[i + 1 :]


SLIPS: dict[str, Callable[[str, random.Random], str]] = {
    "glue": _glue,
    "split": _split,
    "colon": _colon,
    "lookalike": _lookalike,
    "dropchar": _dropchar,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", default=",".join(SLIPS))
    ap.add_argument("--copies", type=int, default=3, help="slipped copies of each receipt per kind")
    ap.add_argument("--cases", type=Path, default=CASES)
    ap.add_argument("--misses", action="store_true")
    args = ap.parse_args()

    from icr.config import load_settings
    from icr.text.corrector import DefaultTextCorrector
    from icr.text.lines import ocr_from_lines

    corrector = DefaultTextCorrector(load_settings())
    cases = yaml.safe_load(args.cases.read_text(encoding="utf-8"))
    print(f"{len(cases)} receipts, {args.copies} copies per kind")
    print("| slips | " + " | ".join(FIELDS) + " |")
    print("| --- |" + " ---: |" * len(FIELDS))
    misses: list[str] = []
    for kind in args.kinds.split(","):
        slip = SLIPS[kind]
        right, counted = Counter[str](), Counter[str]()
        for case in cases:
            for copy in range(args.copies):
                rng = random.Random(f"{case['name']}-{copy}")
                lines = [slip(line, rng) for line in case["text"].splitlines()]
                fields = corrector.extract(ocr_from_lines(lines, confidence=0.9)).fields
                for name in FIELDS:
                    if name not in case["want"]:
                        continue
                    counted[name] += 1
                    got = fields.get(name)
                    value = None if got is None else str(got.typed if got.typed is not None else got.value)
                    if value == str(case["want"][name]):
                        right[name] += 1
                    else:
                        want = case["want"][name]
                        misses.append(f"miss {kind:9} {case['name']:28} {copy} {name:8} want={want!r} got={value!r}")
        print(f"| {kind} | " + " | ".join(f"{right[n] / max(counted[n], 1):.3f}" for n in FIELDS) + " |")
    if args.misses:
        print("\n".join(misses))


if __name__ == "__main__":
    main()
