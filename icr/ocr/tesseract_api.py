"""The raw Tesseract C-API wrapper (tesserocr): models stay loaded for the process's life.

Loading Tesseract's LSTM model costs about as much as reading a receipt, so a
worker keeps one ``PyTessBaseAPI`` per language and reuses it for every page.
It returns the same TSV columns as :func:`icr.ocr.tesseract.image_to_data`;
turning them into words is :mod:`icr.ocr.adapter`'s job.

``OMP_THREAD_LIMIT=1`` is set before ``tesserocr`` (and so libtesseract) loads:
with one worker per core, OpenMP threads inside Tesseract only contend.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

os.environ["OMP_THREAD_LIMIT"] = "1"

import numpy as np
import tesserocr

from icr.types import Image

TSV_COLUMNS = (
    "level", "page_num", "block_num", "par_num", "line_num", "word_num",
    "left", "top", "width", "height", "conf", "text",
)  # fmt: skip
_INT_COLUMNS = frozenset(TSV_COLUMNS[:10])

TESSDATA_CANDIDATES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)


class EngineTimeout(Exception):
    """Tesseract gave up on a page because its deadline passed."""


def installed_languages() -> set[str]:
    """The Tesseract languages whose models are installed (empty when none are)."""
    try:
        folder = Path(tessdata_path())
    except FileNotFoundError:
        return set()
    return {p.name.removesuffix(".traineddata") for p in folder.glob("*.traineddata")}


def tessdata_path() -> str:
    """Where the ``*.traineddata`` models are: ``$TESSDATA_PREFIX``, else Debian's folder.

    The tesserocr wheel bundles libtesseract but no models; it reads the system's.
    """
    env = os.environ.get("TESSDATA_PREFIX")
    candidates = [env] if env else []
    candidates.extend(TESSDATA_CANDIDATES)
    for folder in candidates:
        if folder and any(Path(folder).glob("*.traineddata")):
            return folder.rstrip("/") + "/"
    raise FileNotFoundError(
        "no Tesseract models (*.traineddata) found; install Debian's tesseract-ocr-eng "
        "or set TESSDATA_PREFIX to the tessdata folder"
    )


def version() -> str:
    return str(tesserocr.tesseract_version()).splitlines()[0]


def image_bytes(image: Image) -> tuple[bytes, int, int, int, int]:
    """Raw bytes for ``SetImageBytes``: grayscale as is, BGR (OpenCV's order) turned into RGB."""
    if image.ndim == 2:
        arr = np.ascontiguousarray(image, dtype=np.uint8)
        bpp = 1
    elif image.ndim == 3 and image.shape[2] in (3, 4):
        arr = np.ascontiguousarray(image[:, :, 2::-1], dtype=np.uint8)
        bpp = 3
    else:
        raise ValueError(f"unsupported image shape {image.shape}")
    height, width = arr.shape[:2]
    return arr.tobytes(), width, height, bpp, width * bpp


def parse_tsv(tsv: str) -> dict[str, list[Any]]:
    """Tesseract's TSV rows (no header line) as columns, like ``pytesseract.Output.DICT``."""
    data: dict[str, list[Any]] = {name: [] for name in TSV_COLUMNS}
    for row in tsv.splitlines():
        if not row:
            continue
        cells = row.split("\t")
        cells += [""] * (len(TSV_COLUMNS) - len(cells))
        for name, cell in zip(TSV_COLUMNS, cells, strict=False):
            if name in _INT_COLUMNS:
                data[name].append(int(cell))
            elif name == "conf":
                data[name].append(float(cell))
            else:
                data[name].append(cell)
    return data


M = TypeVar("M")


class LoadedModels(Generic[M]):
    """Loaded engines, one per language, at most ``limit``: the least recently used is ended first."""

    def __init__(self, load: Callable[[str], M], end: Callable[[M], None], limit: int = 2) -> None:
        self._load, self._end, self.limit = load, end, max(1, limit)
        self._models: OrderedDict[str, M] = OrderedDict()

    def get(self, language: str) -> M:
        model = self._models.get(language)
        if model is not None:
            self._models.move_to_end(language)
            return model
        while len(self._models) >= self.limit:
            _, old = self._models.popitem(last=False)
            self._end(old)
        model = self._load(language)
        self._models[language] = model
        return model

    def close(self) -> None:
        while self._models:
            _, model = self._models.popitem()
            self._end(model)


class TesseractApi:
    """Loaded Tesseract models, one per language (at most ``max_languages``, least recent dropped)."""

    def __init__(self, path: str | None = None, max_languages: int = 2) -> None:
        self.path = path or tessdata_path()
        self._models: LoadedModels[tesserocr.PyTessBaseAPI] = LoadedModels(
            self._load, lambda api: api.End(), max_languages
        )

    def _api(self, language: str) -> tesserocr.PyTessBaseAPI:
        return self._models.get(language)

    def _load(self, language: str) -> tesserocr.PyTessBaseAPI:
        try:
            api = tesserocr.PyTessBaseAPI(path=self.path, lang=language, oem=tesserocr.OEM.DEFAULT)
        except RuntimeError as exc:
            raise RuntimeError(f"Tesseract cannot load language '{language}' from {self.path}: {exc}") from exc
        # the same settings the CLI gets from icr.ocr.tesseract.tesseract_config
        api.SetVariable("preserve_interword_spaces", "1")
        # Receipts print dark on light: no line is re-read inverted (a second LSTM pass over every
        # low-confidence line; 6 % of the read, the same text on sroie-dev: benchmarks/README.md).
        api.SetVariable("tessedit_do_invert", "0")
        return api

    def image_to_data(self, image: Image, *, language: str, psm: int, timeout: float = 0) -> dict[str, list[Any]]:
        """Read one image; TSV columns as lists (level, text, conf, left, ...).

        ``timeout`` (seconds, 0 = none) is handed to Tesseract's own deadline.
        """
        api = self._api(language)
        raw, width, height, bpp, bpl = image_bytes(image)
        api.SetPageSegMode(int(psm))
        api.SetImageBytes(raw, width, height, bpp, bpl)
        try:
            ok = api.Recognize(int(timeout * 1000)) if timeout > 0 else api.Recognize()
            if not ok:
                if timeout > 0:
                    raise EngineTimeout(f"Tesseract stopped after the {timeout:g} s deadline")
                raise RuntimeError("Tesseract failed to recognize the page")
            return parse_tsv(api.GetTSVText(0))
        finally:
            api.Clear()

    def close(self) -> None:
        self._models.close()


_SHARED: TesseractApi | None = None


def shared_api() -> TesseractApi:
    """This process's loaded Tesseract (the recognizer's, and the orientation probe's)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = TesseractApi()
    return _SHARED
