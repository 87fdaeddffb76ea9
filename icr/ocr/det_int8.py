"""The neural engine's detector with some convolutions in 8 bits (``recognizer.det_model: int8``).

:mod:`icr.quantize`'s recipe (the handwriting model's) on the pinned PP-OCRv6 detector, for the
nodes :class:`DetQuantizeSettings` names, their activation ranges measured on receipt pages the
project renders itself (never a dataset's: the model ships), each page scaled and normalised as
the engine does before detecting.
``benchmarks/quantize_det.py`` renders the pages and writes the model and its card into
``icr/ocr/models``; the model's sha256 is pinned in :data:`icr.ocr.rapidocr_api.OWN_MODELS`.

Needs ``onnx`` (the ``htr-train`` extra); reading the result needs onnxruntime only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from icr.errors import ConfigError
from icr.ocr.rapidocr_api import MODELS, OWN_MODELS, pinned_model
from icr.quantize import RANGES, quantize_static
from icr.types import Image

WORK_SHAPE = (960, 416)  # a receipt at det_side 960: the input the multiply-adds are counted on


@dataclass
class DetQuantizeSettings:
    """Everything the 8-bit detector depends on besides its pages; recorded in its card."""

    pages: int = 48  # calibration pages rendered
    seed: int = 17
    det_side: int = 960  # the pages scaled as recognizer.det_side scales them
    float_below: float = 0.01  # a node doing less than this share of the multiply-adds stays in float
    ranges: str = "mean"  # "mean" of each page's min and max, or "extremes"
    # Only these are quantized (names in the graph quant_pre_process makes): the last stage's two
    # 768 -> 384 projections. In float they read GELU outputs full of denormal numbers and take two
    # thirds of the detector's time on a Xeon; in 8 bits they read none. Quantizing more was no
    # faster and moved more boxes (benchmarks/README.md, "OCR engines and profiles").
    nodes: tuple[str, ...] = ("Conv.50", "Conv.53")

    def __post_init__(self) -> None:
        if self.ranges not in RANGES:
            raise ConfigError(f"ranges '{self.ranges}': must be mean or extremes")
        if self.pages < 1:
            raise ConfigError(f"pages {self.pages}: must be at least 1")


def detector_input(image: Image, det_side: int) -> np.ndarray:
    """``image`` (grey or BGR) as the engine hands it to its detector: longer side scaled down to
    ``det_side``, both sides to multiples of 32, normalised, (1, 3, H, W) float32."""
    from rapidocr.ch_ppocr_det.utils import DetPreProcess

    bgr = np.repeat(image[:, :, None], 3, axis=2) if image.ndim == 2 else image[:, :, :3]
    x = DetPreProcess(det_side, "max")(np.ascontiguousarray(bgr))
    if x is None:
        raise ConfigError(f"a calibration page of {image.shape[1]} x {image.shape[0]} px is too small")
    return np.asarray(x, dtype=np.float32)


def quantize_detector(pages: Sequence[Image], out: Path, settings: DetQuantizeSettings, made_by: str) -> dict[str, Any]:
    """Write the pinned detector quantized to 8 bits into folder ``out`` (its file name as
    ``OWN_MODELS`` names it, a card ``.json`` beside it); returns the card."""
    if len(pages) != settings.pages:
        raise ConfigError(f"{len(pages)} calibration pages given, the settings say {settings.pages}")
    source = pinned_model("det")
    name, _ = OWN_MODELS["det-int8"]
    out.mkdir(parents=True, exist_ok=True)
    target = out / name
    inputs = [detector_input(page, settings.det_side) for page in pages]
    record = quantize_static(
        source,
        target,
        inputs,
        float_below=settings.float_below,
        ranges=settings.ranges,
        work_shape=WORK_SHAPE,
        only=settings.nodes,
    )
    import onnx
    import onnxruntime

    card = {
        "source": MODELS["det"][0],
        **{**asdict(settings), "nodes": list(settings.nodes)},
        **record,
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "reproduce": made_by,
    }
    target.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return card
