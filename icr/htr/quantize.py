"""8-bit quantization of a trained handwriting model (``icr htr quantize``, ``icr htr train
--int8``): onnxruntime's static QDQ quantization, weights 8-bit per output channel,
activations 8-bit with ranges measured on words rendered in the training fonts.

Two choices keep the quantized model close to the float one (benchmarks/README.md):

- only the convolutions and matrix products that do the work are quantized. One doing less
  than ``float_below`` of the model's multiply-adds (the depthwise and squeeze-excite
  convolutions, the attention neck, the head) stays in float: together about 4 % of the work,
  and where 8 bits hurt most (a squeeze-excite scale or an attention weight is one number that
  every pixel of a channel or every frame depends on);
- an activation's range is the mean over the calibration crops of each crop's minimum and
  maximum, not their extremes: the extremes come from a few crops and leave the rest of the
  crops a coarse grid (held-out renders: CER 0.119-0.122 against 0.126-0.140 with extremes).

Needs ``onnx`` (the ``htr-train`` extra); reading the result needs onnxruntime only.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from icr.errors import ConfigError, InputError
from icr.htr.model import ALPHABET, CARD_NAME, MODEL_NAME, PAD_MIN, PAD_STEP
from icr.htr.preprocess import batch, prepare
from icr.htr.render import TextSampler, print_fonts, render_sample

QUANTIZED_OPS = ("Conv", "MatMul")
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
        if self.ranges not in ("mean", "extremes"):
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


def multiply_adds(model: Any, height: int, width: int = REFERENCE_WIDTH) -> dict[str, int]:
    """Multiply-adds of each convolution and matrix product (by node name), on one input
    ``height`` x ``width``: shapes read from one onnxruntime run."""
    import onnx
    import onnxruntime as ort

    probe = copy.deepcopy(model)
    weights = {i.name: list(i.dims) for i in probe.graph.initializer}
    nodes = [n for n in probe.graph.node if n.op_type in QUANTIZED_OPS]
    graph_inputs = {i.name for i in probe.graph.input}
    wanted = {t for n in nodes for t in (n.input[0], n.output[0])} - graph_inputs
    known = {o.name for o in probe.graph.output}
    for name in sorted(wanted - known):
        probe.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    x = np.zeros((1, 3, height, width), np.float32)
    first = probe.graph.input[0].name
    shapes = {o.name: v.shape for o, v in zip(session.get_outputs(), session.run(None, {first: x}), strict=True)}
    shapes[first] = x.shape
    out = {}
    for n in nodes:
        produced = int(np.prod(shapes[n.output[0]]))
        if n.op_type == "Conv":
            out[n.name] = produced * int(np.prod(weights[n.input[1]][1:]))
        else:
            out[n.name] = produced * int(shapes[n.input[0]][-1])
    return out


def quantize_onnx(
    source: Path, target: Path, settings: QuantizeSettings, fonts: Sequence[Path], height: int,
    width_scale: float = 1.0,
) -> dict[str, Any]:
    """Write the 8-bit model of ``source`` (an ONNX file) to ``target``; returns what the model
    card records: the settings, the nodes kept in float and their share of the work."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if not fonts:
        raise ConfigError("no fonts to render calibration crops from")
    inputs = calibration_crops(settings, fonts, height, width_scale)

    class _Crops(CalibrationDataReader):
        def __init__(self) -> None:
            self.left = iter(inputs)

        def get_next(self) -> dict[str, np.ndarray] | None:
            x = next(self.left, None)
            return None if x is None else {"x": x}

    with tempfile.TemporaryDirectory() as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        # constant folding and the graph's fusions first, so that the ranges are those of the
        # tensors onnxruntime really computes (symbolic shape inference fails on the width axis)
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        model = onnx.load(str(prepared))
        work = multiply_adds(model, height)
        total = sum(work.values()) or 1
        kept = [name for name, count in work.items() if count / total < settings.float_below]
        quantize_static(
            str(prepared), str(target), _Crops(), quant_format=QuantFormat.QDQ, per_channel=True,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=list(QUANTIZED_OPS),
            nodes_to_exclude=kept, calibrate_method=CalibrationMethod.MinMax,
            extra_options={"CalibMovingAverage": settings.ranges == "mean"},
        )
    return {
        **asdict(settings),
        "float_nodes": len(kept),
        "float_share": round(sum(work[name] for name in kept) / total, 4),
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
    }


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
