"""The system's Tesseract library (the build the ``tesseract`` command line runs), loaded in this process.

The second read wants that build: it reads differently from the one tesserocr bundles, and the
difference pays in dates and totals (``second_read`` in ``config/icr.yaml``). Through the command
line each read started a process, loaded the model again and wrote the page as a PNG for it to
decode: about 0.6 CPU seconds a receipt against 0.37 in process, the same words. Here the
library's C API is called through ``ctypes`` with the model kept loaded, as tesserocr does for
its own build; when the library cannot be loaded the command line reads instead.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
from dataclasses import dataclass
from typing import Any

from icr.ocr import tesseract
from icr.ocr.recognizer import PytesseractRecognizer, ReadPage
from icr.ocr.tesseract_api import EngineTimeout, LoadedModels, image_bytes, parse_tsv, tessdata_path
from icr.types import Image

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

_Handle = ctypes.c_void_p
_Text = ctypes.POINTER(ctypes.c_char)


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Argument and result types of the C API functions used here (``tesseract/capi.h``)."""
    signatures: dict[str, tuple[list[Any], Any]] = {
        "TessBaseAPICreate": ([], _Handle),
        "TessBaseAPIInit3": ([_Handle, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
        "TessBaseAPISetVariable": ([_Handle, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
        "TessBaseAPISetPageSegMode": ([_Handle, ctypes.c_int], None),
        "TessBaseAPISetImage": (
            [_Handle, ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int],
            None,
        ),
        "TessBaseAPIRecognize": ([_Handle, ctypes.c_void_p], ctypes.c_int),
        "TessBaseAPIGetTsvText": ([_Handle, ctypes.c_int], _Text),
        "TessDeleteText": ([_Text], None),
        "TessBaseAPIClear": ([_Handle], None),
        "TessBaseAPIEnd": ([_Handle], None),
        "TessBaseAPIDelete": ([_Handle], None),
        "TessMonitorCreate": ([], ctypes.c_void_p),
        "TessMonitorSetDeadlineMSecs": ([ctypes.c_void_p, ctypes.c_int], None),
        "TessMonitorDelete": ([ctypes.c_void_p], None),
    }
    for name, (args, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = args
        function.restype = result
    return lib


SETTINGS = {"preserve_interword_spaces": "1", "tessedit_do_invert": "0", "debug_file": "/dev/null"}

_LIB: ctypes.CDLL | None = None
_MISSING: str | None = None


def library() -> ctypes.CDLL | None:
    """The system's libtesseract with its C API bound, or None when it cannot be loaded."""
    global _LIB, _MISSING
    if _LIB is None and _MISSING is None:
        name = ctypes.util.find_library("tesseract")
        try:
            if name is None:
                raise OSError("no libtesseract found")
            _LIB = _bind(ctypes.CDLL(name))
        except (OSError, AttributeError) as exc:
            _MISSING = str(exc)
    return _LIB


class SystemTesseract:
    """Loaded models of the system's Tesseract, one per language (at most ``max_languages``)."""

    def __init__(self, lib: ctypes.CDLL, path: str | None = None, max_languages: int = 2) -> None:
        self.lib = lib
        self.path = path or tessdata_path()
        self._models: LoadedModels[int] = LoadedModels(self._load, self._end, max_languages)
        atexit.register(self.close)  # its model cache complains about handles still open at exit

    def _api(self, language: str) -> int:
        return self._models.get(language)

    def _load(self, language: str) -> int:
        api = self.lib.TessBaseAPICreate()
        if self.lib.TessBaseAPIInit3(api, self.path.encode(), language.encode()) != 0:
            self.lib.TessBaseAPIDelete(api)
            raise RuntimeError(f"Tesseract cannot load language '{language}' from {self.path}")
        # the command line's settings (icr.ocr.tesseract.tesseract_config); its notes ("Image too
        # small to scale") went to the command's captured stderr, not to the user's terminal
        for key, value in SETTINGS.items():
            self.lib.TessBaseAPISetVariable(api, key.encode(), value.encode())
        return int(api)

    def image_to_data(self, image: Image, *, language: str, psm: int, timeout: float = 0) -> dict[str, list[Any]]:
        """Read one image; TSV columns as lists, as :meth:`icr.ocr.tesseract_api.TesseractApi.image_to_data`."""
        api = self._api(language)
        raw, width, height, bpp, bpl = image_bytes(image)
        lib = self.lib
        lib.TessBaseAPISetPageSegMode(api, int(psm))
        lib.TessBaseAPISetImage(api, raw, width, height, bpp, bpl)
        monitor = None
        if timeout > 0:
            monitor = lib.TessMonitorCreate()
            lib.TessMonitorSetDeadlineMSecs(monitor, max(1, round(timeout * 1000)))  # 0 ms: no deadline
        try:
            if lib.TessBaseAPIRecognize(api, monitor) != 0:
                if timeout > 0:
                    raise EngineTimeout(f"Tesseract stopped after the {timeout:g} s deadline")
                raise RuntimeError("Tesseract failed to recognize the page")
            text = lib.TessBaseAPIGetTsvText(api, 0)
            try:
                tsv = ctypes.string_at(text).decode("utf-8", errors="replace") if text else ""
            finally:
                if text:
                    lib.TessDeleteText(text)
            return parse_tsv(tsv)
        finally:
            lib.TessBaseAPIClear(api)
            if monitor is not None:
                lib.TessMonitorDelete(monitor)

    def _end(self, api: int) -> None:
        self.lib.TessBaseAPIEnd(api)
        self.lib.TessBaseAPIDelete(api)

    def close(self) -> None:
        self._models.close()


_SHARED: SystemTesseract | None = None


def read_function() -> ReadPage:
    """``image_to_data`` of this process's system Tesseract, or the command line's when the library
    cannot be loaded (same columns either way)."""
    global _SHARED
    lib = library()
    if lib is None:
        return tesseract.image_to_data
    if _SHARED is None:
        _SHARED = SystemTesseract(lib)
    return _SHARED.image_to_data


@dataclass
class SystemRecognizer(PytesseractRecognizer):
    """Tesseract's command-line build read in this process (its model loaded once), or the command
    line itself when the library is missing: the second read's recognizer. The loaded models are
    the process's (:func:`read_function`), closed at exit."""

    name: str = "system"

    def page_reader(self) -> ReadPage:
        return read_function()
