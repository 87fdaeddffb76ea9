"""The image corrector's steps, one small module each.

Every step is a function ``step(image, options) -> (image, info)``: it takes a
grayscale or BGR uint8 image and the ``image_corrector`` options, and returns the
new image plus measurements worth keeping (``info``, merged into
:attr:`icr.types.CorrectedPage.info`). A step that finds nothing to do returns
its input unchanged.
"""

from __future__ import annotations

from icr.imaging.steps.background import background, binarize
from icr.imaging.steps.border import border
from icr.imaging.steps.contrast import contrast
from icr.imaging.steps.crop import crop
from icr.imaging.steps.deskew import deskew, estimate_skew, rotate
from icr.imaging.steps.lines import lines
from icr.imaging.steps.orientation import orientation
from icr.imaging.steps.scale import reduce, rescale, text_height
from icr.imaging.steps.smooth import smooth
from icr.imaging.steps.util import Step, StepResult, grayscale, to_gray

__all__ = [
    "Step",
    "StepResult",
    "background",
    "binarize",
    "border",
    "contrast",
    "crop",
    "deskew",
    "estimate_skew",
    "grayscale",
    "lines",
    "orientation",
    "reduce",
    "rescale",
    "rotate",
    "smooth",
    "text_height",
    "to_gray",
]
