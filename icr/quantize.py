"""Static 8-bit quantization of an ONNX model, shared by the handwriting recognizer
(:mod:`icr.htr.quantize`) and the neural engine's detector (:mod:`icr.ocr.det_int8`).

onnxruntime's static QDQ quantization: weights 8-bit per output channel, activations 8-bit
with ranges measured on calibration inputs the caller renders. Two choices keep the
quantized model close to the float one (benchmarks/README.md, "Handwriting recognizer"):

- only the convolutions and matrix products that do the work are quantized. One doing less
  than ``float_below`` of the model's multiply-adds (depthwise and squeeze-excite
  convolutions, attention, heads) stays in float: little of the work, and where 8 bits hurt
  most (a squeeze-excite scale is one number every pixel of a channel depends on);
- an activation's range is the mean over the calibration inputs of each input's minimum and
  maximum ("mean"), not their extremes, which come from a few inputs and leave the rest a
  coarse grid.

Needs ``onnx`` (the ``htr-train`` extra); reading the result needs onnxruntime only.
"""

from __future__ import annotations

import copy
import hashlib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from icr.errors import ConfigError

QUANTIZED_OPS = ("Conv", "MatMul")
SQRT2 = 2**0.5
RANGES = ("mean", "extremes")
MIN_OPSET = 13  # per-channel weights need DequantizeLinear's axis (opset 13)


def multiply_adds(model: Any, height: int, width: int) -> dict[str, int]:
    """Multiply-adds of each convolution and matrix product (by node name), on one input
    (1, 3, ``height``, ``width``): shapes read from one onnxruntime run."""
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


def quantize_static(
    source: Path,
    target: Path,
    inputs: Sequence[np.ndarray],
    *,
    float_below: float,
    ranges: str,
    work_shape: tuple[int, int],
    only: Sequence[str] = (),
) -> dict[str, Any]:
    """Write the 8-bit model of ``source`` (an ONNX file) to ``target``, its activation ranges
    measured on ``inputs`` (each one run of the model's first input), the multiply-adds counted
    on an input of ``work_shape`` (height, width); given ``only`` (node names in the prepared graph),
    every other node stays in float whatever its work. Returns what a model card records: the nodes
    kept in float, their share of the work and the source's sha256."""
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static as ort_quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if ranges not in RANGES:
        raise ConfigError(f"ranges '{ranges}': must be mean or extremes")
    if not inputs:
        raise ConfigError("no calibration inputs")
    if not 0 <= float_below < 1:
        raise ConfigError(f"float_below {float_below}: must be at least 0 and below 1")

    with tempfile.TemporaryDirectory() as scratch:
        model = onnx.load(str(source))
        name = model.graph.input[0].name
        opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
        if opset < MIN_OPSET:
            upgraded = Path(scratch) / "upgraded.onnx"
            onnx.save(version_converter.convert_version(model, MIN_OPSET), str(upgraded))
            source_now = upgraded
        else:
            source_now = source

        class _Inputs(CalibrationDataReader):
            def __init__(self) -> None:
                self.left = iter(inputs)

            def get_next(self) -> dict[str, np.ndarray] | None:
                x = next(self.left, None)
                return None if x is None else {name: x}

        prepared = Path(scratch) / "prepared.onnx"
        # constant folding and the graph's fusions first, so that the ranges are those of the
        # tensors onnxruntime really computes (symbolic shape inference fails on free axes)
        quant_pre_process(str(source_now), str(prepared), skip_symbolic_shape=True)
        model = onnx.load(str(prepared))
        work = multiply_adds(model, *work_shape)
        total = sum(work.values()) or 1
        missing = sorted(set(only) - set(work))
        if missing:
            raise ConfigError(f"no convolution or matrix product named {', '.join(missing)} in {source.name}")
        kept = [node for node, count in work.items() if count / total < float_below or (only and node not in only)]
        ort_quantize_static(
            str(prepared),
            str(target),
            _Inputs(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=list(QUANTIZED_OPS),
            nodes_to_exclude=kept,
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={"CalibMovingAverage": ranges == "mean"},
        )
    return {
        "float_nodes": len(kept),
        "float_share": round(sum(work[node] for node in kept) / total, 4),
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
    }


def fuse_gelu(model: Any) -> int:
    """Replace each exact GELU written out as ``x * (1 + erf(x / sqrt 2)) * 0.5`` (PyTorch's
    export) by one com.microsoft ``Gelu`` node, in place; returns how many. onnxruntime fuses
    the pattern itself in a float graph but not where its input comes out of a QDQ
    DequantizeLinear, and five nodes a GELU cost more than the convolutions around them."""
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    constants = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def is_constant(name: str, value: float) -> bool:
        array = constants.get(name)
        return array is not None and array.size == 1 and abs(float(array.reshape(-1)[0]) - value) < 1e-5

    def only_consumer(name: str, op_type: str) -> Any:
        found = consumers.get(name, [])
        return found[0] if len(found) == 1 and found[0].op_type == op_type else None

    def other_input(node: Any, name: str) -> str:
        return next((i for i in node.input if i != name), "")

    fused: list[tuple[Any, list[Any]]] = []
    for erf in [n for n in graph.node if n.op_type == "Erf"]:
        div = producer.get(erf.input[0])
        if div is None or div.op_type != "Div" or not is_constant(div.input[1], SQRT2):
            continue
        x = div.input[0]
        add = only_consumer(erf.output[0], "Add")
        if add is None or not is_constant(other_input(add, erf.output[0]), 1.0):
            continue
        times_x = only_consumer(add.output[0], "Mul")
        if times_x is None or other_input(times_x, add.output[0]) != x:
            continue
        half = only_consumer(times_x.output[0], "Mul")
        if half is None or not is_constant(other_input(half, times_x.output[0]), 0.5):
            continue
        gelu = helper.make_node("Gelu", [x], [half.output[0]], name=f"{erf.name}/Gelu", domain="com.microsoft")
        fused.append((gelu, [div, erf, add, times_x, half]))
    for gelu, replaced in fused:
        position = list(graph.node).index(replaced[0])
        for node in replaced:
            graph.node.remove(node)
        graph.node.insert(position, gelu)
    if fused and not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    return len(fused)
