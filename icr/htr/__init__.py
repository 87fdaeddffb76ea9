"""Handwriting recognition (ICR proper): a convolutional recognizer with a small
transformer neck (PP-OCRv6's, fine-tuned on rendered handwriting), decoded with CTC.

Reading needs only onnxruntime and the model shipped beside this file
(``model.onnx`` + ``model.json``); ``icr htr train`` (the ``htr-train`` extra, torch)
makes a new one. Form zones of kind ``handwriting`` call :func:`read_crop`.
"""

from __future__ import annotations

from icr.htr.decode import Reading
from icr.htr.model import HandwritingModel
from icr.htr.reader import ENGINE, HandwritingReader, grammars, read_crop, shared_reader

__all__ = ["ENGINE", "HandwritingModel", "HandwritingReader", "Reading", "grammars", "read_crop", "shared_reader"]
