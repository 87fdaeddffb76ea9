"""A faster handwriting model made from a trained one: the hidden channels of its
feed-forward blocks (a 1x1 convolution that widens, an activation, a 1x1 convolution that
narrows again: most of its multiply-adds) cut to the ones that carry most on rendered words,
then trained to give the frame probabilities the full model gives (knowledge distillation).
Training only: needs onnx (and torch, onnx2torch for the student).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from icr.errors import ConfigError

_ELEMENTWISE = {"Add", "Mul", "Div", "Erf", "Sigmoid", "Relu", "Tanh", "Sub", "Pow", "HardSigmoid"}
CHANNEL_BLOCK = 16  # kept channels come in multiples of this: onnxruntime computes convolutions in blocks


@dataclass(frozen=True)
class Hidden:
    """One feed-forward block: ``expand`` makes ``width`` channels, only elementwise nodes
    (``between``) touch them, ``reduce`` reads them."""

    expand: str
    reduce: str
    between: tuple[str, ...]
    activation: str  # the tensor ``reduce`` reads
    width: int


def _tables(model: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[Any]], dict[str, Any]]:
    nodes = {n.name: n for n in model.graph.node}
    producer = {o: n for n in model.graph.node for o in n.output}
    consumers: dict[str, list[Any]] = {}
    for n in model.graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    initializers = {i.name: i for i in model.graph.initializer}
    return nodes, producer, consumers, initializers


def _attr(node: Any, name: str, default: Any) -> Any:
    from onnx import helper

    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def hidden_blocks(model: Any) -> list[Hidden]:
    """Every widen-activate-narrow pair of 1x1 convolutions whose middle channels nothing
    else reads, so that dropping some of them changes nothing but the block."""
    from onnx import numpy_helper

    _, producer, consumers, initializers = _tables(model)

    def pointwise(node: Any) -> bool:
        w = initializers.get(node.input[1]) if node.op_type == "Conv" and len(node.input) > 1 else None
        return w is not None and list(w.dims[2:]) == [1, 1] and _attr(node, "group", 1) == 1

    out = []
    for reduce in model.graph.node:
        if not pointwise(reduce):
            continue
        between: dict[str, Any] = {}
        frontier, expand, ok = [reduce.input[0]], None, True
        while frontier and ok:
            name = frontier.pop()
            node = producer.get(name)
            if node is None:
                ok = name in initializers
            elif node.op_type == "Identity" and node.input[0] in initializers:
                ok = int(np.prod(initializers[node.input[0]].dims)) <= 1  # a shared scalar
            elif node.op_type == "Conv":
                ok = expand is None or expand.name == node.name
                expand = node
            elif node.op_type in _ELEMENTWISE:
                if node.name not in between:
                    between[node.name] = node
                    frontier.extend(i for i in node.input if i not in initializers)
            else:
                ok = False
        if not ok or expand is None or not pointwise(expand):
            continue
        width, narrow = (int(d) for d in initializers[expand.input[1]].dims[:2])
        if width <= narrow:  # a squeeze-excitation pair: it works on one pixel, nothing to save
            continue
        inside = {reduce.name, *between}
        tensors = [expand.output[0], *(o for n in between.values() for o in n.output)]
        if any(c.name not in inside for t in tensors for c in consumers.get(t, [])):
            continue
        if int(numpy_helper.to_array(initializers[reduce.input[1]]).shape[1]) != width:
            continue
        out.append(Hidden(expand.name, reduce.name, tuple(between), reduce.input[0], width))
    return out


def activations(
    model: Any, blocks: Sequence[Hidden], inputs: Sequence[np.ndarray], limit: int = 20000
) -> list[np.ndarray]:
    """Per block, its middle channels' values at up to ``limit`` pixels of ``inputs``
    (pixels x channels): what choosing and refitting the kept channels learn from."""
    import onnx
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for block in blocks:
        probe.graph.output.append(onnx.helper.make_empty_tensor_value_info(block.activation))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    names = [block.activation for block in blocks]
    parts: list[list[np.ndarray]] = [[] for _ in blocks]
    for x in inputs:
        for i, a in enumerate(session.run(names, {"x": x})):
            parts[i].append(a.transpose(0, 2, 3, 1).reshape(-1, a.shape[1]))
    rng = np.random.default_rng(0)
    out = []
    for chunks in parts:
        a = np.concatenate(chunks)
        out.append(a[rng.choice(len(a), limit, replace=False)] if len(a) > limit else a)
    return out


def prune(model: Any, blocks: Sequence[Hidden], samples: Sequence[np.ndarray], keep: float) -> Any:
    """A copy of ``model`` keeping the ``keep`` share of each block's middle channels (in
    multiples of CHANNEL_BLOCK): those that add most to the block's output on ``samples``,
    the narrowing convolution refitted by least squares to give the full block's output,
    what the dropped channels added on average going into its bias."""
    import onnx
    from onnx import numpy_helper

    if not 0 < keep <= 1:
        raise ConfigError(f"ffn_keep {keep}: must be above 0 and at most 1")
    out = onnx.ModelProto()
    out.CopyFrom(model)
    nodes, _, consumers, initializers = _tables(out)
    for block, a in zip(blocks, samples, strict=True):
        count = min(block.width, max(CHANNEL_BLOCK, round(block.width * keep / CHANNEL_BLOCK) * CHANNEL_BLOCK))
        expand, reduce = nodes[block.expand], nodes[block.reduce]
        w = numpy_helper.to_array(initializers[reduce.input[1]])
        w2 = w.reshape(w.shape[0], w.shape[1]).astype(np.float64)
        kept = np.sort(np.argsort(-(np.abs(a).mean(axis=0) * np.linalg.norm(w2, axis=0)))[:count])
        bias_name = _bias_after(reduce, consumers, initializers, w.shape[0])
        if count < block.width:
            # least squares: the kept channels (and a constant) give the full block's output
            target = a.astype(np.float64) @ w2.T
            design = np.hstack([a[:, kept].astype(np.float64), np.ones((len(a), 1))])
            ridge = 1e-6 * np.eye(design.shape[1]) * np.mean(design**2)
            solution = np.linalg.solve(design.T @ design + ridge, design.T @ target)
            refit, shift = solution[:-1].T, solution[-1]
            if bias_name is None:
                refit, shift = w2[:, kept], None
            _replace(initializers, reduce.input[1], lambda _w, r=refit, s=w.shape: r.reshape(s[0], -1, *s[2:]))
            if bias_name is not None and shift is not None:
                _replace(initializers, bias_name, lambda b, s=shift: b + s.reshape(b.shape).astype(b.dtype))
        else:
            _replace(initializers, reduce.input[1], lambda w_, k=kept: w_[:, k])
        _replace(initializers, expand.input[1], lambda w_, k=kept: w_[k])
        if len(expand.input) > 2:
            _replace(initializers, expand.input[2], lambda w_, k=kept: w_[k])
        for name in block.between:
            for i, tensor in enumerate(nodes[name].input):
                init = initializers.get(tensor)
                if init is None or int(np.prod(init.dims)) <= 1:
                    continue
                if len(consumers[tensor]) > 1:  # shared with another node: give this one its own copy
                    copy = numpy_helper.from_array(numpy_helper.to_array(init), f"{tensor}/{name}")
                    out.graph.initializer.append(copy)
                    initializers[copy.name] = out.graph.initializer[-1]
                    nodes[name].input[i] = tensor = copy.name
                _replace(initializers, tensor, lambda w_, k=kept: w_.take(k, axis=max(w_.ndim - 3, 0)))
    return out


def _bias_after(reduce: Any, consumers: dict[str, list[Any]], initializers: dict[str, Any], width: int) -> str | None:
    """The per-channel bias the narrowing convolution's output gets (its own, or the Add after it)."""
    if len(reduce.input) > 2 and reduce.input[2] in initializers:
        return str(reduce.input[2])
    after = consumers.get(reduce.output[0], [])
    if len(after) == 1 and after[0].op_type == "Add":
        for tensor in after[0].input:
            init = initializers.get(tensor)
            if init is not None and int(np.prod(init.dims)) == width and len(consumers[tensor]) == 1:
                return str(tensor)
    return None


def _replace(initializers: dict[str, Any], name: str, cut: Any) -> None:
    from onnx import numpy_helper

    init = initializers[name]
    value = numpy_helper.to_array(init)
    init.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(cut(value), dtype=value.dtype), name))


def log_probabilities(model: Any) -> Any:
    """The graph up to its log-softmax (the shipped models end in exp(log_softmax))."""
    import onnx
    from onnx.utils import Extractor

    node = next((n for n in model.graph.node if n.op_type == "LogSoftmax"), None)
    if node is None:
        raise ConfigError("the teacher model has no LogSoftmax to train from")
    inferred = onnx.shape_inference.infer_shapes(model)
    return Extractor(inferred).extract_model(["x"], [node.output[0]])


def load_onnx(folder: Path) -> Any:
    import onnx

    from icr.htr.model import MODEL_NAME

    path = Path(folder) / MODEL_NAME
    if not path.is_file():
        raise ConfigError(f"{folder}: no {MODEL_NAME} to distil from")
    return onnx.load(str(path))


_TRAINED = {"Conv": ("weight", "bias"), "LayerNormalization": ("weight", "bias")}


def write_weights(model: Any, state: dict[str, Any]) -> int:
    """Put the trained tensors of the student (onnx2torch's conversion of ``model``, which
    names a node's module after the node) back into ``model``'s initializers, in place, so
    the result keeps the source graph, whose shapes follow the input's width. Returns how
    many tensors were written."""
    from onnx import numpy_helper

    initializers = {i.name: i for i in model.graph.initializer}
    written = 0
    for node in model.graph.node:
        names = _TRAINED.get(node.op_type)
        if names is None:
            continue
        module = node.name.lstrip("/").replace(".", "/")
        for slot, attribute in enumerate(names, start=1):
            key = f"{module}.{attribute}"
            if key not in state or slot >= len(node.input) or node.input[slot] not in initializers:
                continue
            init = initializers[node.input[slot]]
            value = state[key].detach().cpu().numpy().astype(numpy_helper.to_array(init).dtype)
            if list(value.shape) != list(init.dims):
                raise ConfigError(f"{key}: trained shape {list(value.shape)}, the graph has {list(init.dims)}")
            init.CopyFrom(numpy_helper.from_array(value, init.name))
            written += 1
    return written
