"""The raw neural-engine wrapper (rapidocr, PP-OCRv6 on onnxruntime): lines of text off an image.

The models ship inside the ``rapidocr`` wheel (``pip install 'icr[neural]'``), and icr ships
a copy of its detector with two convolutions in 8 bits (``icr/ocr/models``, made from the
wheel's by ``benchmarks/quantize_det.py``); nothing is downloaded: every model is given by path
and checked against the sha256 pinned here before it is loaded. One engine per process, kept
loaded, with one onnxruntime thread (a worker per core, as ``OMP_THREAD_LIMIT=1`` does for Tesseract). Turning its
lines into words is :mod:`icr.ocr.adapter`'s job.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from icr.types import Image

MODELS: dict[str, tuple[str, str]] = {
    # role: (file inside rapidocr/models, sha256) -- rapidocr 3.10.0's PP-OCRv6 small det and rec
    "det": ("PP-OCRv6_det_small.onnx", "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f"),
    "rec": ("PP-OCRv6_rec_small.onnx", "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"),
}

OWN_MODELS: dict[str, tuple[str, str]] = {
    # role: (file inside icr/ocr/models, sha256) -- the det model above with its two convolutions
    # that read denormal numbers in 8 bits, by benchmarks/quantize_det.py (its card beside it says how)
    "det-int8": ("PP-OCRv6_det_small_int8.onnx", "25c9b097661c0acaabb05e8f3a5ea8c0ffa59a976b38316a5691b8465c6055f3"),
}
OWN_MODELS_DIR = Path(__file__).parent / "models"
DET_MODELS = {"float": "det", "int8": "det-int8"}
"""``recognizer.det_model``: the detector's model role by setting."""

HEAD = ("linear_8.w_0", "linear_8.b_0")
"""The recognizer's last layer (weights hidden x classes, bias classes) in the pinned rec model: its
classes are the CTC blank, the model's 18,708 characters and the space."""

Quad = tuple[tuple[float, float], ...]
Declined = Callable[[list[Quad], Callable[[Sequence[int]], list[bool]]], bool]
"""Shown the boxes of the lines the detector found on a page, and a way to learn which of some of
them the reading would keep, says whether to leave the page unrecognized."""


class _Declined(Exception):
    """Raised between detection and recognition when the caller declines the page's lines."""


class EngineMissing(RuntimeError):
    """The neural engine's package is not installed."""


class ModelChanged(RuntimeError):
    """A model file differs from the one pinned here."""


@dataclass(frozen=True)
class RawWord:
    text: str
    confidence: float
    box: Quad | None


@dataclass(frozen=True)
class RawLine:
    """One detected text line: its quadrilateral (clockwise from top-left), text, score, the engine's
    own word split (``()`` when it gave none for this line) and where it read each character that is
    not a space: x along the line as a share of its length, 0 to 1 (``()`` when not known)."""

    box: Quad
    text: str
    confidence: float
    words: tuple[RawWord, ...] = ()
    columns: tuple[float, ...] = ()


def available() -> bool:
    return importlib.util.find_spec("rapidocr") is not None and importlib.util.find_spec("onnxruntime") is not None


def models_dir() -> Path:
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or spec.origin is None or importlib.util.find_spec("onnxruntime") is None:
        raise EngineMissing(
            "the neural recognizer needs the rapidocr and onnxruntime packages: pip install 'icr[neural]'"
        )
    return Path(spec.origin).parent / "models"


def pinned_model(role: str, folder: Path | None = None) -> Path:
    """The model file for ``role`` (det, rec, det-int8), checked against its pinned sha256."""
    if role in OWN_MODELS:
        name, expected = OWN_MODELS[role]
        path = (folder or OWN_MODELS_DIR) / name
    else:
        name, expected = MODELS[role]
        path = (folder or models_dir()) / name
    if not path.is_file():
        why = "icr installed without it?" if role in OWN_MODELS else "rapidocr version changed?"
        raise ModelChanged(f"{path}: the pinned {role} model is missing ({why})")
    with path.open("rb") as fh:
        found = hashlib.file_digest(fh, "sha256").hexdigest()
    if found != expected:
        raise ModelChanged(f"{path}: sha256 {found} is not the pinned {expected}; refusing a changed model")
    return path


class RapidOcrApi:
    """PP-OCRv6 detection + recognition, loaded once."""

    def __init__(
        self,
        *,
        text_score: float = 0.5,
        threads: int = 1,
        det_side: int = 960,
        rec_width: int = 96,
        alphabet: str = "",
        det_model: str = "float",
    ) -> None:
        if det_model not in DET_MODELS:
            raise ValueError(f"det_model '{det_model}': must be one of {', '.join(DET_MODELS)}")
        det, rec = pinned_model(DET_MODELS[det_model]), pinned_model("rec")
        from rapidocr import RapidOCR

        self.text_score = text_score
        self.det_side = det_side
        self._engine: Any = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.use_cls": False,  # the image corrector turns pages upright
                "Global.return_word_box": True,
                "Global.text_score": 0.0,  # filtered here, so that word splits stay aligned with lines
                "Det.model_path": str(det),
                "Rec.model_path": str(rec),
                # the page's longer side scaled to det_side for detection (rapidocr's default scales the
                # shorter side up to 736: 4x the detector's time on receipts, the same text read)
                "Det.limit_type": "max",
                "Det.limit_side_len": det_side,
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                # onnxruntime's arena keeps buffers between runs instead of allocating them per line
                "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
                # One line per run, padded only up to rec_width: rapidocr pads every batch to the widest
                # line and to at least 320 px, and most receipt lines are short words and amounts.
                # Batches of one also keep a line's reading independent of its neighbours.
                "Rec.rec_batch_num": 1,
                "Rec.rec_img_shape": [3, 48, rec_width],
            }
        )
        self._columns: list[tuple[float, ...]] = []
        boxes = self._engine.cal_rec_boxes

        def keep_columns(crops: Any, dt_boxes: Any, rec: Any, single: bool = False) -> Any:
            # the recognizer's character columns, before word boxes replace them
            self._columns = [columns(info) for info in rec.word_results or ()]
            return boxes(crops, dt_boxes, rec, single)

        self._engine.cal_rec_boxes = keep_columns  # type: ignore[assignment]
        self.seen: list[tuple[Image, str, float]] = []
        """Every line the last :meth:`read` detected: its crop, text and score, the lines rapidocr then
        drops (read as nothing) and those under ``text_score`` included."""
        steps = self._engine.run_ocr_steps

        def keep_crops(*args: Any, **kwargs: Any) -> Any:
            out = steps(*args, **kwargs)
            if isinstance(out, tuple) and len(out) == 4:  # (det, cls, rec, crops) in rapidocr 3.10
                rec, crops = out[2], out[3]
                read = zip(crops, getattr(rec, "txts", None) or (), getattr(rec, "scores", None) or (), strict=False)
                self.seen = [(crop, str(text), float(score)) for crop, text, score in read]
            return out

        self._engine.run_ocr_steps = keep_crops  # type: ignore[method-assign]
        self._gate: tuple[Declined, int, int] | None = None
        """While :meth:`read_unless` runs: its ``declined`` and the page's height and width."""
        detect = self._engine.detect_and_crop

        def gated(img: Any, op_record: Any) -> Any:
            crops, det = detect(img, op_record)
            if self._gate is not None and det.boxes is not None:
                from rapidocr.utils.process_img import map_boxes_to_original

                declined, h, w = self._gate
                boxes = map_boxes_to_original(np.array(det.boxes, dtype=np.float32), op_record, h, w)

                def kept(indices: Sequence[int]) -> list[bool]:
                    # the crops the recognizer would read: a line reads here as it would in the page's pass
                    return [self._kept(text, score) for text, score in self.read_lines([crops[i] for i in indices])]

                if declined([_quad(b) for b in boxes], kept):
                    raise _Declined
            return crops, det

        self._engine.detect_and_crop = gated  # type: ignore[method-assign]
        self._head: tuple[Any, ...] = ()
        if alphabet:
            self._restrict(rec, alphabet, threads)

    def _restrict(self, model: Path, alphabet: str, threads: int) -> None:
        """Let the recognizer choose among ``alphabet``'s characters only: its last layer keeps just
        their classes (the blank and the space always), so a rule of dots can no longer read as Chinese
        characters and the layer that scores 18,710 classes at every step scores a few hundred."""
        import onnxruntime as ort

        rec = self._engine._load_rec_model()
        decoder = rec.postprocess_op
        chars: list[str] = list(decoder.character)
        keep = [i for i, c in enumerate(chars) if i == 0 or i == len(chars) - 1 or c in alphabet]
        weights, bias = initializers(model, HEAD)
        self._head = (  # onnxruntime reads these while the session lives
            ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(weights[:, keep])),
            ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(bias[keep])),
        )
        options = ort.SessionOptions()
        options.log_severity_level = 4  # the output's declared width is the full model's
        options.enable_cpu_mem_arena = True
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        for name, value in zip(HEAD, self._head, strict=True):
            options.add_initializer(name, value)
        rec.session.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        decoder.character = [chars[i] for i in keep]
        decoder.dict = {c: i for i, c in enumerate(decoder.character)}

    def read(self, image: Image) -> list[RawLine]:
        """Detect and read every text line of ``image`` (grey or BGR)."""
        self._columns = []
        self.seen = []
        return self._lines(self._engine(_bgr(detectable(image, self.det_side))))

    def read_unless(self, image: Image, declined: Declined) -> list[RawLine] | None:
        """:meth:`read`, or None when ``declined``, shown the boxes of the lines the detector found (in
        ``image``'s coordinates), says not to recognize them: the recognizer's time is saved. It may
        ask which of some of those lines the reading would keep (text read at ``text_score`` or
        above), reading only them."""
        # the padding :func:`detectable` may add holds no text: boxes are clipped to the page itself
        self._gate = (declined, image.shape[0], image.shape[1])
        try:
            return self.read(image)
        except _Declined:
            return None
        finally:
            self._gate = None

    def _kept(self, text: str, score: float) -> bool:
        """Whether a line read so stays in the reading (rapidocr's empty readings and low scores go)."""
        return float(score) >= self.text_score and bool(str(text).strip())

    def read_lines(self, crops: Sequence[Image]) -> list[tuple[str, float]]:
        """Read each crop as one line of text (recognition only, in the engine's batches)."""
        if not crops:
            return []
        from rapidocr.ch_ppocr_rec import TextRecInput

        out = self._engine._load_rec_model()(TextRecInput(img=[_bgr(c) for c in crops], return_word_box=False))
        txts = out.txts or ("",) * len(crops)
        return [(str(t), float(sc)) for t, sc in zip(txts, out.scores or (0.0,) * len(crops), strict=True)]

    def _lines(self, out: Any) -> list[RawLine]:
        boxes = getattr(out, "boxes", None)
        txts = getattr(out, "txts", None)
        if boxes is None or not txts:
            return []
        scores = out.scores
        split = out.word_results or ()
        aligned = len(split) == len(txts)
        cols = self._columns if len(self._columns) == len(txts) else [()] * len(txts)
        lines: list[RawLine] = []
        for i, (box, text, score) in enumerate(zip(boxes, txts, scores, strict=True)):
            if not self._kept(text, score):
                continue
            words = tuple(RawWord(str(t), float(s), _quad(b)) for t, s, b in split[i]) if aligned else ()
            lines.append(RawLine(_quad(box), str(text), float(score), words, cols[i]))
        return lines


def detectable(image: Image, det_side: int) -> Image:
    """``image`` padded at its right or bottom edge with its background, so that its shorter side
    stays at least 32 px once the detector scales its longer side to ``det_side``: rapidocr rounds
    both sides to multiples of 32 and fails on a page much longer than wide (a banner, a strip).
    The padding holds no text, so the lines keep their coordinates."""
    h, w = image.shape[:2]
    short = -(-32 * max(h, w) // det_side)
    if max(h, w) <= det_side or min(h, w) >= short:
        return image  # a small page has its shorter side enlarged to 30 px by rapidocr itself
    shape = (short, w, *image.shape[2:]) if h < w else (h, short, *image.shape[2:])
    background = np.median(image.reshape(h * w, -1), axis=0).astype(image.dtype)
    out = np.empty(shape, dtype=image.dtype)
    out[...] = background.reshape(image.shape[2:]) if image.ndim == 3 else background[0]
    out[:h, :w] = image
    return out


def columns(info: Any) -> tuple[float, ...]:
    """Where along its line (0 to 1) the recognizer read each character that is not a space, from the
    output step it emitted it at (rapidocr's ``WordInfo``: the steps, word by word, and how many
    steps the line spans)."""
    steps = float(getattr(info, "line_txt_len", 0) or 0)
    if steps <= 0:
        return ()
    return tuple((c + 0.5) / steps for word in getattr(info, "word_cols", None) or () for c in word)


def _bgr(image: Image) -> Image:
    if image.ndim == 2:
        return np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))
    if image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, :3])
    return image


def _quad(box: Any) -> Quad:
    return tuple((float(x), float(y)) for x, y in np.asarray(box, dtype=float).reshape(-1, 2))


def initializers(model: Path, names: Sequence[str]) -> list[np.ndarray]:
    """The float tensors named ``names`` in the ONNX file ``model``, read off its protobuf wire format
    (ModelProto.graph = 7, GraphProto.initializer = 5; TensorProto dims = 1, data_type = 2, name = 8,
    raw_data = 9): the pinned model is fixed, and this spares a dependency on the onnx package."""
    data = memoryview(model.read_bytes())
    found: dict[str, np.ndarray] = {}
    graph = next(v for f, v in _fields(data) if f == 7)
    for field_no, tensor in _fields(graph):
        if field_no != 5:
            continue
        parts: dict[int, list[Any]] = {}
        for f, v in _fields(tensor):
            parts.setdefault(f, []).append(v)
        name = bytes(parts.get(8, [b""])[0]).decode()
        if name in names:
            if parts.get(2) != [1] or 9 not in parts:
                raise ModelChanged(f"{model}: {name} is not stored as raw float32")
            dims = [d for v in parts.get(1, []) for d in (_packed(v) if isinstance(v, memoryview) else [v])]
            found[name] = np.frombuffer(parts[9][0], dtype="<f4").reshape(dims).copy()
    missing = [n for n in names if n not in found]
    if missing:
        raise ModelChanged(f"{model}: no tensor {', '.join(missing)}")
    return [found[n] for n in names]


def _varint(data: memoryview, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def _packed(data: memoryview) -> list[int]:
    out, i = [], 0
    while i < len(data):
        value, i = _varint(data, i)
        out.append(value)
    return out


def _fields(data: memoryview) -> list[tuple[int, Any]]:
    """A protobuf message's fields in order: varints as ints, length-delimited ones as memoryviews."""
    out: list[tuple[int, Any]] = []
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        kind = key & 7
        if kind == 0:
            value, i = _varint(data, i)
            out.append((key >> 3, value))
        elif kind == 2:
            size, i = _varint(data, i)
            out.append((key >> 3, data[i : i + size]))
            i += size
        elif kind in (1, 5):
            i += 8 if kind == 1 else 4
        else:
            raise ValueError(f"protobuf wire type {kind} not expected in an ONNX model")
    return out


_SHARED: dict[tuple[float, int, int, str, str], RapidOcrApi] = {}


def shared_api(
    text_score: float = 0.5, det_side: int = 960, rec_width: int = 96, alphabet: str = "", det_model: str = "float"
) -> RapidOcrApi:
    """This process's loaded engine (one per setting)."""
    key = (text_score, det_side, rec_width, alphabet, det_model)
    if key not in _SHARED:
        _SHARED[key] = RapidOcrApi(
            text_score=text_score, det_side=det_side, rec_width=rec_width, alphabet=alphabet, det_model=det_model
        )
    return _SHARED[key]
