#!/usr/bin/env python3
"""OCR engines and modes side by side on a folder with transcripts (not a test).

For each mode, every ``<stem>.jpg`` (or ``.png``, as ``degrade.py --flat`` writes) with a
``<stem>.ocr.txt`` transcript beside it is corrected by the configured image corrector and read by
the mode's recognizer (the first read only: no second read, no date check). Reported per mode:

* CER and word accuracy (:mod:`icr.metrics`' normalisation), means over receipts;
* spaces: spaces in the OCR text / spaces in the transcript (both normalised), summed;
* total, date: the share of receipts whose gold total (``<stem>.json``) appears as an exact
  amount token in the OCR text, and whose gold date appears exactly (spaces collapsed);
  date read: whose gold date is among the dates the text prints in any format, as the extractor
  reads them with the document's locale packs, each token as the OCR read it (no slip repaired):
  a label written "20180304" for a receipt that prints "04/03/2018" is read, not present;
* s/doc: wall time with ``--jobs`` worker processes (each keeps its engine loaded; start-up
  not counted), the modes run interleaved in chunks of ``--chunk`` receipts, the order
  rotating chunk by chunk, so that a noisy neighbour hits every mode alike.

    nice -n 5 .venv/bin/python benchmarks/ocr_engines.py ../shared/datasets/sroie-dev
    nice -n 5 .venv/bin/python benchmarks/ocr_engines.py DIR --modes tesseract,neural --limit 20
    .venv/bin/python benchmarks/ocr_engines.py DIR --db sqlite:///val.db   # score what `icr eval --db` stored

With ``--db`` nothing is read: the OCR text each document was stored with (the first reading a
profile made, as ``icr eval --profile P --db URL`` stored it) is scored the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGES = ROOT.parent / "shared" / "datasets" / "sroie-dev"

MODES: dict[str, tuple[str | None, dict[str, Any]]] = {
    # name: (profile, overrides) -- settings as icr loads them
    "tesseract": ("fast", {}),
    "neural": (None, {"stages": {"recognizer": "rapidocr"}}),
    "neural-uncleaned": (
        None,
        {"stages": {"recognizer": "rapidocr"}, "image_corrector": {"steps": ["grayscale", "orientation"]}},
    ),
    "hybrid": (None, {"stages": {"recognizer": "hybrid"}}),
    "fusion": (None, {"stages": {"recognizer": "fusion"}}),
    "fast": ("fast", {}),
    "accurate": ("accurate", {}),
}

AMOUNT = re.compile(r"(?<![\d.])\d[\d,]*(?:\.\d+)?")

_STAGES: Any = None


def _init(profile: str | None, overrides: dict[str, Any]) -> None:
    global _STAGES
    from icr.config import load_settings
    from icr.registry import build_image_corrector, build_recognizer

    settings = load_settings(profile=profile, overrides=overrides)
    _STAGES = (build_image_corrector(settings), build_recognizer(settings))


def _read(path: str) -> str:
    from icr.imaging.load import load_pages

    corrector, recognizer = _STAGES
    pages = [corrector.correct(page) for page in load_pages(Path(path))]
    return str(recognizer.recognize(pages).text)


def amounts_in(text: str) -> set[str]:
    return {m.group(0).rstrip(",").replace(",", "") for m in AMOUNT.finditer(text)}


def dates_read(text: str) -> set[Any]:
    """The dates printed in ``text`` as the extractor reads them (the document's locale packs and date
    order), each only where its token stands in the text as read, its digits as printed: no slip
    repaired, though a pack's marks may be ("2023年05月12日" reads as 2023/05/12)."""
    from icr.text.locales import detect_locales, lexicon_for
    from icr.text.parsers import ParseOptions, find_dates

    lines = text.splitlines()
    choice = detect_locales(lines)
    lex = lexicon_for(choice.tags)
    # the order the cues hint at when no pack is sure, as the corrector takes it
    day_first = choice.date_order != "month_first" if choice.date_order else lex.day_first
    opts = ParseOptions(day_first=day_first, lexicon=lex)
    return {
        date
        for line in lines
        for date, raw, at in find_dates(line, opts)
        if raw in line or _digits(line[at : at + len(raw)]) == _digits(raw)
    }


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


@dataclass
class Scores:
    cer: float
    words: float
    spaces_out: int
    spaces_in: int
    total: bool | None
    date: bool | None
    date_read: bool | None
    """The gold date among the dates the text prints, whatever their format ("04/03/2018" for a label
    written "20180304"): read by the OCR, though not as the label writes it."""


def score(text: str, transcript: str, gold: dict[str, Any]) -> Scores:
    from icr.evaluate import to_date
    from icr.metrics import cer, normalize, word_accuracy

    out, ref = normalize(text), normalize(transcript)
    gold_date = to_date(gold.get("date")) if gold.get("date") else None
    total = next(iter(sorted(amounts_in(str(gold.get("total") or "")), key=len, reverse=True)), "")  # "RM 3.90"
    date = " ".join(str(gold.get("date") or "").upper().split())
    return Scores(
        cer(text, transcript),
        word_accuracy(text, transcript),
        out.count(" "),
        ref.count(" "),
        (total in amounts_in(text)) if total else None,
        (date in out) if date else None,
        (gold_date in dates_read(text)) if gold_date else None,
    )


def share(values: list[bool | None]) -> float:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else float("nan")


def figures(
    folder: Path, modes: list[str], stems: list[str], texts: dict[str, dict[str, str]], seconds: dict[str, float]
) -> dict[str, dict[str, float]]:
    report: dict[str, dict[str, float]] = {}
    for m in modes:
        rows = []
        for s in stems:
            transcript = (folder / f"{s}.ocr.txt").read_text(encoding="utf-8")
            gold_path = folder / f"{s}.json"
            gold = json.loads(gold_path.read_text(encoding="utf-8")) if gold_path.is_file() else {}
            rows.append(score(texts[m][s], transcript, gold))
        report[m] = {
            "cer": statistics.mean(r.cer for r in rows),
            "words": statistics.mean(r.words for r in rows),
            "spaces": sum(r.spaces_out for r in rows) / max(1, sum(r.spaces_in for r in rows)),
            "total": share([r.total for r in rows]),
            "date": share([r.date for r in rows]),
            "date_read": share([r.date_read for r in rows]),
            "s_per_doc": seconds[m] / len(stems),
        }
    return report


def stored_texts(url: str) -> dict[str, str]:
    """Each stored document's OCR text by its name (the image's stem)."""
    from icr.db.database import open_engine, upgrade
    from icr.export import iter_records

    engine = open_engine(url)
    try:
        upgrade(engine)  # a database an older icr wrote

        return {str(r["id"]): str(r.get("text") or "") for r in iter_records(engine) if r["status"] == "ok"}
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="?", type=Path, default=DEFAULT_IMAGES)
    parser.add_argument(
        "--modes", default="tesseract,neural,hybrid,fusion", help=f"Comma-separated: {', '.join(MODES)}"
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=10)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument("--db", help="Score the texts stored in this icr database instead of reading.")
    parser.add_argument("--texts", type=Path, help="Write every mode's OCR text here (JSON, after each chunk).")
    args = parser.parse_args()
    if not args.images.is_dir():
        raise SystemExit(f"no folder at {args.images} (it is read from ../shared/datasets, never copied in)")
    images = [p for ext in ("png", "jpg") for p in args.images.glob(f"*.{ext}")]
    files = {p.stem: p for p in images if p.with_suffix(".ocr.txt").is_file()}
    stems = sorted(files)
    stems = stems[: args.limit] if args.limit else stems
    if args.db:
        stored = stored_texts(args.db)
        stems = [s for s in stems if s in stored]
        if not stems:
            raise SystemExit(f"no document of {args.images} stored in {args.db}")
        report = figures(args.images, ["stored"], stems, {"stored": stored}, {"stored": float("nan")})
        r = report["stored"]
        print(f"{len(stems)} receipts stored in {args.db}")
        print(f"CER {r['cer']:.3f}  words {r['words']:.3f}  spaces {r['spaces']:.2f}  total in text {r['total']:.3f}"
              f"  date in text {r['date']:.3f} (read, in any format: {r['date_read']:.3f})")  # fmt: skip
        return
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not stems:
        raise SystemExit(
            f"unknown modes {unknown}" if unknown else f"no <stem>.jpg or .png with <stem>.ocr.txt in {args.images}"
        )
    print(f"{len(stems)} receipts from {args.images}, {args.jobs} jobs, load average {os.getloadavg()[0]:.1f}")

    pools = {
        m: ProcessPoolExecutor(args.jobs, initializer=_init, initargs=MODES[m]) for m in modes
    }  # each pool's workers load their engines before the clock starts
    texts: dict[str, dict[str, str]] = {m: {} for m in modes}
    seconds: dict[str, float] = dict.fromkeys(modes, 0.0)
    try:
        for m in modes:
            list(pools[m].map(_read, [str(files[stems[0]])] * args.jobs))
        chunks = [stems[i : i + args.chunk] for i in range(0, len(stems), args.chunk)]
        for c, chunk in enumerate(chunks):
            order = modes[c % len(modes) :] + modes[: c % len(modes)]
            for m in order:
                start = time.perf_counter()
                read = list(pools[m].map(_read, [str(files[s]) for s in chunk]))
                seconds[m] += time.perf_counter() - start
                texts[m].update(zip(chunk, read, strict=True))
            done = list(texts[modes[0]])
            partial = figures(args.images, modes, done, texts, seconds)
            summary = ", ".join(f"{m} {r['cer']:.3f}/{r['total']:.2f}/{r['s_per_doc']:.2f}" for m, r in partial.items())
            print(f"after {len(done)} (CER/total/s per doc): {summary}", flush=True)
            if args.texts:
                args.texts.write_text(json.dumps(texts), encoding="utf-8")
    finally:
        for pool in pools.values():
            pool.shutdown()

    report = figures(args.images, modes, list(texts[modes[0]]), texts, seconds)
    floor = report[modes[0]]["s_per_doc"]
    columns = ["mode", "CER", "words", "spaces", "total in text", "date in text (read)", f"s/doc ({args.jobs} jobs)"]
    print("\n| " + " | ".join([*columns, f"x {modes[0]}"]) + " |")
    print("|---|---|---|---|---|---|---|---|")
    for m, r in report.items():
        print(
            f"| {m} | {r['cer']:.3f} | {r['words']:.3f} | {r['spaces']:.2f} | {r['total']:.2f} | {r['date']:.2f} "
            f"({r['date_read']:.2f}) "
            f"| {r['s_per_doc']:.3f} | {r['s_per_doc'] / floor:.2f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
