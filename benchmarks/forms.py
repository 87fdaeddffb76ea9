"""Forms on cached readings: iterate on segmentation, labelling and linking without reading again.

``icr eval --kind funsd`` reads every form twice (the kind decision, then the forms reading); the
rules after the reading are cheap. This script keeps the forms reading of each scan (outside the
repository) and scores the forms step on it, as ``icr eval --kind funsd`` would score it.

usage:
  python benchmarks/forms.py cache DIR [--out /tmp/icr-forms-cache]     # read each <stem>.png once
  python benchmarks/forms.py score DIR [--cache ...] [--config FILE] [--model MODEL] [--json]
  python benchmarks/forms.py diagnose DIR [--cache ...]                 # where segments and gold disagree
  python benchmarks/forms.py train DIR [--cache ...] --model OUT        # `icr forms train` on the cache

All forms of DIR are read as forms (the kind decision is not replayed). ``diagnose`` prints how many
gold entities are one segment, how many gold pairs have both question and answer as one segment
each, pair figures with the gold labels put on icr's own segments (the ceiling of labelling), and
why each gold pair the forms step misses is missed.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

DEFAULT_CACHE = Path("/tmp/icr-forms-cache")


def cache(folder: Path, out: Path, config: str | None) -> None:
    from icr.config import load_settings
    from icr.imaging.load import load_pages
    from icr.pipeline import build_stages, read_as_form

    settings = load_settings(config)
    stages = build_stages(settings)
    assert stages.forms is not None, "forms.enabled is off"
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(folder.glob("*.png")):
        target = out / f"{path.stem}.pkl"
        if target.exists():
            continue
        corrected, ocr = read_as_form(load_pages(path), stages, stages.forms)
        target.write_bytes(pickle.dumps((corrected, ocr)))
        print(path.stem, file=sys.stderr, flush=True)
    stages.close()


def _readings(folder: Path, where: Path) -> dict[str, Any]:
    found = {}
    for path in sorted(folder.glob("*.json")):
        pkl = where / f"{path.stem}.pkl"
        if not pkl.exists():
            raise SystemExit(f"{pkl}: not cached (run: benchmarks/forms.py cache {folder})")
        found[path.stem] = pickle.loads(pkl.read_bytes())
    return found


def _reader(config: str | None, model: str | None) -> Any:
    from icr.config import load_settings
    from icr.forms.reader import FormReader

    section = dict(load_settings(config).section("forms"))
    if model:
        section["model"] = model
    return FormReader.from_section(section)


def score(folder: Path, where: Path, config: str | None, model: str | None) -> dict[str, Any]:
    from icr.forms.funsd import score_forms

    reader = _reader(config, model)
    pairs: dict[str, list[tuple[str, str]]] = {}
    segments: dict[str, list[tuple[str, str]]] = {}
    for stem, (corrected, ocr) in _readings(folder, where).items():
        form = reader.read(ocr, corrected)
        pairs[stem] = [(p.key, p.value) for p in form.pairs]
        segments[stem] = list(form.segments)
    return score_forms(folder, pairs, segments).as_dict()


def train(folder: Path, where: Path, config: str | None, out: Path, min_precision: float) -> dict[str, Any]:
    """``icr forms train`` on cached readings."""
    from icr.forms.funsd import read_gold
    from icr.forms.train import example
    from icr.forms.train import train as fit_linker

    reader = _reader(config, None)
    examples = []
    for stem, (corrected, ocr) in _readings(folder, where).items():
        page = ocr.pages[0]
        segments, width, height, _ = reader.page_segments(ocr, page, corrected[0].image)
        examples.append(example(stem, segments, width, height, read_gold(folder / f"{stem}.json"), reader.link_options))
    model, report = fit_linker(examples, reader.link_options, min_precision=min_precision)
    model.save(out)
    return report.__dict__


def diagnose(folder: Path, where: Path, config: str | None) -> dict[str, Any]:
    from icr.forms.funsd import Counts, gold_labels, match_count, norm, read_gold
    from icr.forms.keyvalue import link_answers, pairs_of

    reader = _reader(config, None)
    entities = one = gold_pairs = both = 0
    oracle = Counts()
    missed: Counter[str] = Counter()
    for stem, (corrected, ocr) in _readings(folder, where).items():
        gold = read_gold(folder / f"{stem}.json")
        segs = [s for page in ocr.pages for s in reader.segments(ocr, page.number)]
        texts = [norm(s.text) for s in segs]
        entities += len(gold.entities)
        one += sum(1 for _, t in gold.entities if match_count([(x,) for x in texts], [(t,)]))
        for q, a in gold.pairs:
            gold_pairs += 1
            both += bool(match_count([(x,) for x in texts], [(q,)]) and match_count([(x,) for x in texts], [(a,)]))
        scale = float(corrected[0].info.get("scale", 1.0) or 1.0)
        for seg, label in zip(
            segs, gold_labels([s.text for s in segs], [s.box for s in segs], gold, scale), strict=True
        ):
            seg.label = label
        got = [(p.key, p.value) for p in pairs_of(link_answers(segs, reader.link_options))]
        oracle.add(len(got), len(gold.pairs), match_count(got, gold.pairs))
        _why_missed(reader, corrected, ocr, gold, missed)
    return {
        "entities_one_segment": round(one / max(entities, 1), 4),
        "pairs_both_one_segment": round(both / max(gold_pairs, 1), 4),
        "pairs_with_gold_labels": oracle.as_dict(),
        "gold_pairs_missed": dict(missed.most_common()),
    }


def _why_missed(reader: Any, corrected: Any, ocr: Any, gold: Any, missed: Counter[str]) -> None:
    """Each gold pair the forms step misses, by the first thing that failed: its answer or its question
    is no one segment, the two are labelled otherwise, or they are labelled right but not paired."""
    from icr.forms.funsd import MATCH, match_count, norm
    from icr.forms.keyvalue import label_segments, link_answers, name_lists, pairs_of, run_on_answers

    segs, width, height, _ = reader.page_segments(ocr, ocr.pages[0], corrected[0].image)
    label_segments(segs, width, height, reader.link_options)
    links = name_lists(link_answers(segs, reader.link_options), segs, reader.link_options)
    segs = run_on_answers(links, segs, reader.link_options)
    got = [(p.key, p.value) for p in pairs_of(links, 1, reader.link_options)]

    def find(text: str) -> Any:
        return next((s for s in segs if fuzz.ratio(norm(s.text), text) >= MATCH), None)

    for q, a in gold.pairs:
        if match_count(got, [(q, a)]):
            continue
        sq, sa = find(q), find(a)
        if sa is None:
            missed["answer not one segment"] += 1
        elif sq is None:
            missed["question not one segment"] += 1
        elif sq.label != "question" or sa.label != "answer":
            missed["labelled otherwise"] += 1
        else:
            missed["labelled right, not paired"] += 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("command", choices=["cache", "score", "diagnose", "train"])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--cache", "--out", dest="cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--config", default=None)
    ap.add_argument("--model", default=None, help="a model from `icr forms train` (score; train: where to write)")
    ap.add_argument("--min-precision", type=float, default=0.0, help="train: as `icr forms train --min-precision`")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.command == "cache":
        cache(args.folder, args.cache, args.config)
        return 0
    if args.command == "train":
        result = train(
            args.folder, args.cache, args.config, Path(args.model or "/tmp/icr-forms-model.json"), args.min_precision
        )
    elif args.command == "score":
        result = score(args.folder, args.cache, args.config, args.model)
    else:
        result = diagnose(args.folder, args.cache, args.config)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        pairs, labels = result.get("pairs"), result.get("labelling")
        if pairs and labels:
            print(
                f"pairs P {pairs['precision']:.3f} R {pairs['recall']:.3f} F1 {pairs['f1']:.3f} "
                f"({pairs['predicted']}/{pairs['gold']}/{pairs['correct']})  labelling F1 {labels['f1']:.3f}"
            )
        else:
            print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
