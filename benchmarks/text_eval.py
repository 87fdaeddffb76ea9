"""Score the text corrector on SROIE-style data, text only (no image stage).

usage:
  python benchmarks/text_eval.py GOLD_DIR [--ocr-cache DIR] [--templates DIR ...] [--out PRED.jsonl]
                                 [--exclude-dir DIR] [--limit N] [--show-errors FIELD] [--misses FIELD]

Without ``--ocr-cache`` it reads each ``<id>.ocr.txt`` transcript in GOLD_DIR (one text box
per line) through :func:`icr.text.ocr_from_lines`; with it, each ``<id>.tsv`` cached by
``benchmarks/ocr_cache.py`` (real Tesseract output with word confidences). Predictions go
to a jsonl file scored by the reference scorer ``/work/shared/tools/score_sroie.py``.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from icr.config import load_settings  # noqa: E402
from icr.text import ocr_from_lines  # noqa: E402
from icr.text.corrector import DefaultTextCorrector  # noqa: E402
from icr.types import OcrResult  # noqa: E402

SCORER = Path("/work/shared/tools/score_sroie.py")
FIELDS = ("company", "date", "address", "total")


def load_input(gold_dir: Path, stem: str, cache: Path | None) -> OcrResult | None:
    if cache is not None:
        from ocr_cache import load_tsv

        tsv = cache / f"{stem}.tsv"
        return load_tsv(tsv) if tsv.exists() else None  # type: ignore[return-value]
    txt = gold_dir / f"{stem}.ocr.txt"
    if not txt.exists():
        return None
    return ocr_from_lines(txt.read_text(encoding="utf-8", errors="replace").splitlines())


@functools.cache
def _scorer() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("score_sroie", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _miss_report(field: str, gold: object, pred: object, text: str) -> str | None:
    """``None`` when ``pred`` matches ``gold`` under the scorer's rules, else a one-paragraph report."""
    sc: Any = _scorer()
    if field == "total":
        ok = pred is not None and sc.parse_amount(gold) is not None and sc.parse_amount(gold) == sc.parse_amount(pred)
    elif field == "date":
        ok = pred is not None and sc.parse_date(gold) is not None and sc.parse_date(gold) == sc.parse_date(pred)
    else:
        ok = sc.norm_text(gold) == sc.norm_text(pred)
    if ok:
        return None
    needle = str(gold or "").strip()
    cue = {"date": r"DAT|TARIKH|\d\s?[/.-]\s?\d\d?\s?[/.-]\s?\d",
           "total": r"TOTAL|TTL|CASH|ROUND|AMOUNT|AMT|DUE|PAY|CHANGE"}.get(field, "")
    context = [ln for ln in text.splitlines()
               if (needle and needle.upper() in ln.upper()) or (cue and re.search(cue, ln, re.IGNORECASE))][:8]
    return f"gold {gold!r}  pred {pred!r}" + "".join(f"\n      | {c}" for c in context)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score the text corrector on SROIE-style data.")
    ap.add_argument("gold_dir", type=Path)
    ap.add_argument("--ocr-cache", type=Path, default=None)
    ap.add_argument("--templates", type=Path, action="append", default=[],
                    help="extra template folder (before the shipped ones); repeatable")
    ap.add_argument("--exclude-dir", type=Path, default=None,
                    help="skip the ids that have a <id>.json in this folder")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--show-errors", default=None, help="print gold vs predicted for this field")
    ap.add_argument("--misses", default=None, metavar="FIELD",
                    help="print only the documents where FIELD is wrong under the scorer's rules, "
                         "with the lines of the input that mention the gold value")
    args = ap.parse_args(argv)

    settings = load_settings()
    settings.template_dirs = list(args.templates)
    started = time.perf_counter()
    corrector = DefaultTextCorrector(settings)
    load_s = time.perf_counter() - started
    stems = sorted(p.stem for p in args.gold_dir.glob("*.json"))
    if args.exclude_dir is not None:
        skip = {p.stem for p in args.exclude_dir.glob("*.json")}
        stems = [s for s in stems if s not in skip]
    if args.limit:
        stems = stems[: args.limit]
    out = args.out or Path(tempfile.mkstemp(prefix="icr-text-eval-", suffix=".jsonl")[1])
    gold_subset = Path(tempfile.mkdtemp(prefix="icr-text-eval-gold-"))
    started = time.perf_counter()
    errors: list[str] = []
    with out.open("w", encoding="utf-8") as fh:
        for stem in stems:
            (gold_subset / f"{stem}.json").symlink_to((args.gold_dir / f"{stem}.json").resolve())
            ocr = load_input(args.gold_dir, stem, args.ocr_cache)
            if ocr is None:
                continue
            ex = corrector.extract(ocr)
            pred = {f: ex.fields[f].value for f in FIELDS if f in ex.fields}
            fh.write(json.dumps({"id": stem, "fields": pred, "template": ex.template}) + "\n")
            if args.misses:
                gold = json.loads((args.gold_dir / f"{stem}.json").read_text(encoding="utf-8-sig", errors="replace"))
                miss = _miss_report(args.misses, gold.get(args.misses), pred.get(args.misses), ex.corrected_text)
                if miss is not None:
                    errors.append(f"{stem}\t{miss}")
            if args.show_errors:
                gold = json.loads((args.gold_dir / f"{stem}.json").read_text(encoding="utf-8-sig", errors="replace"))
                errors.append(f"{stem}\t{gold.get(args.show_errors)!r}\t{pred.get(args.show_errors)!r}")
    per_doc = (time.perf_counter() - started) / max(len(stems), 1)
    result = subprocess.run([sys.executable, str(SCORER), str(gold_subset), str(out), "--json"],
                            capture_output=True, text=True, check=True)
    scores = json.loads(result.stdout)
    if args.show_errors or args.misses:
        print("\n".join(errors))
        if args.misses:
            print(f"{len(errors)} misses on {args.misses}")
    print(f"source: {'OCR cache ' + str(args.ocr_cache) if args.ocr_cache else 'ground-truth transcripts'}; "
          f"templates: shipped{' + ' + ', '.join(map(str, args.templates)) if args.templates else ''}")
    print(f"documents {scores['documents']}  predicted {scores['predicted']}  "
          f"load {load_s:.1f}s  {1000 * per_doc:.1f} ms/doc  predictions {out}")
    print("| field | exact | fuzzy |")
    print("|---|---|---|")
    for f in FIELDS:
        if scores["accuracy"][f] is None:  # a set without that label (expressexpense has no address)
            print(f"| {f} | – | – |")
            continue
        print(f"| {f} | {scores['accuracy'][f]:.3f} | {scores['fuzzy'][f]:.3f} |")
    print(f"| mean | {scores['mean_accuracy']:.3f} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
