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
GROUP_SIZE = 16  # crops of one padded width read in one run (a run costs about a millisecond besides its columns)
# Blank columns after a crop: the recognizer was trained on crops padded on the right (PP-OCR's
# fixed width, then batches padded to their widest) and reads a crop with none a little worse.
PAD_MIN = 16
PAD_STEP = 16
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
    pad_min: int = PAD_MIN
    pad_step: int = PAD_STEP

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

    def padded_width(self, width: int) -> int:
        """The width a crop of ``width`` columns is read at: blank (0) columns added on the
        right, at least ``pad_min`` and up to the next multiple of ``pad_step``. A crop's
        reading depends on its width only, not on the crops read beside it."""
        return -(-(width + self.pad_min) // self.pad_step) * self.pad_step

    def probabilities(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """One (T, classes) array per crop; crops of one padded width go through together."""
        if not images:
            return []
        prepared = [prepare(image, self.height, self.width_scale) for image in images]
        groups: dict[int, list[int]] = {}
        for i, x in enumerate(prepared):
            groups.setdefault(self.padded_width(x.shape[2]), []).append(i)
        out: list[np.ndarray] = [np.empty(0)] * len(prepared)
        for width, members in groups.items():
            for start in range(0, len(members), GROUP_SIZE):
                group = members[start : start + GROUP_SIZE]
                probs = self.session.run(None, {"x": batch([prepared[j] for j in group], width)})[0]
                for row, j in enumerate(group):
                    frames = -(-prepared[j].shape[2] // self.frame_stride)  # its own columns, not the padding
                    out[j] = probs[row, :frames]
        return out
