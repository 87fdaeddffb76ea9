#!/usr/bin/env python3
"""Time to group a line engine's detected lines into rows on a long page (not a test).

``icr.ocr.adapter.words_from_lines`` levels, chains and groups every detected line of a page; the
rules compare lines with their neighbours, and a long page (a typed statement photographed, a
multi-column sheet) must not make that quadratic. The page here: ``--rows`` rows of ``--columns``
lines, each tilted a little, the tilt drifting down the page (seeded).

    .venv/bin/python benchmarks/line_rows.py --rows 700 --columns 3 --repeat 3
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass

from icr.ocr.adapter import words_from_lines


@dataclass(frozen=True)
class Line:
    box: tuple[tuple[float, float], ...]
    text: str
    confidence: float
    words: tuple[()] = ()


def page(rows: int, columns: int, seed: int) -> list[Line]:
    rng = random.Random(seed)
    out = []
    for r in range(rows):
        y = 20 + 30 * r
        for c in range(columns):
            x, w = 20 + 400 * c + rng.uniform(0, 40), rng.uniform(100, 350)
            slope = rng.uniform(-0.03, 0.03) + 0.0001 * r
            box = ((x, y), (x + w, y + w * slope), (x + w, y + w * slope + 20), (x, y + 20))
            out.append(Line(box, "WORD 12.50", 0.9))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=700)
    parser.add_argument("--columns", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    lines = page(args.rows, args.columns, args.seed)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        words_from_lines(lines)
        times.append(time.perf_counter() - start)
    print(f"{len(lines)} lines: best {min(times):.3f} s, median {sorted(times)[len(times) // 2]:.3f} s")


if __name__ == "__main__":
    main()
