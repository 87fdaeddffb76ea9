"""The raw Tesseract wrapper (pytesseract): runs the binary, returns its TSV as columns.

Turning that output into words and lines is :mod:`icr.ocr.adapter`'s job.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

from icr.types import Image

# pytesseract is imported where it is used: importing it imports pandas (~0.5 s and ~50 MB
# per worker), which a worker reading through tesserocr never needs.

os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def tesseract_config(psm: int, extra: str = "") -> str:
    # preserve_interword_spaces keeps column gaps on receipts as runs of spaces in the text;
    # tessedit_do_invert=0: receipts print dark on light, no line is re-read inverted.
    return f"--psm {int(psm)} -c preserve_interword_spaces=1 -c tessedit_do_invert=0 {extra}".strip()


def image_to_data(image: Image, *, language: str, psm: int, timeout: float = 0) -> dict[str, list[Any]]:
    """Run ``tesseract ... tsv`` on one image; columns as lists (level, text, conf, left, ...)."""
    import pytesseract

    if image.ndim == 3:  # OpenCV's BGR; PIL (inside pytesseract) reads the array as RGB
        image = np.ascontiguousarray(image[:, :, 2::-1])
    data: dict[str, list[Any]] = pytesseract.image_to_data(
        image,
        lang=language,
        config=tesseract_config(psm),
        output_type=pytesseract.Output.DICT,
        timeout=timeout,
    )
    return data


def version() -> str:
    import pytesseract

    return str(pytesseract.get_tesseract_version())


@functools.cache
def languages() -> frozenset[str]:
    """The languages the ``tesseract`` binary has models for (``tesseract --list-langs``; none when it is missing)."""
    import pytesseract

    try:
        return frozenset(pytesseract.get_languages())
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError):
        return frozenset()
