"""The OpenCV image corrector: named steps run in a configured order.

The steps (each in :mod:`icr.imaging.steps`) and the order they are documented
to run in — ``config/icr.yaml`` lists the ones switched on:

1. ``crop``        cut the page out of a darker photo/scan background, with
                   four-point perspective correction for a tilted quadrilateral;
2. ``grayscale``   one channel from here on;
3. ``reduce``      shrink a huge page (a 600 DPI scan) whose letters are far taller than needed;
4. ``background``  flatten uneven light and shadows; optional denoise/binarize;
   ``contrast``    (not in the shipped steps) darken faint ink, as on a faded thermal receipt;
5. ``border``      paint black scanner borders and large dark edge blobs white;
6. ``orientation`` turn a page lying at 90/180/270 degrees upright;
7. ``deskew``      undo a small rotation (±15°);
8. ``lines``       remove ruling lines, keeping letters that touch them;
9. ``smooth``      a light blur that closes ragged and dotted strokes before Tesseract's threshold;
10. ``rescale``     bring capital letters to a target height, reduce huge images.

The page is cut out first, a huge one shrunk as soon as it is grey (every later step is then
cheaper), the light evened out before anything judges what is
dark (border removal took a shadow along the edge for a border and painted the
text in it white: word accuracy on shadowed copies 0.32 with border before
background, 0.74 after — benchmarks/README.md), then geometry, then rules, then
the blur, then size. Every step gates itself: a cheap look at a small copy decides whether the
page needs it, and a page that does not is passed on untouched (info
``<step>_applied: 0``). A step's options are keys of the ``image_corrector`` section.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from icr.errors import ConfigError
from icr.imaging.steps import (
    Step,
    StepResult,
    background,
    border,
    contrast,
    crop,
    deskew,
    estimate_skew,
    grayscale,
    lines,
    orientation,
    reduce,
    rescale,
    rotate,
    smooth,
    text_height,
    to_gray,
)
from icr.types import CorrectedPage, Image, Page

__all__ = [
    "ORDER",
    "STEPS",
    "NoopCorrector",
    "OpenCVCorrector",
    "Step",
    "StepResult",
    "estimate_skew",
    "rotate",
    "run_steps",
    "text_height",
]

STEPS: dict[str, Step] = {
    "crop": crop,
    "grayscale": grayscale,
    "reduce": reduce,
    "background": background,
    "contrast": contrast,
    "border": border,
    "orientation": orientation,
    "deskew": deskew,
    "lines": lines,
    "smooth": smooth,
    "rescale": rescale,
}
"""Every step by name, in the documented order; ``config/icr.yaml`` lists which run."""

ORDER: tuple[str, ...] = tuple(STEPS)


def check_steps(names: Sequence[str]) -> list[str]:
    """The step names as a list, or :class:`ConfigError` naming an unknown one."""
    unknown = [n for n in names if n not in STEPS]
    if unknown:
        raise ConfigError(f"unknown image corrector step '{unknown[0]}' (known: {', '.join(STEPS)})")
    return list(names)


def run_steps(
    image: Image, names: Sequence[str], options: dict[str, Any]
) -> list[tuple[str, Image, float, dict[str, float]]]:
    """Run the steps one after another; (name, image after it, seconds, info) for each."""
    out = []
    for name in check_steps(names):
        start = time.perf_counter()
        image, info = STEPS[name](image, options)
        out.append((name, image, time.perf_counter() - start, info))
    return out


@dataclass
class OpenCVCorrector:
    """The default corrector: runs the configured steps and times each one."""

    options: dict[str, Any]
    name: str = "opencv"

    def correct(self, page: Page, steps: Sequence[str] | None = None) -> CorrectedPage:
        names = list(steps if steps is not None else self.options.get("steps", []))
        out = CorrectedPage(image=page.image, number=page.number, text_layer=page.text_layer)
        image = page.image
        for name, after, seconds, info in run_steps(page.image, names, self.options):
            image = after
            out.timings[name] = seconds
            out.info.update(info)
            out.steps.append(name)
        out.image = np.ascontiguousarray(to_gray(image))
        return out


@dataclass
class NoopCorrector:
    """Passes pages through (grayscale only): the corrector switched off, and the fake for tests."""

    options: dict[str, Any]
    name: str = "none"

    def correct(self, page: Page, steps: Sequence[str] | None = None) -> CorrectedPage:
        return CorrectedPage(image=to_gray(page.image), number=page.number, text_layer=page.text_layer)
