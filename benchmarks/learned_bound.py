"""How far templates learned from labelled receipts can take company and address.

A learned vendor template supplies the company and address its training labels give. A receipt
whose labelled value (as the scorer compares it: upper case, spaces collapsed) appears on no
training receipt cannot get it from any learned template: only an exact OCR reading scores it.
So, per field, the best a learner can do is

    (receipts whose label a training receipt has) + (the others the OCR reads exactly)

This script counts both, on ``GOLD_DIR`` against the training receipts in ``TRAIN_DIR`` that are
not in ``GOLD_DIR``; with ``--predictions`` (``icr export`` JSONL or ``text_eval.py --out``) it
also splits that run's exact matches between the two groups and prints how many of the unseen
labels the OCR would have to read exactly to reach ``--target``.

usage: python benchmarks/learned_bound.py ../shared/datasets/sroie-dev ../shared/datasets/sroie-train-text \\
           [--predictions run.jsonl] [--target company=0.90 --target address=0.80]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from icr.evaluate import field_correct, normalize_text, read_gold

FIELDS = ("company", "address")


def labels(folder: Path, skip: set[str] = frozenset()) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for path in sorted(folder.glob("*.json")):
        if path.stem in skip:
            continue
        gold = read_gold(path)
        if gold is not None:
            out[path.stem] = gold
    return out


def predictions(path: Path) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            key = Path(str(record.get("source") or record["id"])).stem
            out[key] = record.get("fields") or {}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gold_dir", type=Path)
    ap.add_argument("train_dir", type=Path)
    ap.add_argument("--predictions", type=Path, default=None)
    ap.add_argument("--target", action="append", default=[], metavar="FIELD=SHARE")
    args = ap.parse_args(argv)
    if not args.gold_dir.is_dir() or not args.train_dir.is_dir():
        print(f"datasets not found: {args.gold_dir}, {args.train_dir}", file=sys.stderr)
        return 2
    gold = labels(args.gold_dir)
    train = labels(args.train_dir, set(gold))
    targets = {f: float(v) for f, _, v in (t.partition("=") for t in args.target)} or {"company": 0.9, "address": 0.8}
    preds = predictions(args.predictions) if args.predictions else None
    print(f"{len(gold)} receipts scored; {len(train)} training receipts not among them")
    for name in FIELDS:
        known = {normalize_text(g.get(name)) for g in train.values()}
        seen = [s for s, g in gold.items() if normalize_text(g.get(name)) in known]
        unseen = [s for s in gold if s not in seen]
        line = f"{name}: label on a training receipt {len(seen)}/{len(gold)}, on none {len(unseen)}"
        if preds is not None:
            right = {s for s in gold if field_correct(name, preds.get(s, {}).get(name), gold[s].get(name))}
            ok_seen, ok_unseen = len(right & set(seen)), len(right & set(unseen))
            ceiling = len(seen) + ok_unseen
            line += (
                f"; this run exact {len(right)} ({ok_seen} of the seen, {ok_unseen} of the unseen);"
                f" ceiling with perfect vendor matching {ceiling}/{len(gold)} = {ceiling / len(gold):.2f}"
            )
            target = targets.get(name)
            if target is not None:
                need = max(0, math.ceil(target * len(gold) - 1e-9) - len(seen))
                line += f"; {target:.2f} needs {need} of the {len(unseen)} unseen read exactly"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
