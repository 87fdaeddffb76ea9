"""Measure the image corrector: OCR quality with each step alone, the default chain, and on degraded copies.

usage: python benchmarks/image_corrector.py [--data DIR] [--limit 30] [--every 1] [--jobs 2]
           [--sections clean,steps,rescale,degraded,psm,binarize] [--variants rot3,rot90,...]
           [--work /tmp/icr-degraded] [--fields]

For every receipt ``<id>.jpg`` with a transcript ``<id>.ocr.txt`` the page goes
through the corrector (a configuration = a list of steps plus option
overrides), then Tesseract (``image_to_data``, ``--psm 6`` unless measuring psm,
OMP_THREAD_LIMIT=1, at most ``--jobs`` processes); the words are joined into
lines by icr's own adapter, as the pipeline does. Scores (see icr/metrics.py):

* CER: character error rate of the whitespace-normalised, upper-cased text
  against the transcript joined the same way (lower is better);
* word accuracy: share of transcript words found in the OCR text, as a bag of
  words (order-free recall; higher is better).

Receipts: every ``--every``-th one by name, at most ``--limit``. Timing: the
corrector's per-step seconds and the Tesseract call's seconds are both taken in
the worker, so "corrector / recognize" compares them under the same load.

Sections: ``clean`` (off and the default chain), ``steps`` (each step alone),
``rescale`` (the chain without rescale and with target heights 24/30/36), ``binarize``
(the chain with each binarization), ``psm`` (the chain read with psm 3, 4, 6),
``degraded`` (copies made by benchmarks/degrade.py in ``--work``, outside the
repository: off vs the chain). ``--fields`` adds field accuracy (company, date,
address, total; rules of icr.evaluate) through the text corrector when it is
importable. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ["OMP_THREAD_LIMIT"] = "1"

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "sroie-dev"
FIELDS = ("company", "date", "address", "total")


@dataclass(frozen=True)
class Task:
    image: str
    transcript: str
    gold: str
    variant: str
    config: str
    steps: tuple[str, ...] | None
    overrides: tuple[tuple[str, Any], ...] = ()
    psm: int = 6
    fields: bool = False


@dataclass
class Outcome:
    task: Task
    cer: float
    words: float
    timings: dict[str, float]
    info: dict[str, float]
    fields: dict[str, bool] = field(default_factory=dict)
    error: str = ""
    ocr_seconds: float = 0.0


_TEXT_CORRECTOR: Any = None


def _text_corrector() -> Any:
    global _TEXT_CORRECTOR
    if _TEXT_CORRECTOR is None:
        from icr.config import load_settings
        from icr.text.corrector import DefaultTextCorrector

        _TEXT_CORRECTOR = DefaultTextCorrector(load_settings())
    return _TEXT_CORRECTOR


def run(task: Task) -> Outcome:
    import pytesseract

    from icr.config import load_settings
    from icr.imaging.corrector import NoopCorrector, OpenCVCorrector
    from icr.imaging.load import load_pages
    from icr.metrics import cer, word_accuracy
    from icr.ocr.adapter import page_from_words, words_from_tsv
    from icr.types import OcrResult

    # Nothing here reads a page twice, so the orientation step decides at once (the pipeline
    # instead reads an unclear page as it is first and settles it from that reading).
    options = {**load_settings().section("image_corrector"), "orientation_defer": False}
    options.update(dict(task.overrides))
    page = load_pages(Path(task.image))[0]
    try:
        if task.steps is None:
            corrected = NoopCorrector(options).correct(page)
        else:
            corrected = OpenCVCorrector(options).correct(page, list(task.steps))
        ocr_start = time.perf_counter()
        data = pytesseract.image_to_data(
            corrected.image, config=f"--psm {task.psm}", output_type=pytesseract.Output.DICT, timeout=120
        )
        ocr_seconds = time.perf_counter() - ocr_start
    except Exception as exc:  # a failure is a data point, not the end of the run
        return Outcome(task, 1.0, 0.0, {}, {}, error=f"{type(exc).__name__}: {exc}")
    h, w = corrected.image.shape[:2]
    ocr_page = page_from_words(words_from_tsv(data), w, h)
    ref = Path(task.transcript).read_text(encoding="utf-8", errors="replace")
    out = Outcome(
        task, cer(ocr_page.text, ref), word_accuracy(ocr_page.text, ref), corrected.timings, corrected.info,
        ocr_seconds=ocr_seconds,
    )
    if task.fields:
        from icr.evaluate import field_correct, read_gold

        gold = read_gold(Path(task.gold)) or {}
        extraction = _text_corrector().extract(OcrResult([ocr_page]))
        for name in FIELDS:
            if gold.get(name) not in (None, ""):
                fv = extraction.fields.get(name)
                out.fields[name] = field_correct(name, fv.value if fv else None, gold[name])
    return out


def receipts(data: Path, limit: int, every: int = 1) -> list[tuple[Path, Path, Path]]:
    out = []
    for image in sorted(data.glob("*.jpg"))[:: max(1, every)]:
        transcript, gold = image.with_suffix(".ocr.txt"), image.with_suffix(".json")
        if transcript.is_file():
            out.append((image, transcript, gold))
    return out[:limit]


def fields_available() -> bool:
    try:
        _text_corrector()
    except Exception as exc:
        print(f"field accuracy off: the text corrector is not usable ({type(exc).__name__}: {exc})", file=sys.stderr)
        return False
    return True


def table(outcomes: list[Outcome], key: str, with_fields: bool, baseline: dict[str, float] | None = None) -> str:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[getattr(o.task, key) if key != "variant+config" else f"{o.task.variant} / {o.task.config}"].append(o)
    head = "| configuration | n | CER | word acc. | worse than off | ms/page corrector | ms/page OCR | corr./OCR |"
    sep = "|---|---|---|---|---|---|---|---|"
    if with_fields:
        head += " " + " | ".join(FIELDS) + " |"
        sep += "---|" * len(FIELDS)
    rows = [head, sep]
    for name, items in groups.items():
        n = len(items)
        c = sum(o.cer for o in items) / n
        wa = sum(o.words for o in items) / n
        worse = "-"
        if baseline is not None:
            worse = str(sum(1 for o in items if o.cer > baseline.get(o.task.image + o.task.variant, 9) + 0.01))
        ms = sum(sum(o.timings.values()) for o in items) / n * 1000
        ocr_ms = sum(o.ocr_seconds for o in items) / n * 1000
        errors = sum(1 for o in items if o.error)
        label = name + (f" ({errors} failed)" if errors else "")
        ratio = ms / max(ocr_ms, 1e-9)
        row = f"| {label} | {n} | {c:.3f} | {wa:.3f} | {worse} | {ms:.0f} | {ocr_ms:.0f} | {ratio:.0%} |"
        if with_fields:
            for f in FIELDS:
                vals = [o.fields[f] for o in items if f in o.fields]
                row += f" {sum(vals) / len(vals):.2f} |" if vals else " - |"
        rows.append(row)
    return "\n".join(rows)


def step_timings(outcomes: list[Outcome]) -> str:
    """Mean and max time per step, the share of pages each step changed, and Tesseract's time beside them."""
    acc: dict[str, list[float]] = defaultdict(list)
    applied: dict[str, list[float]] = defaultdict(list)
    for o in outcomes:
        for k, v in o.timings.items():
            acc[k].append(v)
            if f"{k}_applied" in o.info:
                applied[k].append(o.info[f"{k}_applied"])
    ocr = [o.ocr_seconds for o in outcomes if not o.error]
    rows = ["| step | mean ms | max ms | applied to |", "|---|---|---|---|"]
    for k, vs in acc.items():
        share = f"{sum(applied[k])}/{len(applied[k])}" if applied[k] else "-"
        rows.append(f"| {k} | {sum(vs) / len(vs) * 1000:.1f} | {max(vs) * 1000:.1f} | {share} |")
    total = [sum(o.timings.values()) for o in outcomes]
    if total and ocr:
        rows.append(f"| **all steps** | {sum(total) / len(total) * 1000:.1f} | {max(total) * 1000:.1f} | |")
        rows.append(f"| Tesseract (recognize) | {sum(ocr) / len(ocr) * 1000:.1f} | {max(ocr) * 1000:.1f} | |")
    probes = [o.info.get("orientation_probe", 0.0) for o in outcomes if "orientation_probe" in o.info]
    if probes:
        rows.append(f"\norientation asked Tesseract on {sum(probes):.0f} of {len(probes)} pages")
    return "\n".join(rows)


EXPECTED_TURN = {"rot90": 270, "rot180": 180, "desk+shadow+rot180": 180}
"""Clockwise turn that makes each degraded variant upright (the others are upright)."""


def orientation_accuracy(outcomes: list[Outcome]) -> str:
    """Per variant: pages turned the right way, and how many needed the Tesseract probe."""
    rows = ["| variant | n | turned right | asked Tesseract |", "|---|---|---|---|"]
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if "rotation" in o.info:
            groups[o.task.variant].append(o)
    for variant, items in groups.items():
        want = EXPECTED_TURN.get(variant, 0)
        right = sum(1 for o in items if int(o.info["rotation"]) == want)
        probes = sum(o.info.get("orientation_probe", 0.0) for o in items)
        rows.append(f"| {variant} | {len(items)} | {right} | {probes:.0f} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--every", type=int, default=1, help="take every N-th receipt by name")
    parser.add_argument("--variants", default="", help="degraded variants to run (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sections", default="clean,binarize,psm,degraded")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "icr-degraded")
    parser.add_argument("--fields", action="store_true")
    args = parser.parse_args()
    if not args.data.is_dir():
        parser.error(f"{args.data}: no such folder (the sroie-dev data set)")
    if args.work.resolve().is_relative_to(REPO):
        parser.error("--work must be outside the repository")
    jobs = max(1, min(args.jobs, 2))
    sections = set(args.sections.split(","))

    from icr.config import load_settings
    from icr.imaging.corrector import STEPS

    chain = tuple(load_settings().section("image_corrector").get("steps", []))
    docs = receipts(args.data, args.limit, args.every)
    with_fields = args.fields and fields_available()
    tasks: list[Task] = []

    def add(variant: str, image: Path, t: Path, g: Path, config: str, steps: tuple[str, ...] | None,
            overrides: tuple[tuple[str, Any], ...] = (), psm: int = 6, fields: bool = False) -> None:
        tasks.append(Task(str(image), str(t), str(g), variant, config, steps, overrides, psm, fields and with_fields))

    for image, t, g in docs:
        if sections & {"clean", "steps", "rescale", "binarize", "psm", "degraded"}:
            add("clean", image, t, g, "off", None, fields=True)
            add("clean", image, t, g, "chain", chain, fields=True)
        if "steps" in sections:
            for step in STEPS:
                if step != "grayscale":
                    add("clean", image, t, g, f"{step} alone", (step,), fields=True)
        if "rescale" in sections:
            without = tuple(s for s in chain if s != "rescale")
            add("clean", image, t, g, "chain without rescale", without, fields=True)
            for target in (24, 30, 36):
                steps = (*without, "rescale")
                add("clean", image, t, g, f"chain, rescale to {target}", steps, (("target_text_height", target),),
                    fields=True)
        if "binarize" in sections:
            for method in ("otsu", "sauvola", "adaptive"):
                steps = chain if "background" in chain else (*chain, "background")
                add("clean", image, t, g, f"chain + {method}", steps, (("binarize", method),))
        if "psm" in sections:
            for psm in (3, 4):
                add("clean", image, t, g, f"chain psm {psm}", chain, psm=psm)
    if "degraded" in sections:
        from degrade import VARIANTS, degrade_folder

        start = time.perf_counter()
        variants = [v for v in args.variants.split(",") if v] or list(VARIANTS)
        unknown = [v for v in variants if v not in VARIANTS]
        if unknown:
            parser.error(f"unknown variant {unknown[0]} (known: {', '.join(VARIANTS)})")
        degrade_folder([d[0] for d in docs], args.work, variants=variants)
        print(f"degraded copies in {args.work} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
        for variant in variants:
            for image, t, g in docs:
                copy = args.work / variant / f"{image.stem}.png"
                add(variant, copy, t, g, "off", None, fields=True)
                add(variant, copy, t, g, "chain", chain, fields=True)

    start = time.perf_counter()
    outcomes: list[Outcome] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for i, o in enumerate(pool.map(run, tasks, chunksize=2), start=1):
            outcomes.append(o)
            if i % 50 == 0:
                print(f"{i}/{len(tasks)} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    elapsed = time.perf_counter() - start
    for o in outcomes:
        if o.error:
            print(f"failed: {o.task.image} {o.task.config}: {o.error}", file=sys.stderr)

    base = {o.task.image + o.task.variant: o.cer for o in outcomes if o.task.config == "off"}
    clean = [o for o in outcomes if o.task.variant == "clean"]
    print(f"## {len(docs)} receipts, {len(tasks)} OCR runs, {elapsed:.0f} s, jobs={jobs}\n")
    print("### Clean scans\n")
    print(table(clean, "config", with_fields, base))
    chain_runs = [o for o in clean if o.task.config == "chain"]
    if chain_runs:
        print("\n### Time per step (default chain, clean scans)\n")
        print(step_timings(chain_runs))
        print("\n### Orientation (default chain)\n")
        print(orientation_accuracy([o for o in outcomes if o.task.config == "chain"]))
    degraded = [o for o in outcomes if o.task.variant != "clean" and o.task.config in ("off", "chain")]
    if degraded:
        print("\n### Degraded copies\n")
        print(table(degraded, "variant+config", with_fields, base))
        clean_chain = sum(o.words for o in chain_runs) / max(len(chain_runs), 1)
        deg_chain = [o.words for o in degraded if o.task.config == "chain"]
        deg_off = [o.words for o in degraded if o.task.config == "off"]
        print(f"\nall degraded, off: word acc. {sum(deg_off) / len(deg_off):.3f}; chain: "
              f"{sum(deg_chain) / len(deg_chain):.3f} = {sum(deg_chain) / len(deg_chain) / clean_chain:.0%} "
              f"of the clean chain's {clean_chain:.3f}")


if __name__ == "__main__":
    main()
