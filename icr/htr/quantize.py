"""8-bit quantization of a trained handwriting model (``icr htr quantize``, ``icr htr train
--int8``): :mod:`icr.quantize`'s static QDQ quantization (weights per output channel, cheap
nodes kept in float, activation ranges the mean of each crop's, GELUs fused), its ranges measured on words
rendered in the training fonts (held-out renders: CER 0.119-0.122 with mean ranges against
0.126-0.140 with extremes; benchmarks/README.md).

Needs ``onnx`` (the ``htr-train`` extra); reading the result needs onnxruntime only.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from icr.errors import ConfigError, InputError
from icr.htr.model import ALPHABET, CARD_NAME, MODEL_NAME, PAD_MIN, PAD_STEP
from icr.htr.preprocess import batch, prepare
from icr.htr.render import TextSampler, print_fonts, render_sample
from icr.quantize import RANGES, fuse_gelu, quantize_static

REFERENCE_WIDTH = 192  # columns of the input the multiply-adds are counted on (a word of 4 text heights)


@dataclass
class QuantizeSettings:
    """Everything a quantization depends on; recorded in the model card under ``int8``."""

    samples: int = 256  # calibration crops rendered in the training fonts
    seed: int = 21
    print_share: float = 0.25  # of them rendered in print fonts, as in training
    float_below: float = 0.01  # a node doing less than this share of the multiply-adds stays in float
    ranges: str = "mean"  # "mean" of each crop's min and max, or "extremes" (min and max over all crops)

    def __post_init__(self) -> None:
        if self.ranges not in RANGES:
            raise ConfigError(f"ranges '{self.ranges}': must be mean or extremes")
        if self.samples < 1:
            raise ConfigError(f"samples {self.samples}: must be at least 1")
        if not 0 <= self.float_below < 1:
            raise ConfigError(f"float_below {self.float_below}: must be at least 0 and below 1")


def calibration_crops(
    settings: QuantizeSettings, fonts: Sequence[Path], height: int, width_scale: float = 1.0
) -> list[np.ndarray]:
    """(1, 3, height, W) inputs padded as reading pads them (at least PAD_MIN blank columns, up
    to a multiple of PAD_STEP), rendered from ``fonts`` (a share in print fonts)."""
    rng = random.Random(settings.seed)
    sampler = TextSampler.default()
    printed = print_fonts() if settings.print_share > 0 else []
    out = []
    for _ in range(settings.samples):
        chosen = printed if printed and rng.random() < settings.print_share else fonts
        x = prepare(render_sample(sampler, chosen, rng, ALPHABET)[0], height, width_scale)
        width = -(-(x.shape[2] + PAD_MIN) // PAD_STEP) * PAD_STEP
        out.append(batch([x], width))
    return out


def quantize_onnx(
    source: Path, target: Path, settings: QuantizeSettings, fonts: Sequence[Path], height: int,
    width_scale: float = 1.0,
) -> dict[str, Any]:
    """Write the 8-bit model of ``source`` (an ONNX file) to ``target``; returns what the model
    card records: the settings, the nodes kept in float and their share of the work."""
    if not fonts:
        raise ConfigError("no fonts to render calibration crops from")
    inputs = calibration_crops(settings, fonts, height, width_scale)
    record = quantize_static(
        source, target, inputs, float_below=settings.float_below, ranges=settings.ranges,
        work_shape=(height, REFERENCE_WIDTH),
    )
    return {**asdict(settings), **record, "gelu_fused": fuse_target(target)}


def fuse_target(path: Path) -> int:
    """The GELUs of the 8-bit model at ``path`` fused in place (the same numbers, read faster
    on every CPU); returns how many."""
    import onnx

    model = onnx.load(str(path))
    count = fuse_gelu(model)
    if count:
        onnx.save(model, str(path))
    return count


def quantize_folder(source: Path, out: Path, settings: QuantizeSettings, fonts: Sequence[Path]) -> dict[str, Any]:
    """``icr htr quantize``: the model in folder ``source`` quantized into folder ``out``,
    with its card (the source's, plus ``int8``: how it was quantized); returns the card."""
    model_path, card_path = source / MODEL_NAME, source / CARD_NAME
    if not model_path.is_file() or not card_path.is_file():
        raise InputError(f"{source}: no handwriting model ({MODEL_NAME} and {CARD_NAME})")
    card: dict[str, Any] = json.loads(card_path.read_text(encoding="utf-8"))
    if card.get("int8"):
        raise InputError(f"{source}: the model is quantized already")
    if source.resolve() == out.resolve():
        raise InputError(f"{out}: must not be the source folder (the float model is the one to keep)")
    out.mkdir(parents=True, exist_ok=True)
    trained = card.get("settings", {})
    card["int8"] = quantize_onnx(
        model_path, out / MODEL_NAME, settings, fonts, int(card["height"]), float(trained.get("width_scale", 1.0))
    )
    trained_by = str(card.get("reproduce", "icr htr train --out FLOAT")).replace("--out DIR", "--out FLOAT")
    card["reproduce"] = f"{trained_by}, then {reproduce_quantize(settings)}"
    (out / CARD_NAME).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return card


def reproduce_quantize(settings: QuantizeSettings) -> str:
    """The ``icr htr quantize`` command that makes the same model from its float source."""
    return (
        f"icr htr quantize FLOAT --out DIR --samples {settings.samples} --seed {settings.seed}"
        f" --print-share {settings.print_share} --float-below {settings.float_below} --ranges {settings.ranges}"
    )
