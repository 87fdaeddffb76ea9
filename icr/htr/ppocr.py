"""The PP-OCRv6 recognizer (shipped inside the ``rapidocr`` wheel, Apache-2.0) as a
trainable PyTorch start for the handwriting model. Training only: needs torch, onnx and
onnx2torch.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

from icr.errors import ConfigError

FEATURES = 120  # width of the features the PP-OCRv6 head reads


def ppocr_rec_path() -> Path:
    """The recognizer ONNX inside the installed rapidocr wheel, checked against its pin."""
    from icr.ocr.rapidocr_api import pinned_model

    return pinned_model("rec")


def ppocr_characters(model: Any) -> list[str]:
    """Class i+1 of the PP-OCR head is character i of its dictionary; the last is a space."""
    for prop in model.metadata_props:
        if prop.key == "character":
            return [*prop.value.splitlines(), " "]
    raise ConfigError("the PP-OCRv6 recognizer carries no character list")


def import_onnx2torch() -> Any:
    # onnx2torch imports torchvision only for NMS and RoiAlign, which this graph lacks;
    # torchvision's PyPI build wants CUDA, so a placeholder stands in when it is absent.
    try:
        import torchvision  # noqa: F401
    except Exception:
        placeholder = types.ModuleType("torchvision")
        ops = types.ModuleType("torchvision.ops")
        ops.roi_align = None  # type: ignore[attr-defined]
        placeholder.ops = ops  # type: ignore[attr-defined]
        sys.modules["torchvision"] = placeholder
        sys.modules["torchvision.ops"] = ops
    try:
        import onnx2torch
    except ImportError as exc:
        raise ConfigError("the PP-OCRv6 start needs onnx2torch: pip install --no-deps onnx2torch") from exc
    return onnx2torch


def final_rows(height: int) -> int:
    """Rows the backbone leaves of ``height``: it halves them four times (padded, rounding up)."""
    for _ in range(4):
        height = -(-height // 2)
    return height


def load_backbone(height: int, frame_stride: int = 8) -> tuple[Any, Any, list[str]]:
    """(features module: (N, 3, height, W) -> (N, W/frame_stride, 120), the original head
    as a torch Linear, the head's characters)."""
    import onnx
    import torch
    from onnx import helper, numpy_helper
    from onnx.utils import Extractor

    if height < 16:
        raise ConfigError(f"height {height}: must be at least 16")
    if frame_stride not in (4, 8):
        raise ConfigError(f"frame_stride {frame_stride}: must be 4 or 8")
    model = onnx.load(str(ppocr_rec_path()))
    chars = ppocr_characters(model)
    # onnx2torch cannot pad 'SAME_UPPER' convolutions: give the three explicit pads.
    for node in model.graph.node:
        for attr in list(node.attribute):
            if attr.name == "auto_pad" and attr.s == b"SAME_UPPER":
                node.attribute.remove(attr)
                node.attribute.append(helper.make_attribute("pads", [0, 0, 1, 1]))
    weights = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    head = next(
        n for n in model.graph.node
        if n.op_type == "MatMul" and n.input[1] in weights and weights[n.input[1]].shape == (FEATURES, len(chars) + 1)
    )
    bias_node = next(n for n in model.graph.node if n.op_type == "Add" and head.output[0] in n.input)
    bias_name = next(i for i in bias_node.input if i in weights)
    linear = torch.nn.Linear(FEATURES, len(chars) + 1)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(weights[head.input[1]].T.copy()))
        linear.bias.copy_(torch.from_numpy(weights[bias_name].copy()))
    features = Extractor(model).extract_model(["x"], [head.input[0]])
    features.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "height"
    backbone = import_onnx2torch().convert(features)
    # The pool after the backbone averaged the 3 rows left of a 48-pixel input and pairs of
    # columns; it averages all rows at another height, and keeps every column at stride 4
    # (a squeezed crop still gets a frame or two per letter).
    rows, columns = final_rows(height), frame_stride // 4
    pool = next(name for name, _ in backbone.named_children() if name.startswith("AveragePool"))
    backbone._modules[pool] = torch.nn.AvgPool2d((rows, columns), (rows, columns))
    return backbone, linear, chars


def freeze_early(backbone: Any, count: int) -> None:
    """Stop training the first ``count`` convolutions (onnx2torch names them Conv/0, Conv/1, ...)."""
    for name, param in backbone.named_parameters():
        match = re.match(r"Conv/(\d+)", name)
        if match and int(match.group(1)) < count:
            param.requires_grad_(False)


def build(alphabet: str, height: int, frame_stride: int = 8) -> Any:
    """The CRNN to fine-tune: PP-OCRv6's backbone and neck, and a head over ``alphabet``
    whose rows start as PP-OCR's rows for the same characters (blank is class 0)."""
    import torch

    backbone, old_head, chars = load_backbone(height, frame_stride)
    index = {c: i + 1 for i, c in enumerate(chars)}
    head = torch.nn.Linear(FEATURES, len(alphabet) + 1)
    with torch.no_grad():
        rows = [0] + [index[c] for c in alphabet]
        head.weight.copy_(old_head.weight[rows])
        head.bias.copy_(old_head.bias[rows])
    return Recognizer(backbone, head)


def _recognizer_class() -> Any:
    import torch

    class _Recognizer(torch.nn.Module):
        def __init__(self, backbone: torch.nn.Module, head: torch.nn.Linear) -> None:
            super().__init__()
            self.backbone = backbone
            self.head = head

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            """Log-probabilities (N, T, classes)."""
            return torch.log_softmax(self.head(self.backbone(x)), dim=-1)

    return _Recognizer


def Recognizer(backbone: Any, head: Any) -> Any:  # a class built on first use: torch is optional
    return _recognizer_class()(backbone, head)
