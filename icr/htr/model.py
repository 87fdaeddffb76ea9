"""The handwriting model as shipped: ONNX read with onnxruntime (no torch), its card."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from icr.errors import ConfigError
from icr.htr.preprocess import batch, prepare

MODEL_NAME = "model.onnx"
CARD_NAME = "model.json"
# Printable ASCII, space included: what people write in the fields of English forms.
ALPHABET = string.digits + string.ascii_letters + string.punctuation + " "


def default_model_dir() -> Path:
    """The folder of the model shipped inside the package."""
    return Path(__file__).parent


@dataclass
class HandwritingModel:
    """An ONNX CRNN: (N, 3, height, W) in [-1, 1] -> (N, W / frame_stride, 1 + len(alphabet))
    probabilities, class 0 the CTC blank; crops squeezed by ``width_scale`` as in training."""

    session: Any
    alphabet: str
    height: int
    card: dict[str, Any]
    width_scale: float = 1.0
    frame_stride: int = 8

    @classmethod
    def load(cls, folder: Path | None = None, threads: int = 1) -> HandwritingModel:
        folder = default_model_dir() if folder is None else Path(folder)
        model_path, card_path = folder / MODEL_NAME, folder / CARD_NAME
        if not model_path.is_file() or not card_path.is_file():
            raise ConfigError(f"{folder}: no handwriting model ({MODEL_NAME} and {CARD_NAME})")
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ConfigError("the handwriting recognizer needs onnxruntime (the 'htr' extra)") from exc
        card = json.loads(card_path.read_text(encoding="utf-8"))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = True  # buffers kept between crops, not allocated per word
        options.log_severity_level = 3
        session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        settings = card.get("settings", {})
        return cls(
            session, str(card["alphabet"]), int(card["height"]), card,
            float(settings.get("width_scale", 1.0)), int(settings.get("frame_stride", 8)),
        )

    def probabilities(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """One (T, classes) array per crop; crops of similar width go through together."""
        if not images:
            return []
        prepared = [prepare(image, self.height, self.width_scale) for image in images]
        order = sorted(range(len(prepared)), key=lambda i: prepared[i].shape[2])
        out: list[np.ndarray] = [np.empty(0)] * len(prepared)
        group: list[int] = []
        for i in [*order, -1]:
            # A group stays within 25 % of its narrowest width, so padding costs little.
            if group and (i < 0 or prepared[i].shape[2] > prepared[group[0]].shape[2] * 1.25 or len(group) == 16):
                probs = self.session.run(None, {"x": batch([prepared[j] for j in group])})[0]
                for row, j in enumerate(group):
                    frames = -(-prepared[j].shape[2] // self.frame_stride)  # its own columns, not the padding
                    out[j] = probs[row, :frames]
                group = []
            if i >= 0:
                group.append(i)
        return out
